// Who owns an address when it is first proven. Anyone can register `victim@example.com`
// before its owner does, sign in and keep the session (pre-account hijacking). So when an
// unverified address is first proven (a verification link or code, a magic link, an email
// code, a password reset), every credential set before the proof belongs to whoever
// registered, not necessarily to the owner of the mailbox: unless the proof comes from
// that registrant in the same flow, earlier sessions end and the password, second
// factors, passkeys and provider identities are removed. The owner then holds the only
// way in (the mailbox) and sets a password through a reset.
import type { Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { UserRow, UsersService } from '../users/index.ts';

export type AddressProof = 'verification' | 'magic_link' | 'email_code' | 'password_reset';

export interface AddressClaimDeps {
  users: Pick<UsersService, 'markEmailVerified' | 'clearPassword'>;
  sessions: Pick<SessionsService, 'revokeAllForUserIn'>;
  /** Removes second factors, passkeys and provider identities (their owners' modules do it). */
  clearCredentials: (trx: Db, userId: string) => Promise<{ factors: number; passkeys: number; identities: number }>;
  audit: AuditRecorder;
}

export interface Claimed {
  /** Whether earlier credentials were removed. */
  cleared: boolean;
  /** Call after commit: announces the ended sessions. */
  after: () => Promise<void>;
}

export function createAddressClaim(deps: AddressClaimDeps) {
  /**
   * Marks the user's address proven inside the caller's transaction. `byRegistrant`: the
   * proof came with evidence that its sender is the one who set the password (see
   * docs/security.md); otherwise, the first proof of an address clears what came before.
   */
  async function claim(trx: Db, user: UserRow, how: AddressProof, byRegistrant: boolean): Promise<Claimed> {
    const none = { cleared: false, after: async () => {} };
    // No address, nothing to claim (AUTH_EMAIL_REQUIRED=false).
    if (user.email === null || user.email_verified) return none;
    await deps.users.markEmailVerified(trx, user.id);
    if (byRegistrant) return none;
    const ended = await deps.sessions.revokeAllForUserIn(trx, user.id, 'address_claimed');
    const hadPassword = Boolean(user.password_hash);
    if (hadPassword) await deps.users.clearPassword(trx, user.id);
    const removed = await deps.clearCredentials(trx, user.id);
    const cleared = hadPassword || ended.ids.length > 0 || removed.factors + removed.passkeys + removed.identities > 0;
    if (cleared) {
      await deps.audit(trx, {
        type: 'account.address_claimed', subject: user.id, actor: { type: 'system' },
        details: { proof: how, sessionsRevoked: ended.ids.length, passwordCleared: hadPassword, ...removed },
      });
    }
    return { cleared, after: ended };
  }

  return { claim };
}

export type AddressClaim = ReturnType<typeof createAddressClaim>;
