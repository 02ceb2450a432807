// Ending sessions early: one, one of a user's, or all of a user's, in a transaction of
// their own or in the caller's. Each ending runs deps.ended in its transaction (the
// session.invalidated events) and is announced on the invalidation bus after commit, so
// that each instance's cache of session state forgets it at once.
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';

/** Tells every instance (this one included) that these sessions changed. */
export async function announce(s: SessionsDeps, ids: string[]): Promise<void> {
  for (const id of ids) await s.bus.publish({ kind: 'session', id });
}

/** Ends a session, whoever owns it; returns how many ended (0 or 1). */
export async function revoke(s: SessionsDeps, sessionId: string, reason: string): Promise<number> {
  const n = await s.db.transaction().execute(async (trx) => {
    const n = await repo.revokeSession(trx, sessionId, new Date(s.clock.now()), reason);
    if (n) await s.ended(trx, [sessionId], reason);
    return n;
  });
  await announce(s, [sessionId]);
  return Number(n);
}

/** Ends one session of the user; false when it is not theirs or not active. `record` is as in revokeAllForUser. */
export async function revokeOwn(s: SessionsDeps, userId: string, sessionId: string, reason: string, record?: (batch: WriteBatch) => void): Promise<boolean> {
  const n = await s.db.transaction().execute(async (trx) => {
    const n = await repo.revokeUserSession(trx, userId, sessionId, new Date(s.clock.now()), reason);
    if (n > 0) await s.ended(trx, [sessionId], reason, record);
    return n;
  });
  await announce(s, [sessionId]);
  return n > 0;
}

/**
 * Ends every session of the user but `keep`; returns how many ended. `record` adds its
 * writes (an audit entry) to the statement of the ended sessions' events, in the same
 * transaction, when any ended.
 */
export async function revokeAllForUser(s: SessionsDeps, userId: string, reason: string, keep?: string, record?: (batch: WriteBatch, ids: string[]) => void): Promise<number> {
  const ids = await s.db.transaction().execute(async (trx) => {
    const ids = await repo.revokeUserSessions(trx, userId, new Date(s.clock.now()), reason, keep);
    if (ids.length) await s.ended(trx, ids, reason, record && ((batch) => record(batch, ids)));
    return ids;
  });
  if (keep) await announce(s, ids);
  else await s.bus.publish({ kind: 'user_sessions', id: userId });
  return ids.length;
}

/**
 * Ends every session of the user but `keep` inside the caller's transaction; call the
 * returned function after commit, so that other instances re-read committed state.
 */
export async function revokeAllForUserIn(s: SessionsDeps, trx: Db, userId: string, reason: string, keep?: string): Promise<(() => Promise<void>) & { ids: string[] }> {
  const ids = await repo.revokeUserSessions(trx, userId, new Date(s.clock.now()), reason, keep);
  if (ids.length) await s.ended(trx, ids, reason);
  const after = async () => {
    if (keep) await announce(s, ids);
    else await s.bus.publish({ kind: 'user_sessions', id: userId });
  };
  return Object.assign(after, { ids });
}

/**
 * Ends one session of the user inside the caller's transaction; returns the function to
 * call after commit, or undefined when the session is not the user's or not active.
 */
export async function revokeOneIn(s: SessionsDeps, trx: Db, userId: string, sessionId: string, reason: string): Promise<(() => Promise<void>) | undefined> {
  const n = await repo.revokeUserSession(trx, userId, sessionId, new Date(s.clock.now()), reason);
  if (n > 0) await s.ended(trx, [sessionId], reason);
  return n > 0 ? () => announce(s, [sessionId]) : undefined;
}
