// Sessions and their refresh-token families. A session is one sign-in on one device;
// its refresh tokens rotate on every use, and a spent token presented after the reuse
// interval revokes the whole session (the token was stolen, or the client is broken).
// Every revocation is announced on the invalidation bus, so that each instance's cache
// of session state forgets it at once.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import { randomToken, sha256 } from '../../core/crypto/index.ts';
import { coalesce, type SqlQuery, type PruneLimits, type WriteBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import { parseUserAgent } from './device.ts';
import type { GeoLocator } from './geoip.ts';
import { MAX_GENERATION, type FamilyToken, type RefreshTokenCodec } from './refresh-token.ts';
import { createSessionCache, type SessionState } from './session-cache.ts';
import * as repo from './sessions.repo.ts';
import type { SessionRow } from './sessions.table.ts';

/** The values a session starts with (what startIn writes). */
export type NewSessionRow = repo.NewSession;

/**
 * Siblings one generation may have: retries of its predecessor within the reuse interval
 * (parallel tabs, lost responses). Beyond, a retry is refused and changes nothing.
 */
export const MAX_SIBLINGS = 32;

/** Whether `t`'s secret is the current generation's or one of its siblings' (constant time per hash). */
function holdsCurrentSecret(row: { refresh_hash: Buffer | null; refresh_siblings: Buffer[] }, t: FamilyToken): boolean {
  let found = false;
  for (const h of row.refresh_hash ? [row.refresh_hash, ...row.refresh_siblings] : row.refresh_siblings) {
    if (h.length === t.hash.length && timingSafeEqual(h, t.hash)) found = true;
  }
  return found;
}

/** How often, at most, a bearer check records a session's last use. */
export const TOUCH_INTERVAL_MS = 60_000;

/**
 * The tokens of sessions that expired this recently are deleted at each housekeeping run;
 * older ones (a run missed, the backlog of an upgrade) go with their session. A window, so
 * that a run does not visit again every expired session kept for the retention.
 */
const TOKEN_SWEEP_MS = 86_400_000;

export interface SessionContext {
  client: string;
  ip: string | null;
  userAgent: string | null;
  /** Authentication methods used for this sign-in (RFC 8176 values: `pwd`, `otp`, ...). */
  amr: string[];
  /** The organization chosen at sign-in (a membership the gate has checked). */
  organizationId?: string | null | undefined;
}

export interface SessionsServiceDeps {
  db: Kysely<Database>;
  /** Plain SQL on the same database (the refresh's one statement). */
  query: SqlQuery;
  /** Mints and reads the refresh tokens of session families. */
  refreshTokens: RefreshTokenCodec;
  clock: Clock;
  bus: InvalidationBus;
  geo: GeoLocator;
  /** Absolute session lifetime, seconds. */
  refreshTokenExpiry: number;
  /** Seconds a spent token still yields a token for the same session. */
  reuseInterval: number;
  /** Seconds of non-use after which a session ends; 0 disables. */
  idleTimeout: number;
  /**
   * Whether a refresh replaces the refresh token (AUTH_REFRESH_TOKEN_ROTATION, default
   * true). false: a refresh records the use and answers with the same token.
   */
  rotation?: boolean;
  /** Most active sessions per user; 0 is unlimited. */
  maxActive: number;
  /** Seconds a session's row is kept after its absolute expiry (AUTH_SESSION_RETENTION). */
  retention: number;
  /** Runs in the transaction that ends sessions early (the session.invalidated events). */
  ended?: (on: Db, ids: string[], reason: string) => Promise<void>;
}

export type RotateResult =
  | { kind: 'rotated'; sessionId: string; userId: string; client: string; refreshToken: string; graced: boolean; amr: string[] }
  | { kind: 'reused'; sessionId: string; userId: string };

export interface Started {
  session: SessionRow;
  refreshToken: string;
  /** Sessions revoked to respect the active-session limit; announce them after commit. */
  evicted: string[];
}

export function createSessionsService(deps: SessionsServiceDeps) {
  const ended = (on: Db, ids: string[], reason: string) => deps.ended?.(on, ids, reason) ?? Promise.resolve();
  const { db, clock, bus } = deps;
  const cache = createSessionCache({ bus, clock });
  const idleMs = deps.idleTimeout * 1000;

  const idleCutoff = (now: number) => (idleMs > 0 ? new Date(now - idleMs) : null);
  const idleExpired = (lastUsedAt: number, now: number) => idleMs > 0 && lastUsedAt + idleMs <= now;
  const expires = (now: Date) => new Date(now.getTime() + deps.refreshTokenExpiry * 1000);
  const announce = async (ids: string[]) => { for (const id of ids) await bus.publish({ kind: 'session', id }); };

  /**
   * Starts a session inside the caller's transaction; returns it with its first refresh
   * token. `id` lets the caller choose the id beforehand (claims made before the session).
   */
  async function start(trx: Db, userId: string, ctx: SessionContext, id: string = randomUUID()): Promise<Started> {
    const now = new Date(clock.now());
    const evicted: string[] = [];
    if (deps.maxActive > 0) {
      // 1. Make room: beyond the limit, the least recently used sessions end.
      await repo.lockUserSessions(trx, userId);
      const active = await repo.listActive(trx, userId, now, idleCutoff(now.getTime()));
      const excess = active.length - deps.maxActive + 1;
      if (excess > 0) {
        const lru = [...active].sort((a, b) => a.last_used_at.getTime() - b.last_used_at.getTime() || a.created_at.getTime() - b.created_at.getTime()).slice(0, excess);
        for (const s of lru) if (await repo.revokeSession(trx, s.id, now, 'session_limit')) evicted.push(s.id);
        if (evicted.length) await ended(trx, evicted, 'session_limit');
      }
    }
    // 2. Record the device and where it signed in from, with the family's first token.
    const { row, refreshToken } = newSession(userId, ctx, id, now);
    const session = await repo.insertSession(trx, row);
    return { session, refreshToken, evicted };
  }

  /** A new session's row (device, location, the family's first token) and that token. */
  function newSession(userId: string, ctx: SessionContext, id: string, now: Date): { row: repo.NewSession; refreshToken: string } {
    const device = parseUserAgent(ctx.userAgent);
    const location = deps.geo.locate(ctx.ip);
    const first = deps.refreshTokens.mint(id, 1);
    return {
      row: {
        id, user_id: userId, client: ctx.client, ip: ctx.ip, user_agent: ctx.userAgent?.slice(0, 512) ?? null,
        browser: device.browser, os: device.os, device_type: device.deviceType, location: location ? JSON.stringify(location) : null,
        amr: ctx.amr, created_at: now, last_used_at: now, expires_at: expires(now), reauthenticated_at: now,
        refresh_generation: 1, refresh_hash: first.hash, ...(ctx.organizationId ? { organization_id: ctx.organizationId } : {}),
      },
      refreshToken: first.token,
    };
  }

  /**
   * start as a write of a batch, when it needs no decision: without an active-session
   * limit (which must read and maybe revoke the user's sessions first). undefined: use
   * start in a transaction.
   */
  function startIn(batch: WriteBatch, userId: string, ctx: SessionContext, id: string = randomUUID()): { session: NewSessionRow; refreshToken: string } | undefined {
    if (deps.maxActive > 0) return undefined;
    const { row, refreshToken } = newSession(userId, ctx, id, new Date(clock.now()));
    batch.write(repo.insertSessionQuery(db, row));
    return { session: row, refreshToken };
  }

  /**
   * Spends a refresh token and mints its successor, atomically: the token row is locked,
   * so concurrent presentations of one token are decided one after another.
   */
  async function rotate(refreshToken: string): Promise<RotateResult> {
    const family = deps.refreshTokens.parse(refreshToken);
    if (!family) return keep ? keepLegacy(refreshToken) : rotateLegacy(refreshToken);
    // A token of this form that this server did not issue changes nothing.
    if (!deps.refreshTokens.authentic(family)) throw new AppError('invalid_refresh_token');
    return keep ? keepFamily(family, refreshToken) : rotateFamily(family);
  }

  // Without rotation (AUTH_REFRESH_TOKEN_ROTATION=false) the token a client holds stays
  // the session's token: a refresh checks it as a rotation would, records the use (the
  // idle timeout counts from it) and answers with the same token. Any token that is not
  // the live current one (an older generation issued while rotation was on, a revoked,
  // expired or idle session) is decided exactly as with rotation: invalid, idle, or a
  // reuse that revokes the session.
  const keep = deps.rotation === false;

  /** A family token, kept: one statement when it is the current one of a live session. */
  async function keepFamily(t: FamilyToken, token: string): Promise<RotateResult> {
    const at = clock.now();
    const row = await repo.keepFamily(deps.query, t, new Date(at), idleCutoff(at));
    if (!row) return rotateFamily(t);
    cache.touched(t.sessionId, at);
    return { kind: 'rotated', sessionId: t.sessionId, userId: row.user_id, client: row.client, refreshToken: token, graced: false, amr: row.amr };
  }

  /** A token of the one-row-per-token form, kept while it is unspent and its session live. */
  async function keepLegacy(token: string): Promise<RotateResult> {
    const row = await repo.findRefreshToken(db, sha256(token));
    const at = clock.now();
    if (!row || row.spent_at || row.revoked_at || row.session_expires_at.getTime() <= at || row.expires_at.getTime() <= at || idleExpired(row.last_used_at.getTime(), at)) {
      return rotateLegacy(token);
    }
    await repo.touchSession(db, row.session_id, new Date(at));
    cache.touched(row.session_id, at);
    return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id, client: row.client, refreshToken: token, graced: false, amr: row.amr };
  }

  /** After a rotation's transaction: records the use, or announces the session it ended. */
  async function settle(outcome: RotateResult | { kind: 'idle'; sessionId: string }): Promise<RotateResult> {
    if (outcome.kind === 'rotated') {
      cache.touched(outcome.sessionId, clock.now());
      return outcome;
    }
    await announce([outcome.sessionId]);
    if (outcome.kind === 'idle') throw new AppError('invalid_refresh_token');
    return outcome;
  }

  // Concurrent refreshes of distinct sessions share one statement (group commit).
  const rotations = coalesce(
    (r: repo.FamilyRotation) => repo.rotateFamily(deps.query, r.t, r.nextHash, r.now, r.idleCutoff),
    (rs: repo.FamilyRotation[]) => repo.rotateFamilies(deps.query, rs),
    { key: (r) => r.t.sessionId, max: 64 },
  );

  /**
   * A family token: the current generation (or a sibling of it) moves the family on; the
   * previous generation within the reuse interval gets a sibling of the current one; any
   * other earlier generation is a reuse and revokes the session.
   */
  async function rotateFamily(t: FamilyToken): Promise<RotateResult> {
    // Most presentations are of the current generation: one statement, one row.
    {
      const at = clock.now();
      const next = deps.refreshTokens.mint(t.sessionId, t.generation + 1);
      const row = await rotations({ t, nextHash: next.hash, now: new Date(at), idleCutoff: idleCutoff(at) });
      if (row) {
        cache.touched(t.sessionId, at);
        return { kind: 'rotated', sessionId: t.sessionId, userId: row.user_id, client: row.client, refreshToken: next.token, graced: false, amr: row.amr };
      }
    }
    // The transaction decides; revocations commit before the caller hears about them.
    const outcome = await db.transaction().execute(async (trx): Promise<RotateResult | { kind: 'idle'; sessionId: string }> => {
      const row = await repo.findFamily(trx, t.sessionId, true);
      // The time is read once the row lock is held (see rotateLegacy).
      const now = new Date(clock.now());
      const current = row?.refresh_generation ?? null;
      if (!row || current === null || row.revoked_at || row.expires_at <= now || t.generation > current) throw new AppError('invalid_refresh_token');
      if (idleExpired(row.last_used_at.getTime(), now.getTime())) {
        if (await repo.revokeSession(trx, row.id, now, 'idle_timeout')) await ended(trx, [row.id], 'idle_timeout');
        return { kind: 'idle', sessionId: row.id };
      }
      const rotated = (token: string, graced: boolean): RotateResult => ({ kind: 'rotated', sessionId: row.id, userId: row.user_id, client: row.client, refreshToken: token, graced, amr: row.amr });
      if (t.generation === current) {
        // The current generation that the statement above did not move: its secret is not
        // the current one (a token of this generation that was never handed out is not
        // possible with a valid tag), or the counter is exhausted.
        if (!holdsCurrentSecret(row, t) || current >= MAX_GENERATION) throw new AppError('invalid_refresh_token');
        const next = deps.refreshTokens.mint(row.id, current + 1);
        await repo.advanceFamily(trx, row.id, current + 1, next.hash, now);
        return rotated(next.token, false);
      }
      // An earlier generation, issued here (its tag says so). The one just before the
      // current one, within the interval after the family moved on: two tabs or a lost
      // response, answered with a sibling of the current generation. Otherwise a reuse.
      // Grace is strictly inside the interval, so an interval of 0 disables it.
      const since = row.refresh_rotated_at ? Math.max(0, now.getTime() - row.refresh_rotated_at.getTime()) : Infinity;
      if (t.generation === current - 1 && since < deps.reuseInterval * 1000) {
        if (row.refresh_siblings.length >= MAX_SIBLINGS) throw new AppError('invalid_refresh_token');
        const sibling = deps.refreshTokens.mint(row.id, current);
        await repo.addSibling(trx, row.id, sibling.hash, now);
        return rotated(sibling.token, true);
      }
      if (await repo.revokeSession(trx, row.id, now, 'refresh_token_reused')) await ended(trx, [row.id], 'refresh_token_reused');
      return { kind: 'reused', sessionId: row.id, userId: row.user_id };
    });
    return settle(outcome);
  }

  /**
   * A token of a session started before families moved into the session's row: one row
   * of refresh_tokens per token, until the session ends.
   */
  async function rotateLegacy(refreshToken: string): Promise<RotateResult> {
    const hash = sha256(refreshToken);
    // Most presentations are of a live, unspent token: one statement does it all.
    {
      const next = randomToken(32);
      const at = clock.now();
      const row = await repo.rotateUnspent(deps.query, hash, sha256(next), new Date(at), idleMs > 0 ? new Date(at - idleMs) : null);
      if (!row) throw new AppError('invalid_refresh_token');
      if (row.rotated) {
        cache.touched(row.session_id, at);
        return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id, client: row.client, refreshToken: next, graced: false, amr: row.amr };
      }
    }
    // The transaction decides; revocations commit before the caller hears about them.
    const outcome = await db.transaction().execute(async (trx): Promise<RotateResult | { kind: 'idle'; sessionId: string }> => {
      const row = await repo.findRefreshTokenForUpdate(trx, hash);
      // Read the time only once the row lock is held: a presentation that waited behind
      // the one that spent the token must not date itself earlier than that spending.
      const now = new Date(clock.now());
      if (!row || row.revoked_at || row.session_expires_at <= now || row.expires_at <= now) throw new AppError('invalid_refresh_token');
      if (idleExpired(row.last_used_at.getTime(), now.getTime())) {
        if (await repo.revokeSession(trx, row.session_id, now, 'idle_timeout')) await ended(trx, [row.session_id], 'idle_timeout');
        return { kind: 'idle', sessionId: row.session_id };
      }
      let graced = false;
      if (row.spent_at) {
        // Grace is strictly inside the interval, so an interval of 0 disables it.
        if (Math.max(0, now.getTime() - row.spent_at.getTime()) >= deps.reuseInterval * 1000) {
          if (await repo.revokeSession(trx, row.session_id, now, 'refresh_token_reused')) await ended(trx, [row.session_id], 'refresh_token_reused');
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
    return settle(outcome);
  }

  /** The session a refresh token belongs to, if the token is known and the session live. */
  async function sessionOfRefreshToken(refreshToken: string) {
    const t = deps.refreshTokens.parse(refreshToken);
    if (t) {
      if (!deps.refreshTokens.authentic(t)) return undefined;
      const row = await repo.findFamily(db, t.sessionId, false);
      const now = clock.now();
      const current = row?.refresh_generation ?? null;
      if (!row || current === null || t.generation > current || row.revoked_at || row.expires_at.getTime() <= now || idleExpired(row.last_used_at.getTime(), now)) return undefined;
      const live = t.generation === current && holdsCurrentSecret(row, t);
      if (t.generation === current && !live) return undefined;
      return {
        sessionId: row.id, userId: row.user_id, client: row.client, amr: row.amr, spent: !live,
        issuedAt: row.refresh_rotated_at ?? row.created_at, expiresAt: row.expires_at,
      };
    }
    const row = await repo.findRefreshToken(db, sha256(refreshToken));
    const now = clock.now();
    if (!row || row.revoked_at || row.session_expires_at.getTime() <= now || row.expires_at.getTime() <= now || idleExpired(row.last_used_at.getTime(), now)) return undefined;
    return { sessionId: row.session_id, userId: row.user_id, client: row.client, amr: row.amr, spent: row.spent_at !== null, issuedAt: row.created_at, expiresAt: row.expires_at };
  }

  async function loadState(sessionId: string): Promise<SessionState | undefined> {
    const readEpoch = cache.epoch();
    const row = await repo.findSessionState(db, sessionId);
    if (!row) return undefined;
    const state: SessionState = {
      id: row.id, userId: row.user_id, revokedAt: row.revoked_at?.getTime() ?? null, expiresAt: row.expires_at.getTime(),
      lastUsedAt: row.last_used_at.getTime(), client: row.client,
    };
    cache.set(state, readEpoch);
    return state;
  }

  /**
   * The bearer check: true while the session exists, belongs to the user, is neither
   * revoked nor expired nor idle. Served from the cache; records the last use at most once
   * a minute.
   */
  async function isActive(sessionId: string, userId: string): Promise<boolean> {
    const now = clock.now();
    let state = cache.get(sessionId) ?? (await loadState(sessionId));
    // Another instance may have recorded a newer use: look before declaring it idle.
    if (state && idleExpired(state.lastUsedAt, now)) state = await loadState(sessionId);
    if (!state || state.userId !== userId || state.revokedAt !== null || state.expiresAt <= now || idleExpired(state.lastUsedAt, now)) return false;
    if (now - state.lastUsedAt >= TOUCH_INTERVAL_MS) {
      await repo.touchSession(db, sessionId, new Date(now));
      cache.touched(sessionId, now);
    }
    return true;
  }

  /**
   * isActive without a promise, for the common case only: true when the cached state says
   * the session is live and its last use is recent enough to need no touch; undefined in
   * every other case, which isActive then decides (it never answers false here).
   */
  function isActiveCached(sessionId: string, userId: string): true | undefined {
    const state = cache.get(sessionId);
    if (!state) return undefined;
    const now = clock.now();
    if (state.userId !== userId || state.revokedAt !== null || state.expiresAt <= now || now - state.lastUsedAt >= TOUCH_INTERVAL_MS || idleExpired(state.lastUsedAt, now)) return undefined;
    return true;
  }

  /** Live sessions of a user, newest first. */
  const list = (userId: string) => {
    const now = clock.now();
    return repo.listActive(db, userId, new Date(now), idleCutoff(now));
  };

  /** Ends one session of the user; false when it is not theirs or not active. */
  async function revokeOwn(userId: string, sessionId: string, reason: string, record?: (trx: Db) => Promise<void>): Promise<boolean> {
    const n = await db.transaction().execute(async (trx) => {
      const n = await repo.revokeUserSession(trx, userId, sessionId, new Date(clock.now()), reason);
      if (n > 0) await ended(trx, [sessionId], reason);
      if (n > 0 && record) await record(trx);
      return n;
    });
    await announce([sessionId]);
    return n > 0;
  }

  /**
   * Ends every session of the user but `keep`; returns how many ended. `record` runs in
   * the same transaction (an audit entry) when any ended.
   */
  async function revokeAllForUser(userId: string, reason: string, keep?: string, record?: (trx: Db, ids: string[]) => Promise<void>): Promise<number> {
    const ids = await db.transaction().execute(async (trx) => {
      const ids = await repo.revokeUserSessions(trx, userId, new Date(clock.now()), reason, keep);
      if (ids.length) await ended(trx, ids, reason);
      if (ids.length && record) await record(trx, ids);
      return ids;
    });
    if (keep) await announce(ids);
    else await bus.publish({ kind: 'user_sessions', id: userId });
    return ids.length;
  }

  /**
   * Ends every session of the user but `keep` inside the caller's transaction; call the
   * returned function after commit, so that other instances re-read committed state.
   */
  async function revokeAllForUserIn(trx: Db, userId: string, reason: string, keep?: string): Promise<(() => Promise<void>) & { ids: string[] }> {
    const ids = await repo.revokeUserSessions(trx, userId, new Date(clock.now()), reason, keep);
    if (ids.length) await ended(trx, ids, reason);
    const after = async () => {
      if (keep) await announce(ids);
      else await bus.publish({ kind: 'user_sessions', id: userId });
    };
    return Object.assign(after, { ids });
  }

  /**
   * Ends one session of the user inside the caller's transaction; returns the function to
   * call after commit, or undefined when the session is not the user's or not active.
   */
  async function revokeOneIn(trx: Db, userId: string, sessionId: string, reason: string): Promise<(() => Promise<void>) | undefined> {
    const n = await repo.revokeUserSession(trx, userId, sessionId, new Date(clock.now()), reason);
    if (n > 0) await ended(trx, [sessionId], reason);
    return n > 0 ? () => announce([sessionId]) : undefined;
  }

  /**
   * Whether a new session's browser and OS were seen on the user's earlier sessions:
   * `first` when there is no earlier session at all.
   */
  async function deviceFamiliarity(on: Db, session: Pick<SessionRow, 'id' | 'user_id' | 'browser' | 'os'>): Promise<'first' | 'seen' | 'new'> {
    const earlier = await repo.recentDevices(on, session.user_id, session.id, 50);
    if (!earlier.length) return 'first';
    // Families, not versions: a browser update is not a new device.
    const family = (v: string | null) => (v ?? '').replace(/(\s+[\d.]+)+$/, '');
    return earlier.some((d) => family(d.browser) === family(session.browser) && family(d.os) === family(session.os)) ? 'seen' : 'new';
  }

  /** When the session's user last proved who they are, and how (null: unknown session). */
  async function proof(sessionId: string): Promise<{ at: number; amr: string[] } | null> {
    const s = await repo.findSession(db, sessionId);
    if (!s || s.revoked_at) return null;
    return { at: (s.reauthenticated_at ?? s.created_at).getTime(), amr: s.amr };
  }

  /** Records a fresh proof (reauthentication), adding its methods to the session's amr. */
  async function reauthenticated(sessionId: string, methods: string[]): Promise<void> {
    const s = await repo.findSession(db, sessionId);
    if (!s) return;
    await repo.setReauthenticated(db, sessionId, new Date(clock.now()), [...new Set([...s.amr, ...methods])]);
  }

  async function revoke(sessionId: string, reason: string): Promise<number> {
    const n = await db.transaction().execute(async (trx) => {
      const n = await repo.revokeSession(trx, sessionId, new Date(clock.now()), reason);
      if (n) await ended(trx, [sessionId], reason);
      return n;
    });
    await announce([sessionId]);
    return Number(n);
  }

  /**
   * Deletes what ended sessions leave behind, in bounded batches (hourly housekeeping).
   *
   * rotate() refuses a token whose session is revoked, expired or idle
   * (`invalid_refresh_token`) before it looks at `spent_at`: reuse detection only ever
   * concerns live sessions. For those it needs every spent token, since any one may be a
   * stolen copy: deleting it would turn the next presentation from a detected reuse (the
   * session revoked, the thief's successor token dead with it) into a plain invalid token
   * that leaves the thief's token working. So nothing of a live session is deleted; its
   * tokens are bounded by its absolute lifetime (one per rotation) anyway.
   *
   * 1. Every token expires with its session (`expires_at` is copied from the session's), so
   *    once the session's absolute expiry has passed, each of its tokens is refused for its
   *    own expiry whatever else holds, and deleting it changes no answer: refresh, logout
   *    and introspection treat an unknown token as an expired one. Tokens of sessions that
   *    expired within the last day go. Sessions revoked or idled out earlier keep their
   *    (already useless) tokens until that absolute expiry: the bound a live session's
   *    tokens have too. Finding revoked ones sooner would take another index, and an
   *    idled-out session is not even marked until one of its tokens comes back.
   * 2. A session's row stays AUTH_SESSION_RETENTION past its absolute expiry (the
   *    new-sign-in notice compares the device with earlier sessions; audit entries and
   *    events name session ids), then goes with any tokens left: the tokens first, so that
   *    no statement cascades into an unknown number of them.
   */
  async function prune(limits?: PruneLimits): Promise<{ refresh_tokens: number; sessions: number }> {
    const now = clock.now();
    const swept = await repo.pruneTokensOfSessionsExpiring(db, new Date(now - TOKEN_SWEEP_MS), new Date(now), limits);
    const old = await repo.pruneSessionsExpiredBefore(db, new Date(now - deps.retention * 1000), limits);
    return { refresh_tokens: swept.deleted + old.childRows, sessions: old.deleted };
  }

  return {
    prune,
    start, startIn, rotate, sessionOfRefreshToken, isActive, isActiveCached, list, revokeOwn, revokeAllForUser, revokeAllForUserIn, revokeOneIn, revoke, announce, deviceFamiliarity, proof, reauthenticated,
    /** The user of a session (any state), for the CLI's `sessions revoke <id>`. */
    ownerOf: async (sessionId: string): Promise<string | undefined> => (await repo.findSession(db, sessionId))?.user_id,
    /** When an idle session ends, or null without an idle timeout. */
    idleExpiresAt: (s: { last_used_at: Date }) => (idleMs > 0 ? new Date(s.last_used_at.getTime() + idleMs) : null),
    cacheSize: () => cache.size(),
    /** The form of this service's refresh tokens (the benchmark's seeder writes sessions with it). */
    refreshTokens: deps.refreshTokens,
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
