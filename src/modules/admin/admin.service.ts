// The admin API's use cases on users. Each change runs in one transaction with its audit
// entry; the guards (no escalation, no acting on a user who holds more than the caller,
// no self-disable or self-delete, a super_admin always remains) are checked inside it,
// so that concurrent admins cannot get around them.
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { allows, type Caller, type RbacService } from '../rbac/index.ts';
import type { SessionRow, SessionsService } from '../sessions/index.ts';
import type { UserRow, UsersService } from '../users/index.ts';
import * as reports from '../reports/index.ts';

export interface AdminServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  users: UsersService;
  rbac: RbacService;
  sessions: Pick<SessionsService, 'list' | 'revokeAllForUserIn' | 'revokeOneIn' | 'idleExpiresAt'>;
  passwords: Pick<PasswordHasher, 'hash'>;
  audit: AuditRecorder;
  /** The password policy for a new account's password. */
  checkPassword: (password: string, who: { username: string; email?: string }) => Promise<void>;
  /** Queues the set-password (new account) or reset (forced reset) message. */
  sendPasswordEmail: (trx: Db, user: UserRow, kind: 'password_setup' | 'password_reset') => Promise<void>;
  /** Sends what was queued. */
  flushMail: () => void;
  /** Removes every second factor and recovery code, and every passkey. */
  resetFactors: (trx: Db, userId: string) => Promise<{ factors: number; passkeys: number }>;
  listFactors: (userId: string) => Promise<unknown>;
  listPasskeys: (userId: string) => Promise<unknown[]>;
  unlock: (user: UserRow) => Promise<void>;
  /** AUTH_DEFAULT_ROLE: the role of a created user when none is given. */
  defaultRole: string;
}

export interface UserListParams {
  q?: string;
  role?: string;
  active?: boolean;
  verified?: boolean;
  mfa?: boolean;
  sort?: string;
  cursor?: string;
  limit?: number;
}

const SORTS = new Set(['created_at', 'email', 'username']);
const METADATA_MAX = 16 * 1024;

function presentUser(u: UserRow, roles: string[], hasMfa?: boolean) {
  return {
    id: u.id, username: u.username, email: u.email, role: u.role, roles, active: u.is_active, emailVerified: u.email_verified,
    locale: u.locale, metadata: u.metadata, hasPassword: u.password_hash !== null, passwordResetRequired: u.password_reset_required,
    ...(hasMfa !== undefined ? { hasMfa } : {}),
    lastLogin: u.last_login?.toISOString() ?? null, createdAt: u.created_at.toISOString(), updatedAt: u.updated_at.toISOString(),
  };
}

function checkMetadata(m: Record<string, unknown> | undefined): void {
  if (m !== undefined && JSON.stringify(m).length > METADATA_MAX) {
    throw new AppError('validation_failed', { details: [{ field: 'metadata', message: `must be at most ${METADATA_MAX} bytes of JSON` }] });
  }
}

