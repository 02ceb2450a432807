// The bearer check, on every authenticated request (tens of thousands a second): served
// from this instance's cache of session state, read from the database on a miss, and a
// session's last use recorded at most once a minute. isActiveCached answers the common
// case without a promise.
import type { SessionState } from './session-cache.ts';
import { idleExpired, type SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';

/** How often, at most, a bearer check records a session's last use. */
export const TOUCH_INTERVAL_MS = 60_000;

/** The session's state from the database, stored in the cache unless an invalidation arrived meanwhile. */
async function loadState(s: SessionsDeps, sessionId: string): Promise<SessionState | undefined> {
  const readEpoch = s.cache.epoch();
  const row = await repo.findSessionState(s.db, sessionId);
  if (!row) return undefined;
  const state: SessionState = {
    id: row.id, userId: row.user_id, revokedAt: row.revoked_at?.getTime() ?? null, expiresAt: row.expires_at.getTime(),
    lastUsedAt: row.last_used_at.getTime(), client: row.client,
  };
  s.cache.set(state, readEpoch);
  return state;
}

/**
 * The bearer check: true while the session exists, belongs to the user, is neither
 * revoked nor expired nor idle. Served from the cache; records the last use at most once
 * a minute.
 */
export async function isActive(s: SessionsDeps, sessionId: string, userId: string): Promise<boolean> {
  const now = s.clock.now();
  let state = s.cache.get(sessionId) ?? (await loadState(s, sessionId));
  // Another instance may have recorded a newer use: look before declaring it idle.
  if (state && idleExpired(s, state.lastUsedAt, now)) state = await loadState(s, sessionId);
  if (!state || state.userId !== userId || state.revokedAt !== null || state.expiresAt <= now || idleExpired(s, state.lastUsedAt, now)) return false;
  if (now - state.lastUsedAt >= TOUCH_INTERVAL_MS) {
    await repo.touchSession(s.db, sessionId, new Date(now));
    s.cache.touched(sessionId, now);
  }
  return true;
}

/**
 * isActive without a promise, for the common case only: true when the cached state says
 * the session is live and its last use is recent enough to need no touch; undefined in
 * every other case, which isActive then decides (it never answers false here).
 */
export function isActiveCached(s: SessionsDeps, sessionId: string, userId: string): true | undefined {
  const state = s.cache.get(sessionId);
  if (!state) return undefined;
  const now = s.clock.now();
  if (state.userId !== userId || state.revokedAt !== null || state.expiresAt <= now || now - state.lastUsedAt >= TOUCH_INTERVAL_MS || idleExpired(s, state.lastUsedAt, now)) return undefined;
  return true;
}
