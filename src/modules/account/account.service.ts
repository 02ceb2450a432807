// The email flows of an account: verification at registration, password reset and
// change, and change of email. Each proof (link or code) is checked and spent in the
// same transaction as its effect; messages are queued in that transaction and sent
// after commit. Answers to requests naming an address never depend on whether an
// account exists there: the account part of such a request runs after the answer.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditBatchRecorder, AuditRecorder } from '../audit/index.ts';
import { writeBatch, type WriteBatch } from '../../core/db/index.ts';
import type { BeforeSignup } from '../hooks/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import { normalizeEmail, normalizeUsername, optionalEmail, toPublicUser, usernameFromEmail, type PublicUser, type UserRow, type UsersService } from '../users/index.ts';
import { REQUESTED_PURPOSES, type AddressLimits, type AddressRule } from './address-limits.ts';
import type { Notices } from './notices.ts';
import type { OneTimeTokens, Proof } from './one-time-tokens.ts';
import type { AddressClaim } from '../sign-in/index.ts';
import { createKeyedHasher } from '../../core/crypto/index.ts';
import { timingSafeEqual } from 'node:crypto';

export interface AccountSettings {
  publicUrl: string;
  clientUrl: string;
  verificationExpiresIn: number;
  resendLimit: number;
  resendInterval: number;
  resetExpiresIn: number;
  emailChangeExpiresIn: number;
  addressLimit: number;
  addressWindow: number;
}

export interface AccountServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  users: UsersService;
  sessions: SessionsService;
  passwords: PasswordHasher;
  mailer: Mailer;
  notices: Notices;
  tokens: OneTimeTokens;
  limits: AddressLimits;
  settings: AccountSettings;
  audit: AuditRecorder;
  /** The same, as a write of a batch. */
  auditIn: AuditBatchRecorder;
  /** Checks, after an account is deleted in a transaction, that a super_admin remains. */
  afterDelete: (trx: Db, userId: string) => Promise<void>;
  /** The before-signup hook (AUTH_HOOK_BEFORE_SIGNUP_URL): may refuse a registration. */
  beforeSignup?: BeforeSignup | undefined;
  /** The first proof of an address settles who owns the account (the sign-in module's rule). */
  claim: AddressClaim['claim'];
  /** Keys the registrant mark (the browser or client that registered an account). */
  secret: string;
}

