// The rules that keep an installation safe, checked inside each change:
//   - nobody grants what they do not hold (assertHolds), nor acts on a user who holds
//     what they do not (assertMayActOn);
//   - an admin cannot take away their own last admin role, and the last active
//     super_admin cannot be removed, disabled or deleted (assertGuards).
import { AppError } from '../../core/errors/index.ts';
import type { Actor } from '../../core/context.ts';
import type { Db } from '../../database.ts';
import { countActiveHolders } from '../users/index.ts';
import { rolesOfUser } from './access.ts';
import { closure, loadGraph, permissionsOf } from './graph.ts';
import { ADMIN, allows, SUPER_ADMIN } from './names.ts';
import type { RbacDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';

/** Who is changing something, with what they hold (for the no-escalation rule). */
export interface Caller {
  actor: Actor;
  permissions: ReadonlySet<string>;
  /** The calling user, when a user calls. */
  userId?: string;
  /**
   * The operator at the command line: not bound by the last-super-admin guard, which
   * keeps administrators from locking everyone out of the admin API (the operator can
   * always grant the role again, and must be able to act before any admin exists).
   */
  operator?: boolean;
}

/** permission_escalation for the first of `needed` that the caller does not hold. */
export function assertHolds(caller: Caller, needed: Iterable<string>): void {
  for (const p of needed) {
    if (!allows(caller.permissions, p)) throw new AppError('permission_escalation', { details: { permission: p } });
  }
}

/**
 * The rule of acting on a user (change their email or password, reset their factors,
 * end their sessions, disable, delete, change their roles...): the caller holds every
 * effective permission of that user, `*` included, so that nobody takes over an account
 * that can do more than they can. Acting on oneself passes. The operator at the command
 * line skips the rule; the answer says so, to be spread into the audit entry's details.
 * Inside a change, call it on the transaction after lockGraph, so that a role granted
 * meanwhile is seen.
 */
export async function assertMayActOn(deps: RbacDeps, caller: Caller, userId: string, on: Db = deps.db): Promise<{ bypass?: 'cli_operator' }> {
  if (caller.operator) return { bypass: 'cli_operator' };
  if (caller.userId === userId) return {};
  assertHolds(caller, permissionsOf(await loadGraph(deps, on), await rolesOfUser(on, userId)));
  return {};
}

/** Active users holding any of `roles` (as primary or extra role), but `except`. */
export async function countHolders(on: Db, roles: string[], except: string | null): Promise<number> {
  if (!roles.length) return 0;
  return countActiveHolders(on, roles, await repo.extraHoldersOf(on, roles), except);
}

/**
 * The last-admin guards, checked in the change's transaction after the change:
 * a caller keeps an admin role, and at least one active super_admin remains.
 */
export async function assertGuards(deps: RbacDeps, trx: Db, caller: Caller, subjectId: string | null): Promise<void> {
  const g = await loadGraph(deps, trx);
  if (caller.userId && subjectId === caller.userId) {
    const mine = closure(g, await rolesOfUser(trx, caller.userId));
    if (!mine.has(ADMIN) && !mine.has(SUPER_ADMIN)) throw new AppError('last_admin_role');
  }
  const superRoles = [...g.roles.keys()].filter((r) => closure(g, [r]).has(SUPER_ADMIN));
  if (!caller.operator && (await countHolders(trx, superRoles, null)) === 0) throw new AppError('last_super_admin');
}

/** Users who hold `role` through any role (active or not): for the last super_admin guard in tests. */
export async function holders(deps: RbacDeps, role: string): Promise<number> {
  const g = await loadGraph(deps);
  return countHolders(deps.db, [...g.roles.keys()].filter((r) => closure(g, [r]).has(role)), null);
}

/** Whether any active user holds admin or super_admin (the bootstrap's question). */
export async function adminExists(deps: RbacDeps, on: Db): Promise<boolean> {
  const g = await loadGraph(deps, on);
  const adminRoles = [...g.roles.keys()].filter((r) => { const c = closure(g, [r]); return c.has(ADMIN) || c.has(SUPER_ADMIN); });
  return (await countHolders(on, adminRoles, null)) > 0;
}
