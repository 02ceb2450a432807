// The refresh: a session's refresh tokens rotate on every use, and a spent token
// presented after the reuse interval revokes the whole session (the token was stolen, or
// the client is broken). Two forms of token: a family token (the session's row holds the
// current generation, see refresh-token.ts), and the older one row of refresh_tokens per
// token, kept until the sessions that hold such tokens end.
//
// This is the hot path (thousands of refreshes a second): the common case is one
// statement, shared by concurrent refreshes of distinct sessions (the group commit in
// SessionsState.rotations); only what it does not move opens a transaction.
import { timingSafeEqual } from 'node:crypto';
import { randomToken, sha256 } from '../../core/crypto/index.ts';
import { coalesce, type SqlQuery } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { MAX_GENERATION, type FamilyToken } from './refresh-token.ts';
import { announce } from './revocation.ts';
import { idleCutoff, idleExpired, type FamilyRotations, type SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';

/**
 * Siblings one generation may have: retries of its predecessor within the reuse interval
 * (parallel tabs, lost responses). Beyond, a retry is refused and changes nothing.
 */
export const MAX_SIBLINGS = 32;

export type RotateResult =
  | { kind: 'rotated'; sessionId: string; userId: string; client: string; refreshToken: string; graced: boolean; amr: string[] }
  | { kind: 'reused'; sessionId: string; userId: string };

/** What a rotation's transaction decides: a result, or a session it ended for non-use. */
type Decided = RotateResult | { kind: 'idle'; sessionId: string };

/** Whether `t`'s secret is the current generation's or one of its siblings' (constant time per hash). */
export function holdsCurrentSecret(row: { refresh_hash: Buffer | null; refresh_siblings: Buffer[] }, t: FamilyToken): boolean {
  let found = false;
  for (const h of row.refresh_hash ? [row.refresh_hash, ...row.refresh_siblings] : row.refresh_siblings) {
    if (h.length === t.hash.length && timingSafeEqual(h, t.hash)) found = true;
  }
  return found;
}

/** The group commit of one instance: concurrent refreshes of distinct sessions share one statement. */
export function createFamilyRotations(query: SqlQuery): FamilyRotations {
  return coalesce(
    (r: repo.FamilyRotation) => repo.rotateFamily(query, r.t, r.nextHash, r.now, r.idleCutoff),
    (rs: repo.FamilyRotation[]) => repo.rotateFamilies(query, rs),
    { key: (r) => r.t.sessionId, max: 64 },
  );
}

/**
 * Spends a refresh token and mints its successor, atomically: the token row is locked,
 * so concurrent presentations of one token are decided one after another.
 *
 * Without rotation (AUTH_REFRESH_TOKEN_ROTATION=false, `s.keep`) the token a client holds
 * stays the session's token: a refresh checks it as a rotation would, records the use (the
 * idle timeout counts from it) and answers with the same token. Any token that is not
 * the live current one (an older generation issued while rotation was on, a revoked,
 * expired or idle session) is decided exactly as with rotation: invalid, idle, or a
 * reuse that revokes the session.
 */
export async function rotate(s: SessionsDeps, refreshToken: string): Promise<RotateResult> {
  const family = s.refreshTokens.parse(refreshToken);
  if (!family) return s.keep ? keepLegacy(s, refreshToken) : rotateLegacy(s, refreshToken);
  // A token of this form that this server did not issue changes nothing.
  if (!s.refreshTokens.authentic(family)) throw new AppError('invalid_refresh_token');
  return s.keep ? keepFamily(s, family, refreshToken) : rotateFamily(s, family);
}

/** After a rotation's transaction: records the use, or announces the session it ended. */
async function settle(s: SessionsDeps, outcome: Decided): Promise<RotateResult> {
  if (outcome.kind === 'rotated') {
    s.cache.touched(outcome.sessionId, s.clock.now());
    return outcome;
  }
  await announce(s, [outcome.sessionId]);
  if (outcome.kind === 'idle') throw new AppError('invalid_refresh_token');
  return outcome;
}

/** A family token, kept: one statement when it is the current one of a live session. */
async function keepFamily(s: SessionsDeps, t: FamilyToken, token: string): Promise<RotateResult> {
  const at = s.clock.now();
  const row = await repo.keepFamily(s.query, t, new Date(at), idleCutoff(s, at));
  if (!row) return rotateFamily(s, t);
  s.cache.touched(t.sessionId, at);
  return { kind: 'rotated', sessionId: t.sessionId, userId: row.user_id, client: row.client, refreshToken: token, graced: false, amr: row.amr };
}

/**
 * A family token: the current generation (or a sibling of it) moves the family on; the
 * previous generation within the reuse interval gets a sibling of the current one; any
 * other earlier generation is a reuse and revokes the session.
 */
async function rotateFamily(s: SessionsDeps, t: FamilyToken): Promise<RotateResult> {
  // Most presentations are of the current generation: one statement, one row.
  {
    const at = s.clock.now();
    const next = s.refreshTokens.mint(t.sessionId, t.generation + 1);
    const row = await s.rotations({ t, nextHash: next.hash, now: new Date(at), idleCutoff: idleCutoff(s, at) });
    if (row) {
      s.cache.touched(t.sessionId, at);
      return { kind: 'rotated', sessionId: t.sessionId, userId: row.user_id, client: row.client, refreshToken: next.token, graced: false, amr: row.amr };
    }
  }
  // The transaction decides; revocations commit before the caller hears about them.
  const outcome = await s.db.transaction().execute(async (trx): Promise<Decided> => {
    const row = await repo.findFamily(trx, t.sessionId, true);
    // The time is read once the row lock is held (see rotateLegacy).
    const now = new Date(s.clock.now());
    const current = row?.refresh_generation ?? null;
    if (!row || current === null || row.revoked_at || row.expires_at <= now || t.generation > current) throw new AppError('invalid_refresh_token');
    if (idleExpired(s, row.last_used_at.getTime(), now.getTime())) {
      if (await repo.revokeSession(trx, row.id, now, 'idle_timeout')) await s.ended(trx, [row.id], 'idle_timeout');
      return { kind: 'idle', sessionId: row.id };
    }
    const rotated = (token: string, graced: boolean): RotateResult => ({ kind: 'rotated', sessionId: row.id, userId: row.user_id, client: row.client, refreshToken: token, graced, amr: row.amr });
    if (t.generation === current) {
      // The current generation that the statement above did not move: its secret is not
      // the current one (a token of this generation that was never handed out is not
      // possible with a valid tag), or the counter is exhausted.
      if (!holdsCurrentSecret(row, t) || current >= MAX_GENERATION) throw new AppError('invalid_refresh_token');
      const next = s.refreshTokens.mint(row.id, current + 1);
      await repo.advanceFamily(trx, row.id, current + 1, next.hash, now);
      return rotated(next.token, false);
    }
    // An earlier generation, issued here (its tag says so). The one just before the
    // current one, within the interval after the family moved on: two tabs or a lost
    // response, answered with a sibling of the current generation. Otherwise a reuse.
    // Grace is strictly inside the interval, so an interval of 0 disables it.
    const since = row.refresh_rotated_at ? Math.max(0, now.getTime() - row.refresh_rotated_at.getTime()) : Infinity;
    if (t.generation === current - 1 && since < s.reuseInterval * 1000) {
      if (row.refresh_siblings.length >= MAX_SIBLINGS) throw new AppError('invalid_refresh_token');
      const sibling = s.refreshTokens.mint(row.id, current);
      await repo.addSibling(trx, row.id, sibling.hash, now);
      return rotated(sibling.token, true);
    }
    if (await repo.revokeSession(trx, row.id, now, 'refresh_token_reused')) await s.ended(trx, [row.id], 'refresh_token_reused');
    return { kind: 'reused', sessionId: row.id, userId: row.user_id };
  });
  return settle(s, outcome);
}

/** A token of the one-row-per-token form, kept while it is unspent and its session live. */
async function keepLegacy(s: SessionsDeps, token: string): Promise<RotateResult> {
  const row = await repo.findRefreshToken(s.db, sha256(token));
  const at = s.clock.now();
  if (!row || row.spent_at || row.revoked_at || row.session_expires_at.getTime() <= at || row.expires_at.getTime() <= at || idleExpired(s, row.last_used_at.getTime(), at)) {
    return rotateLegacy(s, token);
  }
  await repo.touchSession(s.db, row.session_id, new Date(at));
  s.cache.touched(row.session_id, at);
  return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id, client: row.client, refreshToken: token, graced: false, amr: row.amr };
}