export function createAdminService(deps: AdminServiceDeps) {
  const { db, users, rbac, audit } = deps;

  function decodeCursor(cursor: string | undefined, sort: string): { v: string; id: string } | undefined {
    if (cursor === undefined) return undefined;
    try {
      const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s?: unknown; v?: unknown; id?: unknown };
      if (c.s === sort && typeof c.v === 'string' && typeof c.id === 'string' && /^[0-9a-f-]{36}$/i.test(c.id) && c.v.length <= 400) return { v: c.v, id: c.id };
    } catch { /* fall through */ }
    throw new AppError('validation_failed', { details: [{ field: 'cursor', message: 'is not a cursor of this list (it depends on sort)' }] });
  }

  async function listUsers(p: UserListParams) {
    const sortParam = p.sort ?? '-created_at';
    const desc = sortParam.startsWith('-');
    const sort = desc ? sortParam.slice(1) : sortParam;
    if (!SORTS.has(sort)) throw new AppError('validation_failed', { details: [{ field: 'sort', message: 'one of created_at, email, username, with - for descending' }] });
    const limit = p.limit ?? 20;
    const rows = await reports.listUsers(db, {
      q: p.q, role: p.role, active: p.active, verified: p.verified, mfa: p.mfa, sort: sort as reports.SortKey, desc,
      after: decodeCursor(p.cursor, sortParam), limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const roles = await Promise.all(page.map((u) => rbac.accessOf(u.id)));
    const last = page[page.length - 1];
    return {
      users: page.map((u, i) => presentUser(u, roles[i]!.roles, u.has_mfa)),
      nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify({ s: sortParam, v: last.sort_value, id: last.id })).toString('base64url') : null,
    };
  }

  async function requireUser(id: string, on: Db = db): Promise<UserRow> {
    const u = await users.findById(id, on);
    if (!u) throw new AppError('not_found');
    return u;
  }

  const viewSession = (s: SessionRow) => ({
    id: s.id, client: s.client, ip: s.ip, userAgent: s.user_agent, browser: s.browser, os: s.os, deviceType: s.device_type,
    location: s.location ?? null, amr: s.amr, createdAt: s.created_at.toISOString(), lastUsedAt: s.last_used_at.toISOString(),
    expiresAt: s.expires_at.toISOString(), idleExpiresAt: deps.sessions.idleExpiresAt(s)?.toISOString() ?? null,
  });

  async function getUser(id: string) {
    const u = await requireUser(id);
    const [access, grants, sessions, factors, passkeys] = await Promise.all([
      rbac.accessOf(id), rbac.userRoleGrants(id), deps.sessions.list(id), deps.listFactors(id), deps.listPasskeys(id),
    ]);
    return {
      user: presentUser(u, access.roles),
      permissions: access.permissions,
      roleGrants: grants.map((g) => ({ role: g.role, grantedBy: g.granted_by, grantedAt: g.granted_at.toISOString() })),
      sessions: sessions.map(viewSession),
      mfa: factors,
      passkeys,
    };
  }

  async function createUser(caller: Caller, input: {
    username: string; email?: string | undefined; password?: string; role?: string; roles?: string[]; emailVerified?: boolean; metadata?: Record<string, unknown>;
    locale?: string; sendPasswordSetup?: boolean;
  }) {
    checkMetadata(input.metadata);
    if (input.password !== undefined) await deps.checkPassword(input.password, { username: input.username, ...(input.email !== undefined ? { email: input.email } : {}) });
    const hash = input.password !== undefined ? await deps.passwords.hash(input.password) : null;
    const extra = [...new Set(input.roles ?? [])];
    if ((input.role !== undefined || extra.length) && !allows(caller.permissions, 'roles:manage')) throw new AppError('forbidden', { details: { permission: 'roles:manage' } });
    const user = await db.transaction().execute(async (trx) => {
      const role = input.role ?? deps.defaultRole;
      await rbac.lockGraph(trx);
      rbac.assertHolds(caller, await rbac.permissionsOfRolesIn(trx, [role, ...extra]));
      const created = await users.createAccount(trx, {
        username: input.username, email: input.email, passwordHash: hash, role, emailVerified: input.emailVerified ?? false,
        ...(input.metadata ? { metadata: input.metadata } : {}), ...(input.locale ? { locale: input.locale } : {}),
      });
      for (const r of extra) if (r !== role) await rbac.assignIn(trx, caller, created.id, r);
      await audit(trx, { type: 'user.created', subject: created.id, details: { username: created.username, email: created.email, role, roles: extra, passwordSet: hash !== null, setupEmail: Boolean(input.sendPasswordSetup) }, user: created });
      if (input.sendPasswordSetup) await deps.sendPasswordEmail(trx, created, 'password_setup');
      return created;
    });
    if (input.sendPasswordSetup) deps.flushMail();
    return { user: presentUser(user, (await rbac.accessOf(user.id)).roles) };
  }

  async function updateUser(caller: Caller, id: string, input: { username?: string; email?: string; emailVerified?: boolean; metadata?: Record<string, unknown>; role?: string }) {
    checkMetadata(input.metadata);
    if (input.role !== undefined && !allows(caller.permissions, 'roles:manage')) throw new AppError('forbidden', { details: { permission: 'roles:manage' } });
    await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      const before = await users.update(trx, id, {
        ...(input.username !== undefined ? { username: input.username } : {}),
        ...(input.email !== undefined ? { email: input.email } : {}),
        ...(input.emailVerified !== undefined ? { email_verified: input.emailVerified } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
      });
      if (!before) throw new AppError('not_found');
      let after = await requireUser(id, trx);
      // A new address is unverified unless the admin says otherwise.
      if (input.email !== undefined && after.email !== before.email && input.emailVerified === undefined) {
        await users.update(trx, id, { email_verified: false });
        after = { ...after, email_verified: false };
      }
      const changed: Record<string, unknown> = {};
      if (after.username !== before.username) changed.username = after.username;
      if (after.email !== before.email) changed.email = after.email;
      if (input.emailVerified !== undefined && input.emailVerified !== before.email_verified) changed.emailVerified = input.emailVerified;
      if (input.metadata !== undefined) changed.metadata = true;
      if (Object.keys(changed).length) await audit(trx, { type: 'user.updated', subject: id, details: { changed, ...bypass }, user: after });
      if (input.role !== undefined) await rbac.setDefaultRoleIn(trx, caller, id, input.role, bypass);
    });
    await users.changed(id);
    return getUser(id);
  }

  function refuseSelf(caller: Caller, id: string): void {
    if (caller.userId === id) throw new AppError('self_action_refused');
  }

  /**
   * The first step of every change to an existing user: lock the role graph (so that no
   * role reaches the user meanwhile), then the rule that the caller holds every permission
   * of the user (permission_escalation). What it answers goes into the audit entry.
   */
  async function actOn(trx: Db, caller: Caller, id: string): Promise<{ bypass?: 'cli_operator' }> {
    await rbac.lockGraph(trx);
    return rbac.assertMayActOn(caller, id, trx);
  }

  async function setActive(caller: Caller, id: string, active: boolean) {
    if (!active) refuseSelf(caller, id);
    const announce = await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      const before = await users.update(trx, id, { is_active: active });
      if (!before) throw new AppError('not_found');
      if (before.is_active === active) return undefined;
      if (!active) await rbac.assertGuards(trx, caller, id);
      const announce = active ? undefined : await deps.sessions.revokeAllForUserIn(trx, id, 'account_disabled');
      await audit(trx, { type: active ? 'user.enabled' : 'user.disabled', subject: id, details: bypass, user: { ...before, is_active: active } });
      return announce;
    });
    if (announce) await announce();
    await users.changed(id);
    return getUser(id);
  }

  async function deleteUser(caller: Caller, id: string): Promise<void> {
    refuseSelf(caller, id);
    const announce = await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      const u = await requireUser(id, trx);
      const announce = await deps.sessions.revokeAllForUserIn(trx, id, 'account_deleted');
      await users.delete(trx, id);
      await rbac.assertGuards(trx, caller, id);
      await audit(trx, { type: 'user.deleted', subject: id, details: { username: u.username, email: u.email, ...bypass } });
      return announce;
    });
    await announce();
    await users.changed(id);
  }

  async function revokeSessions(caller: Caller, id: string, sessionId?: string): Promise<number> {
    const { n, announce } = await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      await requireUser(id, trx);
      if (sessionId) {
        const announce = await deps.sessions.revokeOneIn(trx, id, sessionId, 'revoked_by_admin');
        if (!announce) throw new AppError('not_found', { message: 'No such session' });
        await audit(trx, { type: 'user.sessions_revoked', subject: id, details: { sessionIds: [sessionId], ...bypass } });
        return { n: 1, announce };
      }
      // Inside the transaction only: the embedded database has one connection.
      const announce = await deps.sessions.revokeAllForUserIn(trx, id, 'revoked_by_admin');
      await audit(trx, { type: 'user.sessions_revoked', subject: id, details: { sessionIds: announce.ids, ...bypass } });
      return { n: announce.ids.length, announce };
    });
    await announce();
    return n;
  }

  async function resetMfa(caller: Caller, id: string) {
    const removed = await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      await requireUser(id, trx);
      const removed = await deps.resetFactors(trx, id);
      await audit(trx, { type: 'user.mfa_reset', subject: id, details: { ...removed, ...bypass } });
      return removed;
    });
    await users.changed(id);
    return removed;
  }

  async function unlock(caller: Caller, id: string): Promise<void> {
    // No transaction: the lock may live outside the database (Redis, memory).
    const bypass = await rbac.assertMayActOn(caller, id);
    const u = await requireUser(id);
    await deps.unlock(u);
    await audit(db, { type: 'account.unlocked', subject: id, details: bypass });
  }

  async function forcePasswordReset(caller: Caller, id: string): Promise<void> {
    refuseSelf(caller, id);
    const announce = await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      const before = await users.update(trx, id, { password_reset_required: true });
      if (!before) throw new AppError('not_found');
      const announce = await deps.sessions.revokeAllForUserIn(trx, id, 'password_reset_forced');
      await audit(trx, { type: 'password.reset_forced', subject: id, details: bypass });
      await deps.sendPasswordEmail(trx, before, 'password_reset');
      return announce;
    });
    await announce();
    await users.changed(id);
    deps.flushMail();
  }

  /**
   * Sets a user's password (the CLI's reset-password): the policy applies, history
   * included; every session ends and any required reset is cleared.
   */
  async function setPassword(caller: Caller, id: string, password: string): Promise<{ sessionsEnded: number }> {
    // Checked before the hash too, so that a refused caller learns nothing of the policy.
    await rbac.assertMayActOn(caller, id);
    const u = await requireUser(id);
    await users.checkNewPassword(u, password);
    const hash = await deps.passwords.hash(password);
    const announce = await db.transaction().execute(async (trx) => {
      const bypass = await actOn(trx, caller, id);
      await users.setPassword(trx, id, hash);
      await users.update(trx, id, { password_reset_required: false });
      const announce = await deps.sessions.revokeAllForUserIn(trx, id, 'password_reset');
      await audit(trx, { type: 'password.reset', subject: id, details: { byAdministrator: true, sessionsEnded: announce.ids.length, ...bypass } });
      return announce;
    });
    await announce();
    await users.changed(id);
    return { sessionsEnded: announce.ids.length };
  }

  return {
    setPassword, listUsers, getUser, createUser, updateUser, setActive, deleteUser, revokeSessions, resetMfa, unlock, forcePasswordReset,
    /** The rule of acting on a user, for changes made by other modules (the merge of identities). */
    assertMayActOn: (caller: Caller, ids: string[]) => Promise.all(ids.map((id) => rbac.assertMayActOn(caller, id))).then(() => undefined),
  };
}

export type AdminService = ReturnType<typeof createAdminService>;
