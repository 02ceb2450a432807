// Registration with a password: the account's row, its audit entry and its first
// verification message, all in one transaction.
import { writeBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import { normalizeUsername, optionalEmail, usernameFromEmail, type UserRow, type UsersService } from '../users/index.ts';
import type { AccountDeps } from './account-deps.ts';
import { registrantMark, sendVerificationBatched, type SentVerification } from './verification.ts';

export interface RegisterInput {
  username?: string | undefined;
  email?: string | undefined;
  password: string;
  locale: string;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * Registration with its verification message, queued in the same transaction. An
 * account without an address (AUTH_EMAIL_REQUIRED=false) has nothing to verify:
 * `verification` is null.
 */
export async function register(deps: AccountDeps, raw: RegisterInput) {
  const { email, input } = signUpInput(deps.users, raw);
  // The hook is asked first, for every attempt, before the address or the username is
  // looked up: its answer then says nothing about which accounts exist.
  await deps.beforeSignup?.({ method: 'password', email, username: normalizeUsername(input.username), locale: input.locale });
  // After the account's row, everything else is one statement in its transaction.
  const result = await deps.users.register(input, (trx, user) => recordRegistration(deps, trx, user));
  deps.mailer.flush();
  return { user: result.user, verification: result.extra ?? null, registrant: registrantMark(deps, result.user.id) };
}

/** The address and the username a registration asks for; refused here when what is needed is missing. */
function signUpInput(users: Pick<UsersService, 'emailRequired'>, raw: RegisterInput): { email: string | null; input: RegisterInput & { username: string } } {
  // Refused before the hook when an address is needed and missing (a plain 400).
  const email = optionalEmail(raw.email);
  if (email === null && users.emailRequired) throw new AppError('validation_failed', { details: [{ field: 'email', message: 'email is required' }] });
  // A sign-up with an address only (a replaced service's clients) gets a username made from it.
  if (raw.username === undefined && email === null) throw new AppError('validation_failed', { details: [{ field: 'username', message: 'username is required' }] });
  return { email, input: { ...raw, username: raw.username ?? usernameFromEmail(email!) } };
}

/** What follows the account's row in its transaction, as one batch: the audit entry, then the address's request record and verification message. */
async function recordRegistration(deps: AccountDeps, trx: Db, user: UserRow): Promise<SentVerification | null> {
  const batch = writeBatch();
  deps.auditBatched(batch, { type: 'user.registered', subject: user.id, details: { method: 'password', role: user.role }, user });
  let sent: SentVerification | null = null;
  if (user.email !== null) {
    deps.limits.recordBatched(batch, trx, user.email, 'verify_email');
    sent = sendVerificationBatched(deps, batch, trx, { ...user, email: user.email });
  }
  await batch.run(trx);
  return sent;
}
