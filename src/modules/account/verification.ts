// Proof of an address: the verification message and its resends, the check of its link or
// code, and the registrant mark that lets whoever registered keep what they set.
import { timingSafeEqual } from 'node:crypto';
import { writeBatch, type WriteBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import { normalizeEmail, toPublicUser, type PublicUser, type UserRow } from '../users/index.ts';
import type { AddressRule } from './address-limits.ts';
import type { AccountDeps, AccountSettings } from './account-deps.ts';
import { everyRequest, withProof, type Outcome } from './account-steps.ts';
import type { Proof } from './one-time-tokens.ts';

/** A user with an address: the only kind a verification message can go to. */
export type AddressedUser = UserRow & { email: string };

/** A verification message queued: the id its code is shown with, and when it ends. */
export interface SentVerification {
  id: string;
  expiresAt: Date;
}

/** What the first proof of an address settled (see the address claim). */
type Claimed = Awaited<ReturnType<AccountDeps['claim']>>;

/** What queueing a verification message uses. */
type VerificationMailDeps = Pick<AccountDeps, 'tokens' | 'mailer' | 'settings'>;

/**
 * The registrant mark of an account: handed to whoever registered it (a cookie for a
 * browser), and shown back with the address's proof, it says the proof comes from the
 * one who set the password, so the first proof of the address keeps what they set.
 */
export function registrantMark(deps: Pick<AccountDeps, 'registrantKey'>, userId: string): string {
  return deps.registrantKey('registrant', userId).toString('base64url');
}

/** Whether `mark` is the account's registrant mark (compared in constant time). */
function isRegistrant(deps: Pick<AccountDeps, 'registrantKey'>, userId: string, mark: string | undefined): boolean {
  if (!mark) return false;
  const want = Buffer.from(registrantMark(deps, userId));
  const got = Buffer.from(mark);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Queues the verification message for a user (inside the caller's transaction). */
export async function sendVerification(deps: VerificationMailDeps, trx: Db, user: AddressedUser): Promise<SentVerification> {
  const batch = writeBatch();
  const sent = sendVerificationBatched(deps, batch, trx, user);
  await batch.run(trx);
  return sent;
}

/** sendVerification as writes of a batch: the token, and the message that carries it. */
export function sendVerificationBatched(deps: VerificationMailDeps, batch: WriteBatch, on: Db, user: AddressedUser): SentVerification {
  const { tokens, mailer, settings: s } = deps;
  const issued = tokens.issueBatched(batch, on, { purpose: 'verify_email', userId: user.id, email: user.email, ttlSeconds: s.verificationExpiresIn });
  mailer.sendBatched(batch, 'verify_email', user.email, user.locale, {
    username: user.username, email: user.email, code: issued.code,
    link: `${s.publicUrl}/auth/verify-email?token=${issued.token}`,
    expiresIn: mailer.duration(user.locale, s.verificationExpiresIn),
  });
  return { id: issued.id, expiresAt: issued.expiresAt };
}

/**
 * Proves an address with its verification link or code. The registrant (the registration's
 * verification id with the code, or the registrant mark) keeps what they set; anyone else
 * proving a still unverified address ends what came before (see the address claim).
 */
export async function verifyEmail(deps: AccountDeps, proof: Proof, registrant?: string, registrationId?: string): Promise<PublicUser & { emailVerified: true; credentialsCleared?: true }> {
  const { user, claimed } = await withProof(deps.db, (trx) => spendVerificationProof(deps, trx, proof, registrant, registrationId));
  await claimed.after();
  await deps.users.changed(user.id);
  return { ...toPublicUser(user), emailVerified: true, ...(claimed.cleared ? { credentialsCleared: true } : {}) };
}

/** verifyEmail's transaction: spends the proof, settles the address claim, and records a first verification. */
async function spendVerificationProof(deps: AccountDeps, trx: Db, proof: Proof, registrant: string | undefined, registrationId: string | undefined): Promise<Outcome<{ user: UserRow; claimed: Claimed }>> {
  const { tokens, users } = deps;
  const checked = await tokens.consume(trx, 'verify_email', proof);
  if (!checked.ok) return checked;
  const u = checked.row.user_id ? await users.findById(checked.row.user_id, trx) : undefined;
  // The address changed since the message was sent: the proof is for another address.
  if (!u || u.email !== checked.row.email) return { ok: false, code: 'email_token_invalid' } as const;
  const byRegistrant = 'id' in proof || isRegistrant(deps, u.id, registrant) || (registrationId !== undefined && (await tokens.wasIssuedTo(trx, registrationId, 'verify_email', u.id)));
  const claimed = await deps.claim(trx, u, 'verification', byRegistrant);
  if (!u.email_verified) await deps.audit(trx, { type: 'email.verified', subject: u.id, details: { email: u.email } });
  return { ok: true, value: { user: u, claimed } };
}

/** What a resend counts against: every request, one message per interval, a cap per message lifetime. */
function resendRules(s: AccountSettings): AddressRule[] {
  return [
    everyRequest(s),
    { purposes: ['verify_email', 'verify_resend'], max: 1, windowSeconds: s.resendInterval },
    { purposes: ['verify_resend'], max: s.resendLimit, windowSeconds: s.verificationExpiresIn },
  ];
}

/** A new verification message to an address; whether an account is there is settled after the answer. */
export async function resendVerification(deps: AccountDeps, email: string): Promise<void> {
  const { db, users, mailer, limits } = deps;
  const address = normalizeEmail(email);
  await db.transaction().execute((trx) => limits.take(trx, address, 'verify_resend', resendRules(deps.settings)));
  deps.background.run('verification resend', async () => {
    const user = await users.findByEmail(address);
    if (!user?.email || user.email_verified || !user.is_active) return;
    const withAddress = { ...user, email: user.email };
    await db.transaction().execute((trx) => sendVerification(deps, trx, withAddress));
    mailer.flush();
  });
}

/**
 * A new verification code for the registrant who holds an earlier verification id (a
 * replaced service's clients resend by id): the answer is the new id. An id that is not a
 * verification of a still unverified, active account is refused like a wrong code.
 */
export async function resendVerificationFor(deps: AccountDeps, verificationId: string): Promise<SentVerification> {
  const { db, users, mailer, tokens, limits } = deps;
  const owner = await tokens.ownerOf(db, verificationId, 'verify_email');
  const user = owner ? await users.findById(owner) : undefined;
  if (!user?.email || user.email_verified || !user.is_active) throw new AppError('email_token_invalid');
  const withAddress = { ...user, email: user.email };
  const sent = await db.transaction().execute(async (trx) => {
    await limits.take(trx, withAddress.email, 'verify_resend', resendRules(deps.settings));
    return sendVerification(deps, trx, withAddress);
  });
  mailer.flush();
  return sent;
}
