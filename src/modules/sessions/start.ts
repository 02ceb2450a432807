// A session's start at sign-in: room made under the active-session limit, the device and
// where it signed in from, and the family's first refresh token; and how the new device
// compares with the user's earlier ones (the new-sign-in notice).
import { randomUUID } from 'node:crypto';
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import { parseUserAgent } from './device.ts';
import { idleCutoff, type SessionContext, type SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';
import type { SessionRow } from './sessions.table.ts';

/** The values a session starts with (what startBatched writes). */
export type NewSessionRow = repo.NewSession;

export interface Started {
  session: SessionRow;
  refreshToken: string;
  /** Sessions revoked to respect the active-session limit; announce them after commit. */
  evicted: string[];
}

/**
 * Starts a session inside the caller's transaction; returns it with its first refresh
 * token. `id` lets the caller choose the id beforehand (claims made before the session).
 */
export async function start(s: SessionsDeps, trx: Db, userId: string, ctx: SessionContext, id: string = randomUUID()): Promise<Started> {
  const now = new Date(s.clock.now());
  const evicted: string[] = [];
  if (s.maxActive > 0) {
    // 1. Make room: beyond the limit, the least recently used sessions end.
    await repo.lockUserSessions(trx, userId);
    const active = await repo.listActive(trx, userId, now, idleCutoff(s, now.getTime()));
    const excess = active.length - s.maxActive + 1;
    if (excess > 0) {
      const lru = [...active].sort((a, b) => a.last_used_at.getTime() - b.last_used_at.getTime() || a.created_at.getTime() - b.created_at.getTime()).slice(0, excess);
      for (const x of lru) if (await repo.revokeSession(trx, x.id, now, 'session_limit')) evicted.push(x.id);
      if (evicted.length) await s.ended(trx, evicted, 'session_limit');
    }
  }
  // 2. Record the device and where it signed in from, with the family's first token.
  const { row, refreshToken } = newSession(s, userId, ctx, id, now);
  const session = await repo.insertSession(trx, row);
  return { session, refreshToken, evicted };
}

/**
 * start as a write of a batch, when it needs no decision: without an active-session
 * limit (which must read and maybe revoke the user's sessions first). undefined: use
 * start in a transaction.
 */
export function startBatched(s: SessionsDeps, batch: WriteBatch, userId: string, ctx: SessionContext, id: string = randomUUID()): { session: NewSessionRow; refreshToken: string } | undefined {
  if (s.maxActive > 0) return undefined;
  const { row, refreshToken } = newSession(s, userId, ctx, id, new Date(s.clock.now()));
  batch.write(repo.insertSessionQuery(s.db, row));
  return { session: row, refreshToken };
}

/** A new session's row (device, location, the family's first token) and that token. */
function newSession(s: SessionsDeps, userId: string, ctx: SessionContext, id: string, now: Date): { row: repo.NewSession; refreshToken: string } {
  const device = parseUserAgent(ctx.userAgent);
  const location = s.geo.locate(ctx.ip);
  const first = s.refreshTokens.mint(id, 1);
  return {
    row: {
      id, user_id: userId, client: ctx.client, ip: ctx.ip, user_agent: ctx.userAgent?.slice(0, 512) ?? null,
      browser: device.browser, os: device.os, device_type: device.deviceType, location: location ? JSON.stringify(location) : null,
      amr: ctx.amr, created_at: now, last_used_at: now, expires_at: new Date(now.getTime() + s.refreshTokenExpiry * 1000), reauthenticated_at: now,
      refresh_generation: 1, refresh_hash: first.hash, ...(ctx.organizationId ? { organization_id: ctx.organizationId } : {}),
    },
    refreshToken: first.token,
  };
}

/**
 * Whether a new session's browser and OS were seen on the user's earlier sessions:
 * `first` when there is no earlier session at all.
 */
export async function deviceFamiliarity(on: Db, session: Pick<SessionRow, 'id' | 'user_id' | 'browser' | 'os'>): Promise<'first' | 'seen' | 'new'> {
  const earlier = await repo.recentDevices(on, session.user_id, session.id, 50);
  if (!earlier.length) return 'first';
  // Families, not versions: a browser update is not a new device.
  const family = (v: string | null) => (v ?? '').replace(/(\s+[\d.]+)+$/, '');
  return earlier.some((d) => family(d.browser) === family(session.browser) && family(d.os) === family(session.os)) ? 'seen' : 'new';
}
