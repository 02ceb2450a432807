// Permissions and their grants to roles. Built-in permissions stay, super_admin keeps
// every permission (its grants do not change), and nobody grants or revokes a permission
// they do not hold. Each change runs in a transaction that holds the graph's lock, then
// drops the graph on every instance.
import { AppError } from '../../core/errors/index.ts';
import { graphChange, loadGraph, requirePermissions, requireRole } from './graph.ts';
import { PERMISSION_NAME, SUPER_ADMIN } from './names.ts';
import type { RbacDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';
import { assertGuards, assertHolds, type Caller } from './safety-rules.ts';

export async function listPermissions(deps: RbacDeps) {
  const [rows, g] = await Promise.all([repo.listPermissions(deps.db), loadGraph(deps)]);
  return rows.map((p) => ({
    name: p.name, description: p.description, builtIn: p.built_in, createdAt: p.created_at.toISOString(),
    roles: [...g.roles.keys()].filter((r) => (g.grants.get(r) ?? []).includes(p.name)),
  }));
}

export async function createPermission(deps: RbacDeps, _caller: Caller, input: { name: string; description?: string }) {
  if (!PERMISSION_NAME.test(input.name)) throw new AppError('validation_failed', { details: [{ field: 'name', message: 'resource:action in lower case (letters, digits, _ . -), the action may be *' }] });
  await graphChange(deps, async (trx) => {
    if (await repo.findPermission(trx, input.name)) throw new AppError('permission_exists');
    await repo.insertPermission(trx, { name: input.name, description: input.description ?? '', created_at: new Date(deps.clock.now()) });
    await deps.audit(trx, { type: 'permission.created', details: { permission: input.name } });
  });
  return (await listPermissions(deps)).find((p) => p.name === input.name)!;
}

export async function deletePermission(deps: RbacDeps, caller: Caller, name: string): Promise<void> {
  await graphChange(deps, async (trx) => {
    const p = await repo.findPermission(trx, name);
    if (!p) throw new AppError('permission_not_found');
    if (p.built_in) throw new AppError('permission_built_in');
    assertHolds(caller, [name]);
    // Its grants to roles and service accounts go with it (named in the entry).
    const roles = await repo.rolesGranting(trx, name);
    await repo.deletePermission(trx, name);
    await deps.audit(trx, { type: 'permission.deleted', details: { permission: name, roles } });
  });
}

export async function grantPermission(deps: RbacDeps, caller: Caller, role: string, permission: string): Promise<boolean> {
  return graphChange(deps, async (trx) => {
    await requireRole(trx, role);
    if (role === SUPER_ADMIN) throw new AppError('role_built_in');
    await requirePermissions(trx, [permission]);
    assertHolds(caller, [permission]);
    const added = await repo.addGrant(trx, { role, permission, granted_by: caller.userId ?? null, granted_at: new Date(deps.clock.now()) });
    if (added) await deps.audit(trx, { type: 'role.permission_granted', details: { role, permission } });
    return Boolean(added);
  });
}

export async function revokePermission(deps: RbacDeps, caller: Caller, role: string, permission: string): Promise<boolean> {
  return graphChange(deps, async (trx) => {
    await requireRole(trx, role);
    if (role === SUPER_ADMIN) throw new AppError('role_built_in');
    assertHolds(caller, [permission]);
    const gone = await repo.deleteGrant(trx, role, permission);
    if (gone) {
      await assertGuards(deps, trx, caller, caller.userId ?? null);
      await deps.audit(trx, { type: 'role.permission_revoked', details: { role, permission } });
    }
    return Boolean(gone);
  });
}