/**
 * A token of a session started before families moved into the session's row: one row
 * of refresh_tokens per token, until the session ends.
 */
async function rotateLegacy(s: SessionsDeps, refreshToken: string): Promise<RotateResult> {
  const hash = sha256(refreshToken);
  // Most presentations are of a live, unspent token: one statement does it all.
  {
    const next = randomToken(32);
    const at = s.clock.now();
    const row = await repo.rotateUnspent(s.query, hash, sha256(next), new Date(at), idleCutoff(s, at));
    if (!row) throw new AppError('invalid_refresh_token');
    if (row.rotated) {
      s.cache.touched(row.session_id, at);
      return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id, client: row.client, refreshToken: next, graced: false, amr: row.amr };
    }
  }
  // The transaction decides; revocations commit before the caller hears about them.
  const outcome = await s.db.transaction().execute(async (trx): Promise<Decided> => {
    const row = await repo.findRefreshTokenForUpdate(trx, hash);
    // Read the time only once the row lock is held: a presentation that waited behind
    // the one that spent the token must not date itself earlier than that spending.
    const now = new Date(s.clock.now());
    if (!row || row.revoked_at || row.session_expires_at <= now || row.expires_at <= now) throw new AppError('invalid_refresh_token');
    if (idleExpired(s, row.last_used_at.getTime(), now.getTime())) {
      if (await repo.revokeSession(trx, row.session_id, now, 'idle_timeout')) await s.ended(trx, [row.session_id], 'idle_timeout');
      return { kind: 'idle', sessionId: row.session_id };
    }
    let graced = false;
    if (row.spent_at) {
      // Grace is strictly inside the interval, so an interval of 0 disables it.
      if (Math.max(0, now.getTime() - row.spent_at.getTime()) >= s.reuseInterval * 1000) {
        if (await repo.revokeSession(trx, row.session_id, now, 'refresh_token_reused')) await s.ended(trx, [row.session_id], 'refresh_token_reused');
        return { kind: 'reused', sessionId: row.session_id, userId: row.user_id };
      }
      // Within the interval: two tabs or a lost response. Same session, a sibling token.
      graced = true;
    } else {
      await repo.markSpent(trx, row.id, now);
    }
    const next = randomToken(32);
    await repo.insertRefreshToken(trx, { session_id: row.session_id, token_hash: sha256(next), parent_id: row.id, created_at: now, expires_at: row.session_expires_at });
    await repo.touchSession(trx, row.session_id, now);
    return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id, client: row.client, refreshToken: next, graced, amr: row.amr };
  });
  return settle(s, outcome);
}
