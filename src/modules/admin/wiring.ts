// Admin's part of the composition root: the administration service over the other
// modules' services, and the bootstrap of the first administrator from configuration.
import type { Logger } from 'pino';
import type { Config } from '../../core/config/index.ts';
import type { Db } from '../../database.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { createAdminService, type AdminServiceDeps } from './admin.service.ts';
import { bootstrapAdmin } from './bootstrap.ts';

export function wireAdmin(config: Config, deps: Pick<AdminServiceDeps, 'db' | 'clock' | 'users' | 'rbac' | 'sessions' | 'passwords'> & {
  log: Logger;
  changes: ChangeEmitter;
  // The other modules' services, by the little that admin asks of each.
  policy: { check(...args: Parameters<AdminServiceDeps['checkPassword']>): Promise<void> };
  account: { sendPasswordEmail(...args: Parameters<AdminServiceDeps['sendPasswordEmail']>): Promise<void> };
  mailer: { flush(): void };
  mfa: { resetIn(trx: Db, userId: string): Promise<number>; list(userId: string): Promise<unknown> };
  passkeys: { removeAllIn(trx: Db, userId: string): Promise<number>; list(userId: string): Promise<unknown[]> };
  auth: { unlock(user: Parameters<AdminServiceDeps['unlock']>[0]): Promise<void> };
}) {
  const { db, users, rbac, passwords, changes, account, mfa, passkeys, auth } = deps;
  const checkPassword = (password: string, who: { username: string; email?: string }) => deps.policy.check(password, who);
  const admin = createAdminService({
    db, clock: deps.clock, users, rbac, sessions: deps.sessions, passwords, audit: changes.emit, checkPassword, defaultRole: config.defaultRole,
    sendPasswordEmail: (trx, user, kind) => account.sendPasswordEmail(trx, user, kind),
    flushMail: () => deps.mailer.flush(),
    resetFactors: async (trx, userId) => ({ factors: await mfa.resetIn(trx, userId), passkeys: await passkeys.removeAllIn(trx, userId) }),
    listFactors: (userId) => mfa.list(userId),
    listPasskeys: (userId) => passkeys.list(userId),
    unlock: (user) => auth.unlock(user),
  });
  /** Creates or promotes the administrator that configuration names (once migrations have run). */
  const bootstrap = () => bootstrapAdmin({ db, users, rbac, audit: changes.emit, passwords, checkPassword, log: deps.log }, {
    adminUsername: config.adminUsername, adminEmail: config.adminEmail, defaultUsername: config.defaultUsername, defaultPassword: config.defaultPassword,
    defaultUserIsPlain: config.compatProfiles.includes('edd'), defaultRole: config.defaultRole,
  });
  return { admin, bootstrap };
}
