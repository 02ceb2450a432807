// Change of email: a confirmation to the new address (and a notice to the current one),
// then the change itself when that confirmation is proven.
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import { normalizeEmail, toPublicUser, type PublicUser, type UserRow } from '../users/index.ts';
import type { AccountDeps } from './account-deps.ts';
import { everyRequest, withProof, type Outcome } from './account-steps.ts';
import type { Issued, Proof } from './one-time-tokens.ts';

/** Sends a confirmation to the new address and a notice to the current one; nothing changes yet. */
export async function requestEmailChange(deps: AccountDeps, userId: string, newEmail: string): Promise<{ id: string; expiresAt: Date }> {
  const { db, users } = deps;
  const address = normalizeEmail(newEmail);
  const user = await users.findById(userId);
  if (!user) throw new AppError('unauthorized');
  if (address === user.email) throw new AppError('email_unchanged');
  if (await users.findByEmail(address)) throw new AppError('email_taken');
  const issued = await db.transaction().execute((trx) => sendEmailChange(deps, trx, user, address));
  deps.mailer.flush();
  return { id: issued.id, expiresAt: issued.expiresAt };
}

/** requestEmailChange's transaction: the address's request record, the token, and the two messages. */
async function sendEmailChange(deps: AccountDeps, trx: Db, user: UserRow, address: string): Promise<Issued> {
  const { tokens, mailer, limits, settings: s } = deps;
  await limits.take(trx, address, 'email_change', [everyRequest(s)]);
  const t = await tokens.issue(trx, { purpose: 'email_change', userId: user.id, email: address, ttlSeconds: s.emailChangeExpiresIn });
  await mailer.send(trx, 'email_change_confirm', address, user.locale, {
    username: user.username, email: user.email, newEmail: address, code: t.code,
    link: `${s.publicUrl}/auth/email/change/confirm?token=${t.token}`,
    expiresIn: mailer.duration(user.locale, s.emailChangeExpiresIn),
  });
  // An account without an address is adding one: there is no current address to warn.
  if (user.email !== null) await mailer.send(trx, 'email_change_notice', user.email, user.locale, { username: user.username, email: user.email, newEmail: address });
  return t;
}

/** Changes the address to the one a confirmation was sent to, once that confirmation is proven. */
export async function confirmEmailChange(deps: AccountDeps, proof: Proof): Promise<PublicUser & { emailVerified: true }> {
  const userId = await withProof(deps.db, (trx) => spendEmailChangeProof(deps, trx, proof));
  await deps.users.changed(userId);
  const user = await deps.users.findById(userId);
  if (!user) throw new AppError('not_found');
  return { ...toPublicUser(user), emailVerified: true };
}

/** confirmEmailChange's transaction: spends the proof, changes the address, records the change; the value is the user's id. */
async function spendEmailChangeProof(deps: AccountDeps, trx: Db, proof: Proof): Promise<Outcome<string>> {
  const { tokens, users } = deps;
  const checked = await tokens.consume(trx, 'email_change', proof);
  if (!checked.ok) return checked;
  if (!checked.row.user_id) return { ok: false, code: 'email_token_invalid' } as const;
  const before = await users.findById(checked.row.user_id, trx);
  await users.updateEmail(trx, checked.row.user_id, checked.row.email);
  await deps.audit(trx, { type: 'email.changed', subject: checked.row.user_id, actor: { type: 'user', id: checked.row.user_id }, details: { from: before?.email ?? null, to: checked.row.email }, user: await users.findById(checked.row.user_id, trx) });
  return { ok: true, value: checked.row.user_id };
}
