// What a refresh token says without spending it (logout, token introspection): its
// session, if the token is known and the session live, by the same rules as a refresh.
import { sha256 } from '../../core/crypto/index.ts';
import { holdsCurrentSecret } from './rotation.ts';
import { idleExpired, type SessionsDeps } from './sessions-deps.ts';
import * as repo from './sessions.repo.ts';

/** The session a refresh token belongs to, if the token is known and the session live. */
export async function sessionOfRefreshToken(s: SessionsDeps, refreshToken: string) {
  const t = s.refreshTokens.parse(refreshToken);
  if (t) {
    if (!s.refreshTokens.authentic(t)) return undefined;
    const row = await repo.findFamily(s.db, t.sessionId, false);
    const now = s.clock.now();
    const current = row?.refresh_generation ?? null;
    if (!row || current === null || t.generation > current || row.revoked_at || row.expires_at.getTime() <= now || idleExpired(s, row.last_used_at.getTime(), now)) return undefined;
    const live = t.generation === current && holdsCurrentSecret(row, t);
    if (t.generation === current && !live) return undefined;
    return {
      sessionId: row.id, userId: row.user_id, client: row.client, amr: row.amr, spent: !live,
      issuedAt: row.refresh_rotated_at ?? row.created_at, expiresAt: row.expires_at,
    };
  }
  const row = await repo.findRefreshToken(s.db, sha256(refreshToken));
  const now = s.clock.now();
  if (!row || row.revoked_at || row.session_expires_at.getTime() <= now || row.expires_at.getTime() <= now || idleExpired(s, row.last_used_at.getTime(), now)) return undefined;
  return { sessionId: row.session_id, userId: row.user_id, client: row.client, amr: row.amr, spent: row.spent_at !== null, issuedAt: row.created_at, expiresAt: row.expires_at };
}
