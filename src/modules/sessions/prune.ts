// What ended sessions leave behind, deleted by the hourly housekeeping.
import type { PruneLimits } from '../../core/db/index.ts';
import type { SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';

/**
 * The tokens of sessions that expired this recently are deleted at each housekeeping run;
 * older ones (a run missed, the backlog of an upgrade) go with their session. A window, so
 * that a run does not visit again every expired session kept for the retention.
 */
const TOKEN_SWEEP_MS = 86_400_000;

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
export async function prune(s: SessionsDeps, limits?: PruneLimits): Promise<{ refresh_tokens: number; sessions: number }> {
  const now = s.clock.now();
  const swept = await repo.pruneTokensOfSessionsExpiring(s.db, new Date(now - TOKEN_SWEEP_MS), new Date(now), limits);
  const old = await repo.pruneSessionsExpiredBefore(s.db, new Date(now - s.retention * 1000), limits);
  return { refresh_tokens: swept.deleted + old.childRows, sessions: old.deleted };
}
