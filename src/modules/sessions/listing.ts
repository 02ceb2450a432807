// A user's sessions as the session list shows them, and who owns a session.
import { idleCutoff, type SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';
import type { SessionRow } from './sessions.table.ts';

/** Live sessions of a user, newest first. */
export function list(s: SessionsDeps, userId: string): Promise<SessionRow[]> {
  const now = s.clock.now();
  return repo.listActive(s.db, userId, new Date(now), idleCutoff(s, now));
}

/** When an idle session ends, or null without an idle timeout. */
export function idleExpiresAt(s: SessionsDeps, session: { last_used_at: Date }): Date | null {
  return s.idleMs > 0 ? new Date(session.last_used_at.getTime() + s.idleMs) : null;
}

/** The user of a session (any state), for the CLI's `sessions revoke <id>`. */
export async function ownerOf(s: SessionsDeps, sessionId: string): Promise<string | undefined> {
  return (await repo.findSession(s.db, sessionId))?.user_id;
}
