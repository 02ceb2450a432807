// A new password from a one-time token: the reset asked for by address (or sent by an
// admin), and the change forced at sign-in when the password has expired.
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import { normalizeEmail, type UserRow } from '../users/index.ts';
import type { AccountDeps } from './account-deps.ts';
import { everyRequest, withProof, type Outcome } from './account-steps.ts';
import type { Proof, TokenPurpose } from './one-time-tokens.ts';

/** A password reset asked for by address; whether an account is there is settled after the answer. */
export async function forgotPassword(deps: AccountDeps, email: string): Promise<void> {
  const { db, users, mailer, limits } = deps;
  const address = normalizeEmail(email);
  await db.transaction().execute((trx) => limits.take(trx, address, 'password_reset', [everyRequest(deps.settings)]));
  deps.background.run('password reset request', async () => {
    const user = await users.findByEmail(address);
    if (!user?.is_active) return;
    await db.transaction().execute((trx) => sendPasswordEmail(deps, trx, user, 'password_reset'));
    mailer.flush();
  });
}

/**
 * Queues a message with a link and code to choose a password: `password_reset` (asked
 * for, or forced by an admin) or `password_setup` (an account an admin created, valid
 * for at least three days). Both are spent by POST /auth/reset-password.
 */
export async function sendPasswordEmail(deps: Pick<AccountDeps, 'tokens' | 'mailer' | 'settings'>, trx: Db, user: UserRow, kind: 'password_reset' | 'password_setup'): Promise<void> {
  const { tokens, mailer, settings: s } = deps;
  if (user.email === null) throw new AppError('email_required');
  const ttl = kind === 'password_setup' ? Math.max(s.resetExpiresIn, 3 * 86_400) : s.resetExpiresIn;
  const issued = await tokens.issue(trx, { purpose: 'password_reset', userId: user.id, email: user.email, ttlSeconds: ttl });
  await mailer.send(trx, kind, user.email, user.locale, {
    username: user.username, email: user.email, code: issued.code,
    link: `${s.clientUrl}/reset-password?token=${issued.token}`,
    expiresIn: mailer.duration(user.locale, ttl),
  });
}

/** The user a token was issued to, looked up without spending it (undefined when it leads nowhere). */
async function tokenTarget(deps: AccountDeps, purpose: TokenPurpose, proof: Proof): Promise<UserRow | undefined> {
  const target = await deps.tokens.peekUser(deps.db, purpose, proof);
  return target ? await deps.users.findById(target) : undefined;
}

/** Sets a new password from a reset proof; every session of the user ends. */
export async function resetPassword(deps: AccountDeps, proof: Proof, password: string): Promise<void> {
  // The policy (history, breach check) and the hash are slow: done before the short
  // transaction that spends the proof. A proof that leads nowhere fails there.
  const targetUser = await tokenTarget(deps, 'password_reset', proof);
  if (targetUser) await deps.users.checkNewPassword(targetUser, password);
  const hash = await deps.passwords.hash(password);
  const { user, announce } = await withProof(deps.db, (trx) => spendResetProof(deps, trx, proof, targetUser, hash));
  await announce();
  await deps.users.changed(user.id);
  deps.mailer.flush();
}

/** resetPassword's transaction: spends the proof, claims the address, sets the password and ends the sessions. */
async function spendResetProof(deps: AccountDeps, trx: Db, proof: Proof, targetUser: UserRow | undefined, hash: string): Promise<Outcome<{ user: UserRow; announce: () => Promise<void> }>> {
  const { tokens, users } = deps;
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
}

/** A token that only allows setting a new password, for a sign-in with an expired one. */
export async function issuePasswordChange(deps: AccountDeps, user: UserRow, amr: string[]): Promise<{ token: string; expiresAt: Date }> {
  // Never mailed: the address is only recorded (none for an account without one).
  const t = await deps.db.transaction().execute((trx) => deps.tokens.issue(trx, { purpose: 'password_expired', userId: user.id, email: user.email ?? '', ttlSeconds: 15 * 60, amr }));
  return { token: t.token, expiresAt: t.expiresAt };
}

/**
 * Sets a new password with the token of an expired sign-in; returns the user and what
 * the flow had proven (the sign-in gate continues from there).
 */
export async function replaceExpiredPassword(deps: AccountDeps, token: string, password: string): Promise<{ user: UserRow; amr: string[] }> {
  const targetUser = await tokenTarget(deps, 'password_expired', { token });
  if (targetUser) {
    // The expired password itself is never accepted again, whatever the history setting.
    if (targetUser.password_hash && (await deps.passwords.verify(targetUser.password_hash, password)).ok) throw new AppError('password_reused');
    await deps.users.checkNewPassword(targetUser, password);
  }
  const hash = await deps.passwords.hash(password);
  const user = await withProof(deps.db, (trx) => spendExpiredPasswordToken(deps, trx, token, targetUser, hash));
  await deps.users.changed(user.user.id);
  deps.mailer.flush();
  return user;
}

/** replaceExpiredPassword's transaction: spends the token and sets the password; sessions stay (the gate starts the next). */
async function spendExpiredPasswordToken(deps: AccountDeps, trx: Db, token: string, targetUser: UserRow | undefined, hash: string): Promise<Outcome<{ user: UserRow; amr: string[] }>> {
  const { tokens, users } = deps;
  const checked = await tokens.consume(trx, 'password_expired', { token });
  if (!checked.ok) return checked;
  const u = checked.row.user_id ? await users.findById(checked.row.user_id, trx) : undefined;
  if (!u || u.id !== targetUser?.id) return { ok: false, code: 'email_token_invalid' } as const;
  if (!u.is_active) throw new AppError('account_disabled');
  await users.setPassword(trx, u.id, hash);
  await deps.notices.passwordChanged(trx, u);
  await deps.audit(trx, { type: 'password.reset', subject: u.id, actor: { type: 'user', id: u.id }, details: { via: 'expired_password' } });
  return { ok: true, value: { user: u, amr: checked.row.amr ? checked.row.amr.split(' ') : ['pwd'] } };
}
