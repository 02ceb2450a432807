// Sessions and their refresh-token families. A session is one sign-in on one device;
// its refresh tokens rotate on every use, and a spent token presented after the reuse
// interval revokes the whole session (the token was stolen, or the client is broken).
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { randomToken, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import * as repo from './sessions.repo.ts';
import type { SessionRow } from './sessions.table.ts';

export interface SessionContext {
  client: string;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionsServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Absolute session lifetime, seconds. */
  refreshTokenExpiry: number;
  /** Seconds a spent token still yields a token for the same session. */
  reuseInterval: number;
}

export type RotateResult =
  | { kind: 'rotated'; sessionId: string; userId: string; client: string; refreshToken: string; graced: boolean }
  | { kind: 'reused'; sessionId: string; userId: string };

export function createSessionsService(deps: SessionsServiceDeps) {
  const { db, clock } = deps;

  /** Starts a session inside the caller's transaction; returns it with its first refresh token. */
  async function start(trx: Db, userId: string, ctx: SessionContext): Promise<{ session: SessionRow; refreshToken: string }> {
    const now = new Date(clock.now());
    const expires = new Date(now.getTime() + deps.refreshTokenExpiry * 1000);
    const session = await repo.insertSession(trx, {
      id: randomUUID(), user_id: userId, client: ctx.client, ip: ctx.ip, user_agent: ctx.userAgent?.slice(0, 512) ?? null,
      created_at: now, last_used_at: now, expires_at: expires,
    });
    const refreshToken = randomToken(32);
    await repo.insertRefreshToken(trx, { session_id: session.id, token_hash: sha256(refreshToken), parent_id: null, created_at: now, expires_at: expires });
    return { session, refreshToken };
  }

  /**
   * Spends a refresh token and mints its successor, atomically: the token row is locked,
   * so concurrent presentations of one token are decided one after another.
   */
  async function rotate(refreshToken: string): Promise<RotateResult> {
    const hash = sha256(refreshToken);
    const result = await db.transaction().execute(async (trx): Promise<RotateResult> => {
      const now = new Date(clock.now());
      const row = await repo.findRefreshTokenForUpdate(trx, hash);
      if (!row || row.revoked_at || row.session_expires_at <= now || row.expires_at <= now) throw new AppError('invalid_refresh_token');
      let graced = false;
      if (row.spent_at) {
        // Grace is strictly inside the interval, so an interval of 0 disables it.
        if (now.getTime() - row.spent_at.getTime() >= deps.reuseInterval * 1000) {
          await repo.revokeSession(trx, row.session_id, now, 'refresh_token_reused');
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
      return { kind: 'rotated', sessionId: row.session_id, userId: row.user_id, client: row.client, refreshToken: next, graced };
    });
    return result;
  }

  /** The session a refresh token belongs to, if the token is known and the session live. */
  async function sessionOfRefreshToken(refreshToken: string): Promise<{ sessionId: string; userId: string } | undefined> {
    const row = await repo.findRefreshToken(db, sha256(refreshToken));
    const now = new Date(clock.now());
    if (!row || row.revoked_at || row.session_expires_at <= now) return undefined;
    return { sessionId: row.session_id, userId: row.user_id };
  }

  return {
    start,
    rotate,
    sessionOfRefreshToken,
    /** True while the session exists, belongs to the user, is not revoked and not expired. */
    isActive: (sessionId: string, userId: string) => repo.isSessionActive(db, sessionId, userId, new Date(clock.now())),
    revokeAllForUser: (userId: string, reason: string, on: Db = db) => repo.revokeUserSessions(on, userId, new Date(clock.now()), reason),
    revoke: (sessionId: string, reason: string, on: Db = db) => repo.revokeSession(on, sessionId, new Date(clock.now()), reason),
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