/** Work that continues after the answer; tracked so that shutdown waits for it. */
export function createBackground(log: Logger) {
  const pending = new Set<Promise<void>>();
  return {
    run(what: string, fn: () => Promise<void>): void {
      const p = fn().catch((err: unknown) => { log.error({ err, task: what }, `${what} failed`); }).finally(() => { pending.delete(p); });
      pending.add(p);
    },
    async settle(): Promise<void> {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}
export type Background = ReturnType<typeof createBackground>;

type Outcome<T> = { ok: true; value: T } | { ok: false; code: 'email_token_invalid' | 'email_token_expired' | 'invalid_code' | 'too_many_attempts' };

export function createAccountService(deps: AccountServiceDeps, background: Background) {
  const { db, users, mailer, tokens, limits, settings: s } = deps;
  const keyed = createKeyedHasher(deps.secret, 'tessera/registrant/v1');

  /**
   * The registrant mark of an account: handed to whoever registered it (a cookie for a
   * browser), and shown back with the address's proof, it says the proof comes from the
   * one who set the password, so the first proof of the address keeps what they set.
   */
  const registrantMark = (userId: string) => keyed('registrant', userId).toString('base64url');
  const isRegistrant = (userId: string, mark: string | undefined) => {
    if (!mark) return false;
    const want = Buffer.from(registrantMark(userId));
    const got = Buffer.from(mark);
    return got.length === want.length && timingSafeEqual(got, want);
  };
  const everything: AddressRule = { purposes: REQUESTED_PURPOSES, max: s.addressLimit, windowSeconds: s.addressWindow };

  /** Runs a proof check and its effect in one transaction; a failed check still commits its attempt count. */
  async function withProof<T>(run: (trx: Db) => Promise<Outcome<T>>): Promise<T> {
    const outcome = await db.transaction().execute(run);
    if (!outcome.ok) throw new AppError(outcome.code);
    return outcome.value;
  }

  /** Queues the verification message for a user (inside the caller's transaction). */
  async function sendVerification(trx: Db, user: UserRow & { email: string }): Promise<{ id: string; expiresAt: Date }> {
    const batch = writeBatch();
    const sent = sendVerificationIn(batch, trx, user);
    await batch.run(trx);
    return sent;
  }

  /** sendVerification as writes of a batch: the token, and the message that carries it. */
  function sendVerificationIn(batch: WriteBatch, on: Db, user: UserRow & { email: string }): { id: string; expiresAt: Date } {
    const issued = tokens.issueIn(batch, on, { purpose: 'verify_email', userId: user.id, email: user.email, ttlSeconds: s.verificationExpiresIn });
    mailer.sendIn(batch, 'verify_email', user.email, user.locale, {
      username: user.username, email: user.email, code: issued.code,
      link: `${s.publicUrl}/auth/verify-email?token=${issued.token}`,
      expiresIn: mailer.duration(user.locale, s.verificationExpiresIn),
    });
    return { id: issued.id, expiresAt: issued.expiresAt };
  }

  /**
   * Registration with its verification message, queued in the same transaction. An
   * account without an address (AUTH_EMAIL_REQUIRED=false) has nothing to verify:
   * `verification` is null.
   */
  async function register(raw: { username?: string | undefined; email?: string | undefined; password: string; locale: string; metadata?: Record<string, unknown> | undefined }) {
    // Refused before the hook when an address is needed and missing (a plain 400).
    const email = optionalEmail(raw.email);
    if (email === null && users.emailRequired) throw new AppError('validation_failed', { details: [{ field: 'email', message: 'email is required' }] });
    // A sign-up with an address only (a replaced service's clients) gets a username made from it.
    if (raw.username === undefined && email === null) throw new AppError('validation_failed', { details: [{ field: 'username', message: 'username is required' }] });
    const input = { ...raw, username: raw.username ?? usernameFromEmail(email!) };
    // The hook is asked first, for every attempt, before the address or the username is
    // looked up: its answer then says nothing about which accounts exist.
    await deps.beforeSignup?.({ method: 'password', email, username: normalizeUsername(input.username), locale: input.locale });
    // After the account's row, everything else is one statement in its transaction.
    const result = await users.register(input, async (trx, user) => {
      const batch = writeBatch();
      deps.auditIn(batch, { type: 'user.registered', subject: user.id, details: { method: 'password', role: user.role } }, { user });
      let sent: { id: string; expiresAt: Date } | null = null;
      if (user.email !== null) {
        limits.recordIn(batch, trx, user.email, 'verify_email');
        sent = sendVerificationIn(batch, trx, { ...user, email: user.email });
      }
      await batch.run(trx);
      return sent;
    });
    mailer.flush();
    return { user: result.user, verification: result.extra ?? null, registrant: registrantMark(result.user.id) };
  }

  /**
   * Proves an address with its verification link or code. The registrant (the registration's
   * verification id with the code, or the registrant mark) keeps what they set; anyone else
   * proving a still unverified address ends what came before (see the address claim).
   */
  async function verifyEmail(proof: Proof, registrant?: string, registrationId?: string): Promise<PublicUser & { emailVerified: true; credentialsCleared?: true }> {
    const { user, claimed } = await withProof(async (trx) => {
      const checked = await tokens.consume(trx, 'verify_email', proof);
      if (!checked.ok) return checked;
      const u = checked.row.user_id ? await users.findById(checked.row.user_id, trx) : undefined;
      // The address changed since the message was sent: the proof is for another address.
      if (!u || u.email !== checked.row.email) return { ok: false, code: 'email_token_invalid' } as const;
      const byRegistrant = 'id' in proof || isRegistrant(u.id, registrant) || (registrationId !== undefined && (await tokens.wasIssuedTo(trx, registrationId, 'verify_email', u.id)));
      const claimed = await deps.claim(trx, u, 'verification', byRegistrant);
      if (!u.email_verified) await deps.audit(trx, { type: 'email.verified', subject: u.id, details: { email: u.email } });
      return { ok: true, value: { user: u, claimed } };
    });
    await claimed.after();
    await users.changed(user.id);
    return { ...toPublicUser(user), emailVerified: true, ...(claimed.cleared ? { credentialsCleared: true } : {}) };
  }

  async function resendVerification(email: string): Promise<void> {
    const address = normalizeEmail(email);
    await db.transaction().execute((trx) => limits.take(trx, address, 'verify_resend', [
      everything,
      { purposes: ['verify_email', 'verify_resend'], max: 1, windowSeconds: s.resendInterval },
      { purposes: ['verify_resend'], max: s.resendLimit, windowSeconds: s.verificationExpiresIn },
    ]));
    background.run('verification resend', async () => {
      const user = await users.findByEmail(address);
      if (!user?.email || user.email_verified || !user.is_active) return;
      const withAddress = { ...user, email: user.email };
      await db.transaction().execute((trx) => sendVerification(trx, withAddress));
      mailer.flush();
    });
  }

  /**
   * A new verification code for the registrant who holds an earlier verification id (a
   * replaced service's clients resend by id): the answer is the new id. An id that is not a
   * verification of a still unverified, active account is refused like a wrong code.
   */
  async function resendVerificationFor(verificationId: string): Promise<{ id: string; expiresAt: Date }> {
    const owner = await tokens.ownerOf(db, verificationId, 'verify_email');
    const user = owner ? await users.findById(owner) : undefined;
    if (!user?.email || user.email_verified || !user.is_active) throw new AppError('email_token_invalid');
    const withAddress = { ...user, email: user.email };
    const sent = await db.transaction().execute(async (trx) => {
      await limits.take(trx, withAddress.email, 'verify_resend', [
        everything,
        { purposes: ['verify_email', 'verify_resend'], max: 1, windowSeconds: s.resendInterval },
        { purposes: ['verify_resend'], max: s.resendLimit, windowSeconds: s.verificationExpiresIn },
      ]);
      return sendVerification(trx, withAddress);
    });
    mailer.flush();
    return sent;
  }

  async function forgotPassword(email: string): Promise<void> {
    const address = normalizeEmail(email);
    await db.transaction().execute((trx) => limits.take(trx, address, 'password_reset', [everything]));
    background.run('password reset request', async () => {
      const user = await users.findByEmail(address);
      if (!user?.is_active) return;
      await db.transaction().execute((trx) => sendPasswordEmail(trx, user, 'password_reset'));
      mailer.flush();
    });
  }

  /**
   * Queues a message with a link and code to choose a password: `password_reset` (asked
   * for, or forced by an admin) or `password_setup` (an account an admin created, valid
   * for at least three days). Both are spent by POST /auth/reset-password.
   */
  async function sendPasswordEmail(trx: Db, user: UserRow, kind: 'password_reset' | 'password_setup'): Promise<void> {
    if (user.email === null) throw new AppError('email_required');
    const ttl = kind === 'password_setup' ? Math.max(s.resetExpiresIn, 3 * 86_400) : s.resetExpiresIn;
    const issued = await tokens.issue(trx, { purpose: 'password_reset', userId: user.id, email: user.email, ttlSeconds: ttl });
    await mailer.send(trx, kind, user.email, user.locale, {
      username: user.username, email: user.email, code: issued.code,
      link: `${s.clientUrl}/reset-password?token=${issued.token}`,
      expiresIn: mailer.duration(user.locale, ttl),
    });
  }

  /** Sets a new password from a reset proof; every session of the user ends. */
  async function resetPassword(proof: Proof, password: string): Promise<void> {
    // The policy (history, breach check) and the hash are slow: done before the short
    // transaction that spends the proof. A proof that leads nowhere fails there.
    const target = await tokens.peekUser(db, 'password_reset', proof);
    const targetUser = target ? await users.findById(target) : undefined;
    if (targetUser) await users.checkNewPassword(targetUser, password);
    const hash = await deps.passwords.hash(password);
    const { user, announce } = await withProof(async (trx) => {
      const checked = await tokens.consume(trx, 'password_reset', proof);
      if (!checked.ok) return checked;
      const u = checked.row.user_id ? await users.findById(checked.row.user_id, trx) : undefined;
      if (!u || u.email !== checked.row.email || u.id !== targetUser?.id) return { ok: false, code: 'email_token_invalid' } as const;
      if (!u.is_active) throw new AppError('account_disabled');
      // The message reached this mailbox, so the address is proven too: a first proof
      // removes what an earlier registrant set (the new password is set just after).
      const claimed = await deps.claim(trx, u, 'password_reset', false);
      await users.setPassword(trx, u.id, hash);
      await tokens.revokeForUser(trx, u.id, 'password_reset');
      await deps.notices.passwordChanged(trx, u);
      await deps.audit(trx, { type: 'password.reset', subject: u.id, actor: { type: 'user', id: u.id }, details: { via: 'reset' } });
      const revoked = await deps.sessions.revokeAllForUserIn(trx, u.id, 'password_reset');
      const announce = async () => { await claimed.after(); await revoked(); };
      return { ok: true, value: { user: u, announce } };
    });
    await announce();
    await users.changed(user.id);
    mailer.flush();
  }

  /** A token that only allows setting a new password, for a sign-in with an expired one. */
  async function issuePasswordChange(user: UserRow, amr: string[]): Promise<{ token: string; expiresAt: Date }> {
    // Never mailed: the address is only recorded (none for an account without one).
    const t = await db.transaction().execute((trx) => tokens.issue(trx, { purpose: 'password_expired', userId: user.id, email: user.email ?? '', ttlSeconds: 15 * 60, amr }));
    return { token: t.token, expiresAt: t.expiresAt };
  }

  /**
   * Sets a new password with the token of an expired sign-in; returns the user and what
   * the flow had proven (the sign-in gate continues from there).
   */
  async function replaceExpiredPassword(token: string, password: string): Promise<{ user: UserRow; amr: string[] }> {
    const target = await tokens.peekUser(db, 'password_expired', { token });
    const targetUser = target ? await users.findById(target) : undefined;
    if (targetUser) {
      // The expired password itself is never accepted again, whatever the history setting.
      if (targetUser.password_hash && (await deps.passwords.verify(targetUser.password_hash, password)).ok) throw new AppError('password_reused');
      await users.checkNewPassword(targetUser, password);
    }
    const hash = await deps.passwords.hash(password);
    const user = await withProof(async (trx) => {
      const checked = await tokens.consume(trx, 'password_expired', { token });
      if (!checked.ok) return checked;
      const u = checked.row.user_id ? await users.findById(checked.row.user_id, trx) : undefined;
      if (!u || u.id !== targetUser?.id) return { ok: false, code: 'email_token_invalid' } as const;
      if (!u.is_active) throw new AppError('account_disabled');
      await users.setPassword(trx, u.id, hash);
      await deps.notices.passwordChanged(trx, u);
      await deps.audit(trx, { type: 'password.reset', subject: u.id, actor: { type: 'user', id: u.id }, details: { via: 'expired_password' } });
      return { ok: true, value: { user: u, amr: checked.row.amr ? checked.row.amr.split(' ') : ['pwd'] } };
    });
    await users.changed(user.user.id);
    mailer.flush();
    return user;
  }

  /** A signed-in user changes their password; their other sessions end, this one stays. */
  async function changePassword(userId: string, sessionId: string, current: string, next: string): Promise<void> {
    const user = await users.findById(userId);
    if (!user) throw new AppError('unauthorized');
    if (!user.password_hash) {
      await deps.passwords.dummyVerify(current);
      throw new AppError('invalid_current_password');
    }
    if (!(await deps.passwords.verify(user.password_hash, current)).ok) throw new AppError('invalid_current_password');
    await users.checkNewPassword(user, next);
    const hash = await deps.passwords.hash(next);
    const announce = await db.transaction().execute(async (trx) => {
      await users.setPassword(trx, user.id, hash);
      await tokens.revokeForUser(trx, user.id, 'password_reset');
      await deps.notices.passwordChanged(trx, user);
      await deps.audit(trx, { type: 'password.changed', subject: user.id });
      return deps.sessions.revokeAllForUserIn(trx, user.id, 'password_changed', sessionId);
    });
    await announce();
    await users.changed(user.id);
    mailer.flush();
  }

  /** Sends a confirmation to the new address and a notice to the current one; nothing changes yet. */
  async function requestEmailChange(userId: string, newEmail: string): Promise<{ id: string; expiresAt: Date }> {
    const address = normalizeEmail(newEmail);
    const user = await users.findById(userId);
    if (!user) throw new AppError('unauthorized');
    if (address === user.email) throw new AppError('email_unchanged');
    if (await users.findByEmail(address)) throw new AppError('email_taken');
    const issued = await db.transaction().execute(async (trx) => {
      await limits.take(trx, address, 'email_change', [everything]);
      const t = await tokens.issue(trx, { purpose: 'email_change', userId: user.id, email: address, ttlSeconds: s.emailChangeExpiresIn });
      await mailer.send(trx, 'email_change_confirm', address, user.locale, {
        username: user.username, email: user.email, newEmail: address, code: t.code,
        link: `${s.publicUrl}/auth/email/change/confirm?token=${t.token}`,
        expiresIn: mailer.duration(user.locale, s.emailChangeExpiresIn),
      });
      // An account without an address is adding one: there is no current address to warn.
      if (user.email !== null) await mailer.send(trx, 'email_change_notice', user.email, user.locale, { username: user.username, email: user.email, newEmail: address });
      return t;
    });
    mailer.flush();
    return { id: issued.id, expiresAt: issued.expiresAt };
  }

  async function confirmEmailChange(proof: Proof): Promise<PublicUser & { emailVerified: true }> {
    const userId = await withProof(async (trx) => {
      const checked = await tokens.consume(trx, 'email_change', proof);
      if (!checked.ok) return checked;
      if (!checked.row.user_id) return { ok: false, code: 'email_token_invalid' } as const;
      const before = await users.findById(checked.row.user_id, trx);
      await users.updateEmail(trx, checked.row.user_id, checked.row.email);
      await deps.audit(trx, { type: 'email.changed', subject: checked.row.user_id, actor: { type: 'user', id: checked.row.user_id }, details: { from: before?.email ?? null, to: checked.row.email } });
      return { ok: true, value: checked.row.user_id };
    });
    await users.changed(userId);
    const user = await users.findById(userId);
    if (!user) throw new AppError('not_found');
    return { ...toPublicUser(user), emailVerified: true };
  }

  /**
   * The signed-in user picks another username (unique regardless of case, like at
   * registration). The same name is no change and writes nothing.
   */
  async function changeUsername(userId: string, username: string): Promise<PublicUser> {
    const wanted = normalizeUsername(username);
    const user = await users.findById(userId);
    if (!user) throw new AppError('unauthorized');
    if (wanted === user.username) return toPublicUser(user);
    // Cheap check first for a clear answer; the unique index decides a race.
    const holder = await users.findByUsername(wanted);
    if (holder && holder.id !== user.id) throw new AppError('username_taken');
    await db.transaction().execute(async (trx) => {
      await users.update(trx, user.id, { username: wanted });
      await deps.audit(trx, { type: 'username.changed', subject: user.id, details: { from: user.username, to: wanted } });
    });
    await users.changed(user.id);
    return { ...toPublicUser(user), username: wanted };
  }

  /** Deletes the account and everything that hangs on it; every session ends at once. */
  async function deleteAccount(userId: string): Promise<void> {
    const announce = await db.transaction().execute(async (trx) => {
      const announce = await deps.sessions.revokeAllForUserIn(trx, userId, 'account_deleted');
      await users.delete(trx, userId);
      // The last super_admin cannot leave this way either.
      await deps.afterDelete(trx, userId);
      await deps.audit(trx, { type: 'account.deleted', subject: userId });
      return announce;
    });
    await announce();
    await users.changed(userId);
  }

  return { changeUsername, deleteAccount, sendPasswordEmail, issuePasswordChange, replaceExpiredPassword, register, verifyEmail, resendVerification, resendVerificationFor, forgotPassword, resetPassword, changePassword, requestEmailChange, confirmEmailChange };
}

export type AccountService = ReturnType<typeof createAccountService>;
