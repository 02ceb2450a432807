// What a user may do: their roles (the primary role, kept by the users module, then the
// extra roles) and the permissions those grant through the graph. The roles of users are
// cached per instance, so that the bearer check of a route usually answers without a
// promise (accessCached).
import type { ReadBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import { primaryRoleOf } from '../users/index.ts';
import { closure, loadGraph, permissionsOf } from './graph.ts';
import { allows } from './names.ts';
import type { RbacDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';

export interface Access {
  /** Default role first. */
  roles: string[];
  /** Effective permissions (through included roles), sorted. */
  permissions: string[];
}

/** The primary role first (the users module keeps it), then the extra roles in name order; empty for an unknown user. */
export async function rolesOfUser(on: Db, userId: string): Promise<string[]> {
  const [primary, extra] = await Promise.all([primaryRoleOf(on, userId), repo.extraRolesOf(on, userId)]);
  return [...new Set([...(primary === undefined ? [] : [primary]), ...extra])];
}

/** A user's roles through the instance's cache (an unknown user is not cached). */
export function rolesOf(deps: Pick<RbacDeps, 'db' | 'state'>, userId: string): Promise<string[]> {
  return deps.state.userRoles.get(userId, async () => {
    const roles = await rolesOfUser(deps.db, userId);
    return roles.length ? roles : undefined;
  }).then((r) => r ?? []);
}

/** accessOf without a promise, when the role graph and the user's roles are cached and current. */
export function accessCached(deps: Pick<RbacDeps, 'bus' | 'state'>, userId: string): Access | undefined {
  const { graph, userRoles } = deps.state;
  const roles = graph && deps.bus.connected() ? userRoles.peek(userId) : undefined;
  return roles && graph ? { roles, permissions: [...permissionsOf(graph, roles)].sort() } : undefined;
}

/** A user's roles and effective permissions (cached; current on every instance). */
export async function accessOf(deps: RbacDeps, userId: string): Promise<Access> {
  const [roles, g] = await Promise.all([rolesOf(deps, userId), loadGraph(deps)]);
  return { roles, permissions: [...permissionsOf(g, roles)].sort() };
}

/**
 * accessOf for a user whose row was just read (a sign-in has it): from the cache when it is
 * current, else the extra roles join the caller's read batch and the primary role comes
 * from the row. The function it returns gives the access once the batch has run.
 */
export function accessRead(deps: RbacDeps, reads: ReadBatch, user: { id: string; role: string }): () => Promise<Access> {
  const cached = accessCached(deps, user.id);
  if (cached) return async () => cached;
  const since = deps.state.userRoles.epoch();
  const extra = repo.extraRolesRead(reads, deps.db, user.id);
  return async () => {
    const roles = [...new Set([user.role, ...extra.value])];
    deps.state.userRoles.put(user.id, roles, since);
    return { roles, permissions: [...permissionsOf(await loadGraph(deps), roles)].sort() };
  };
}

/** The user's roles and every role they include. */
export async function effectiveRoles(deps: RbacDeps, userId: string): Promise<string[]> {
  return [...closure(await loadGraph(deps), await rolesOf(deps, userId))].sort();
}

/** Whether the user may do `permission` now (server-side check). */
export async function can(deps: RbacDeps, userId: string, permission: string): Promise<boolean> {
  return allows(new Set((await accessOf(deps, userId)).permissions), permission);
}

/** Roles' effective permissions (for service accounts and checks). */
export async function permissionsOfRoles(deps: RbacDeps, roles: string[]): Promise<string[]> {
  return [...permissionsOf(await loadGraph(deps), roles)].sort();
}

/** Effective permissions of roles as the transaction sees them; role_not_found for an unknown one. */
export async function permissionsOfRolesIn(deps: RbacDeps, trx: Db, roles: string[]): Promise<string[]> {
  const g = await loadGraph(deps, trx);
  for (const r of roles) if (!g.roles.has(r)) throw new AppError('role_not_found', { details: { role: r } });
  return [...permissionsOf(g, roles)];
}
