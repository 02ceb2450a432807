// The first administrator from configuration, at every start and idempotent: when no
// active user holds admin or super_admin, ADMIN_USERNAME's user is promoted, or the
// DEFAULT_USERNAME / DEFAULT_PASSWORD account is created. Instances starting together
// serialize on the role graph's lock, so exactly one acts.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import type { Database } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { ADMIN, type Caller, type RbacService } from '../rbac/index.ts';
import type { UsersService } from '../users/index.ts';

export interface BootstrapSettings {
  adminUsername?: string | undefined;
  adminEmail?: string | undefined;
  defaultUsername?: string | undefined;
  defaultPassword?: string | undefined;
  /**
   * DEFAULT_USERNAME / DEFAULT_PASSWORD create a plain user, not the administrator (the edd
   * profile, whose deployments name their administrator with ADMIN_USERNAME alone).
   */
  defaultUserIsPlain?: boolean | undefined;
  /** The role of that plain user (AUTH_DEFAULT_ROLE). */
  defaultRole?: string | undefined;
}

export interface BootstrapDeps {
  db: Kysely<Database>;
  users: UsersService;
  rbac: RbacService;
  audit: AuditRecorder;
  passwords: Pick<PasswordHasher, 'hash'>;
  checkPassword: (password: string, who: { username: string; email: string }) => Promise<void>;
  log: Pick<Logger, 'info' | 'warn'>;
}

const SYSTEM: Caller = { actor: { type: 'system' }, permissions: new Set(['*']) };

export async function bootstrapAdmin(deps: BootstrapDeps, s: BootstrapSettings): Promise<'exists' | 'promoted' | 'created' | 'skipped'> {
  if (s.defaultUserIsPlain && s.defaultUsername !== undefined && s.defaultUsername !== s.adminUsername) {
    await bootstrapPlainUser(deps, s.defaultUsername, s.defaultPassword, s.defaultRole ?? 'user');
    if (!s.adminUsername) return 'skipped';
    return bootstrapAdmin(deps, { adminUsername: s.adminUsername, adminEmail: s.adminEmail });
  }
  const username: string | undefined = s.adminUsername ?? s.defaultUsername;
  if (!username) return 'skipped';
  const name = username;
  const email = s.adminEmail ?? `${username.toLowerCase()}@localhost`;
  const canCreate = s.defaultPassword !== undefined && (s.defaultUsername === undefined || s.defaultUsername === username);
  // The policy and the hash are slow: done before the locked transaction, when needed at all.
  let hash: string | undefined;
  const prepare = async () => {
    if (hash || !canCreate) return;
    try {
      await deps.checkPassword(s.defaultPassword!, { username: name, email });
    } catch (err) {
      throw new Error(`DEFAULT_PASSWORD does not meet the password policy (${(err as { code?: string }).code ?? 'invalid'})`, { cause: err });
    }
    hash = await deps.passwords.hash(s.defaultPassword!);
  };
  if (!(await deps.rbac.adminExists(deps.db))) await prepare();
  const outcome = await deps.db.transaction().execute(async (trx) => {
    await deps.rbac.lockGraph(trx);
    if (await deps.rbac.adminExists(trx)) return { kind: 'exists' as const };
    const existing = await deps.users.findByUsername(name, trx);
    if (existing) {
      if (!existing.is_active) await deps.users.update(trx, existing.id, { is_active: true });
      await deps.rbac.grantSuperAdminIn(trx, existing.id);
      await deps.audit(trx, { type: 'user.role_assigned', subject: existing.id, actor: { type: 'system' }, details: { role: 'super_admin', bootstrap: true }, roles: await deps.rbac.rolesOfUserIn(trx, existing.id) });
      await deps.rbac.setDefaultRoleIn(trx, SYSTEM, existing.id, ADMIN);
      return { kind: 'promoted' as const, id: existing.id };
    }
    if (!canCreate || !hash) return { kind: 'skipped' as const };
    const created = await deps.users.createAccount(trx, { username: name, email, passwordHash: hash, role: ADMIN, emailVerified: true });
    await deps.rbac.grantSuperAdminIn(trx, created.id);
    await deps.audit(trx, { type: 'user.created', subject: created.id, actor: { type: 'system' }, details: { username: name, email, role: ADMIN, roles: ['super_admin'], bootstrap: true }, user: created });
    return { kind: 'created' as const, id: created.id };
  });
  if (outcome.id) {
    await deps.users.changed(outcome.id);
    deps.log.info({ username, outcome: outcome.kind }, outcome.kind === 'created' ? 'administrator created from configuration' : 'user made administrator from configuration');
  } else if (outcome.kind === 'skipped') {
    deps.log.warn({ username }, 'no administrator exists and ADMIN_USERNAME names no user; set DEFAULT_PASSWORD to create it');
  }
  return outcome.kind;
}

/**
 * The plain user of DEFAULT_USERNAME / DEFAULT_PASSWORD (edd profile): created once, when
 * no user has the name; never changed afterwards, so a password changed since stays.
 */
async function bootstrapPlainUser(deps: BootstrapDeps, username: string, password: string | undefined, role: string): Promise<'exists' | 'created'> {
  if (await deps.users.findByUsername(username)) return 'exists';
  if (password === undefined) throw new Error('DEFAULT_USERNAME: set DEFAULT_PASSWORD too');
  const email = `${username.toLowerCase()}@localhost`;
  try {
    await deps.checkPassword(password, { username, email });
  } catch (err) {
    throw new Error(`DEFAULT_PASSWORD does not meet the password policy (${(err as { code?: string }).code ?? 'invalid'})`, { cause: err });
  }
  const hash = await deps.passwords.hash(password);
  const created = await deps.db.transaction().execute(async (trx) => {
    await deps.rbac.lockGraph(trx);
    if (await deps.users.findByUsername(username, trx)) return undefined;
    // It counts as the first account: the next self-registration must not become admin
    // (the administrator is ADMIN_USERNAME's user, or one made with the CLI).
    await deps.users.claimFirstUser(trx);
    const user = await deps.users.createAccount(trx, { username, email, passwordHash: hash, role, emailVerified: true });
    await deps.audit(trx, { type: 'user.created', subject: user.id, actor: { type: 'system' }, details: { username, email, role, bootstrap: true }, user });
    return user;
  });
  if (!created) return 'exists';
  await deps.users.changed(created.id);
  deps.log.info({ username }, 'user created from configuration (DEFAULT_USERNAME)');
  return 'created';
}
