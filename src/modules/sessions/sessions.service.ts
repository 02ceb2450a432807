// Sessions and their refresh-token families. A session is one sign-in on one device;
// its refresh tokens rotate on every use, and a spent token presented after the reuse
// interval revokes the whole session (the token was stolen, or the client is broken).
// Every revocation is announced on the invalidation bus, so that each instance's cache
// of session state forgets it at once.
//
// Each use case is a plain function taking SessionsDeps first, in a file per theme
// (start, rotation, refresh-lookup, bearer-check, listing, revocation, reauthentication,
// prune); this file makes the instance's state once and binds the functions to it for
// the composition root and the routes. The bindings are made once, here: a call costs
// one plain function call more than the closure did, and allocates nothing more.
import { writeBatch, type PruneLimits, type WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import { isActive, isActiveCached } from './bearer-check.ts';
import { idleExpiresAt, list, ownerOf } from './listing.ts';
import { prune } from './prune.ts';
import { proof, reauthenticated } from './reauthentication.ts';
import { sessionOfRefreshToken } from './refresh-lookup.ts';
import { announce, revoke, revokeAllForUser, revokeAllForUserIn, revokeOneIn, revokeOwn } from './revocation.ts';
import { createFamilyRotations, rotate } from './rotation.ts';
import { createSessionCache } from './session-cache.ts';
import type { SessionContext, SessionsDeps, SessionsServiceDeps } from './sessions-deps.ts';
import { deviceFamiliarity, start, startBatched } from './start.ts';

export { MAX_SIBLINGS, type RotateResult } from './rotation.ts';
export { TOUCH_INTERVAL_MS } from './bearer-check.ts';
export type { NewSessionRow, Started } from './start.ts';
export type { SessionContext, SessionsDeps, SessionsServiceDeps } from './sessions-deps.ts';

/** The writes of sessions ended early, and the caller's, as one statement in their transaction. */
function endedIn(endedBatched: SessionsServiceDeps['endedBatched']): SessionsDeps['ended'] {
  return async (trx, ids, reason, record) => {
    const batch = writeBatch();
    endedBatched?.(batch, ids, reason);
    record?.(batch);
    await batch.run(trx);
  };
}

export function createSessionsService(deps: SessionsServiceDeps) {
  // The instance's one object: its dependencies, the settings derived from them, and its state.
  const s: SessionsDeps = {
    ...deps,
    idleMs: deps.idleTimeout * 1000,
    keep: deps.rotation === false,
    ended: endedIn(deps.endedBatched),
    cache: createSessionCache({ bus: deps.bus, clock: deps.clock }),
    rotations: createFamilyRotations(deps.query),
  };
  return {
    prune: (limits?: PruneLimits) => prune(s, limits),
    start: (trx: Db, userId: string, ctx: SessionContext, id?: string) => start(s, trx, userId, ctx, id),
    startBatched: (batch: WriteBatch, userId: string, ctx: SessionContext, id?: string) => startBatched(s, batch, userId, ctx, id),
    rotate: (refreshToken: string) => rotate(s, refreshToken),
    sessionOfRefreshToken: (refreshToken: string) => sessionOfRefreshToken(s, refreshToken),
    isActive: (sessionId: string, userId: string) => isActive(s, sessionId, userId),
    isActiveCached: (sessionId: string, userId: string) => isActiveCached(s, sessionId, userId),
    list: (userId: string) => list(s, userId),
    revokeOwn: (userId: string, sessionId: string, reason: string, record?: (batch: WriteBatch) => void) => revokeOwn(s, userId, sessionId, reason, record),
    revokeAllForUser: (userId: string, reason: string, keep?: string, record?: (batch: WriteBatch, ids: string[]) => void) => revokeAllForUser(s, userId, reason, keep, record),
    revokeAllForUserIn: (trx: Db, userId: string, reason: string, keep?: string) => revokeAllForUserIn(s, trx, userId, reason, keep),
    revokeOneIn: (trx: Db, userId: string, sessionId: string, reason: string) => revokeOneIn(s, trx, userId, sessionId, reason),
    revoke: (sessionId: string, reason: string) => revoke(s, sessionId, reason),
    announce: (ids: string[]) => announce(s, ids),
    deviceFamiliarity,
    proof: (sessionId: string) => proof(s, sessionId),
    reauthenticated: (sessionId: string, methods: string[]) => reauthenticated(s, sessionId, methods),
    /** The user of a session (any state), for the CLI's `sessions revoke <id>`. */
    ownerOf: (sessionId: string) => ownerOf(s, sessionId),
    /** When an idle session ends, or null without an idle timeout. */
    idleExpiresAt: (session: { last_used_at: Date }) => idleExpiresAt(s, session),
    cacheSize: () => s.cache.size(),
    /** The form of this service's refresh tokens (the benchmark's seeder writes sessions with it). */
    refreshTokens: deps.refreshTokens,
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
