// The roles of users: the extra roles granted and removed, and the change of a user's
// primary (default) role, which the users module keeps on the user's row. Each change
// holds the graph's lock and the user's row, passes the safety rules, writes its audit
// entry with the user's roles after it, and drops the user's cached roles everywhere.
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import { lockUser, primaryRoleOf, setPrimaryRoleIn } from '../users/index.ts';
import { rolesOfUser } from './access.ts';
import { loadGraph, permissionsOf, requireRole } from './graph.ts';
import { SUPER_ADMIN } from './names.ts';
import type { RbacDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';
import { assertGuards, assertHolds, assertMayActOn, type Caller } from './safety-rules.ts';

/** Runs a change to one user's roles in a transaction, with the guards, then announces it. */
async function userChange<T>(deps: RbacDeps, userId: string, fn: (trx: Db) => Promise<T>): Promise<T> {
  const out = await deps.db.transaction().execute(async (trx) => {
    await repo.lockGraph(trx);
    if (!(await lockUser(trx, userId))) throw new AppError('not_found');
    return fn(trx);
  });
  await deps.userChanged(userId);
  return out;
}

/** Assigns an extra role inside the caller's transaction (graph locked by the caller). */
export async function assignIn(deps: RbacDeps, trx: Db, caller: Caller, userId: string, role: string, extra: Record<string, unknown> = {}): Promise<boolean> {
  await requireRole(trx, role);
  assertHolds(caller, permissionsOf(await loadGraph(deps, trx), [role]));
  const added = await repo.addUserRole(trx, { user_id: userId, role, granted_by: caller.userId ?? null, granted_at: new Date(deps.clock.now()) });
  if (added) await deps.audit(trx, { type: 'user.role_assigned', subject: userId, details: { role, ...extra }, roles: await rolesOfUser(trx, userId) });
  return Boolean(added);
}

export async function assignRole(deps: RbacDeps, caller: Caller, userId: string, role: string): Promise<boolean> {
  return userChange(deps, userId, async (trx) => assignIn(deps, trx, caller, userId, role, await assertMayActOn(deps, caller, userId, trx)));
}

export async function removeRole(deps: RbacDeps, caller: Caller, userId: string, role: string): Promise<boolean> {
  return userChange(deps, userId, async (trx) => {
    const bypass = await assertMayActOn(deps, caller, userId, trx);
    // The user's row is locked (userChange): their primary role is there.
    if ((await primaryRoleOf(trx, userId)) === role) throw new AppError('default_role');
    const gone = await repo.deleteUserRole(trx, userId, role);
    if (!gone) return false;
    await assertGuards(deps, trx, caller, userId);
    await deps.audit(trx, { type: 'user.role_removed', subject: userId, details: { role, ...bypass }, roles: await rolesOfUser(trx, userId) });
    return true;
  });
}

/** Changes a user's default role inside the caller's transaction (the user row is locked by the caller). */
export async function setDefaultRoleIn(deps: RbacDeps, trx: Db, caller: Caller, userId: string, role: string, extra: Record<string, unknown> = {}): Promise<boolean> {
  await repo.lockGraph(trx);
  await requireRole(trx, role);
  const from = await primaryRoleOf(trx, userId);
  if (from === undefined) throw new AppError('not_found');
  if (from === role) return false;
  assertHolds(caller, permissionsOf(await loadGraph(deps, trx), [role]));
  await setPrimaryRoleIn(trx, userId, role, new Date(deps.clock.now()));
  await assertGuards(deps, trx, caller, userId);
  await deps.audit(trx, { type: 'user.default_role_changed', subject: userId, details: { from, to: role, ...extra }, roles: await rolesOfUser(trx, userId) });
  return true;
}

/** Grants super_admin as an extra role inside a transaction (first admin, bootstrap). */
export async function grantSuperAdminIn(deps: Pick<RbacDeps, 'clock'>, trx: Db, userId: string): Promise<void> {
  await repo.addUserRole(trx, { user_id: userId, role: SUPER_ADMIN, granted_by: null, granted_at: new Date(deps.clock.now()) });
}
