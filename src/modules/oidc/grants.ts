// Grants that are live or ended. A grant is this module's row, but its own session and the
// browser session it was started from are the sessions module's: their state is asked of
// that module by id, never joined to.
import type { Db } from '../../database.ts';
import { sessionStates } from '../sessions/index.ts';
import * as repo from './oidc.repo.ts';

/** The grants whose own session is live (exists, not revoked), each with that session's user. */
async function liveOnly<T extends { session_id: string }>(db: Db, grants: T[]): Promise<(T & { session_user_id: string })[]> {
  if (!grants.length) return [];
  const states = new Map((await sessionStates(db, [...new Set(grants.map((g) => g.session_id))])).map((s) => [s.id, s]));
  return grants.flatMap((g) => {
    const s = states.get(g.session_id);
    return s && s.revoked_at === null ? [{ ...g, session_user_id: s.user_id }] : [];
  });
}

/** Live grants started from a browser session, with their client's back-channel logout URI. */
export async function liveGrantsOfSso(db: Db, ssoSessionId: string) {
  return liveOnly(db, await repo.grantsOfSso(db, ssoSessionId));
}

/** Live grants of a user to a client. */
export async function liveGrantsOf(db: Db, userId: string, clientId: string) {
  return liveOnly(db, await repo.grantsOf(db, userId, clientId));
}

/** Live grants held by a client, each with its session's user. */
export async function liveGrantsOfClient(db: Db, clientId: string) {
  return liveOnly(db, await repo.grantsOfClient(db, clientId));
}

/**
 * Grants whose browser session ended (revoked, or gone) and whose client was not told yet,
 * with their own session's revocation: those of one browser session, or every one of a
 * user (at most 500). A grant whose own session is gone is left out.
 */
export async function grantsOfEndedSso(db: Db, by: { ssoSessionId: string } | { userId: string }) {
  const grants = await repo.unnotifiedSsoGrants(db, by);
  if (!grants.length) return [];
  const ids = new Set(grants.flatMap((g) => [g.session_id, ...(g.sso_session_id === null ? [] : [g.sso_session_id])]));
  const states = new Map((await sessionStates(db, [...ids])).map((s) => [s.id, s]));
  return grants.flatMap((g) => {
    const own = states.get(g.session_id);
    const sso = g.sso_session_id === null ? undefined : states.get(g.sso_session_id);
    return own && (!sso || sso.revoked_at !== null) ? [{ ...g, revoked_at: own.revoked_at }] : [];
  }).slice(0, 500);
}
