// When a session's user last proved who they are, and how: what sensitive operations ask
// for (a recent proof, or a given method), and what a reauthentication records.
import type { SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';

/** When the session's user last proved who they are, and how (null: unknown session). */
export async function proof(s: SessionsDeps, sessionId: string): Promise<{ at: number; amr: string[] } | null> {
  const row = await repo.findSession(s.db, sessionId);
  if (!row || row.revoked_at) return null;
  return { at: (row.reauthenticated_at ?? row.created_at).getTime(), amr: row.amr };
}

/** Records a fresh proof (reauthentication), adding its methods to the session's amr. */
export async function reauthenticated(s: SessionsDeps, sessionId: string, methods: string[]): Promise<void> {
  const row = await repo.findSession(s.db, sessionId);
  if (!row) return;
  await repo.setReauthenticated(s.db, sessionId, new Date(s.clock.now()), [...new Set([...row.amr, ...methods])]);
}
