// What a signed-in user changes of their own account: the password, the username, and
// the account's deletion.
import { AppError } from '../../core/errors/index.ts';
import { toPublicUser, normalizeUsername, type PublicUser, type UserRow } from '../users/index.ts';
import type { AccountDeps } from './account-deps.ts';

/** A signed-in user changes their password; their other sessions end, this one stays. */
export async function changePassword(deps: AccountDeps, userId: string, sessionId: string, current: string, next: string): Promise<void> {
  const { db, users, tokens } = deps;
  const user = await users.findById(userId);
  if (!user) throw new AppError('unauthorized');
  await checkCurrentPassword(deps, user, current);
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
  deps.mailer.flush();
}

/** Refuses a wrong current password; an account without one costs the same time as a wrong one. */
async function checkCurrentPassword(deps: Pick<AccountDeps, 'passwords'>, user: UserRow, current: string): Promise<void> {
  if (!user.password_hash) {
    await deps.passwords.dummyVerify(current);
    throw new AppError('invalid_current_password');
  }
  if (!(await deps.passwords.verify(user.password_hash, current)).ok) throw new AppError('invalid_current_password');
}

/**
 * The signed-in user picks another username (unique regardless of case, like at
 * registration). The same name is no change and writes nothing.
 */
export async function changeUsername(deps: AccountDeps, userId: string, username: string): Promise<PublicUser> {
  const { db, users } = deps;
  const wanted = normalizeUsername(username);
  const user = await users.findById(userId);
  if (!user) throw new AppError('unauthorized');
  if (wanted === user.username) return toPublicUser(user);
  // Cheap check first for a clear answer; the unique index decides a race.
  const holder = await users.findByUsername(wanted);
  if (holder && holder.id !== user.id) throw new AppError('username_taken');
  await db.transaction().execute(async (trx) => {
    const before = await users.update(trx, user.id, { username: wanted });
    await deps.audit(trx, { type: 'username.changed', subject: user.id, details: { from: user.username, to: wanted }, user: before && { ...before, username: wanted } });
  });
  await users.changed(user.id);
  return { ...toPublicUser(user), username: wanted };
}

/** Deletes the account and everything that hangs on it; every session ends at once. */
export async function deleteAccount(deps: AccountDeps, userId: string): Promise<void> {
  const announce = await deps.db.transaction().execute(async (trx) => {
    const announce = await deps.sessions.revokeAllForUserIn(trx, userId, 'account_deleted');
    await deps.users.delete(trx, userId);
    // The last super_admin cannot leave this way either.
    await deps.afterDelete(trx, userId);
    await deps.audit(trx, { type: 'account.deleted', subject: userId });
    return announce;
  });
  await announce();
  await deps.users.changed(userId);
}
