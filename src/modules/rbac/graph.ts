// The role graph: read once per instance and kept until an invalidation drops it (on
// every instance), walked through inclusion, and changed only in a transaction that
// holds the graph's lock.
import { AppError } from '../../core/errors/index.ts';
import type { Db } from '../../database.ts';
import type { Graph, RbacDeps } from './rbac-deps.ts';
import * as repo from './rbac.repo.ts';
import type { RoleRow } from './rbac.table.ts';

/**
 * The graph as `on` sees it. Outside a transaction the instance's copy serves while the
 * bus is connected, and a graph read while an invalidation arrived is not kept.
 */
export async function loadGraph(deps: Pick<RbacDeps, 'db' | 'bus' | 'state'>, on: Db = deps.db): Promise<Graph> {
  const { db, bus, state } = deps;
  if (state.graph && on === db && bus.connected()) return state.graph;
  const seen = state.epoch;
  const rows = await repo.loadGraph(on);
  const g: Graph = { roles: new Map(rows.roles.map((r) => [r.name, r])), grants: new Map(), includes: new Map() };
  for (const r of rows.grants) g.grants.set(r.role, [...(g.grants.get(r.role) ?? []), r.permission]);
  for (const r of rows.includes) g.includes.set(r.role, [...(g.includes.get(r.role) ?? []), r.includes]);
  if (on === db && seen === state.epoch && bus.connected()) state.graph = g;
  return g;
}

/** Every role reachable from `roles` through inclusion, themselves included. */
export function closure(g: Graph, roles: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...roles];
  while (stack.length) {
    const r = stack.pop()!;
    if (out.has(r) || !g.roles.has(r)) continue;
    out.add(r);
    stack.push(...(g.includes.get(r) ?? []));
  }
  return out;
}

/** The permissions granted by `roles` and every role they include. */
export function permissionsOf(g: Graph, roles: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const r of closure(g, roles)) for (const p of g.grants.get(r) ?? []) out.add(p);
  return out;
}

/** The role's row; role_not_found when there is none. */
export async function requireRole(on: Db, name: string): Promise<RoleRow> {
  const r = await repo.findRole(on, name);
  if (!r) throw new AppError('role_not_found');
  return r;
}

/** permission_not_found for the first of `names` that does not exist. */
export async function requirePermissions(on: Db, names: string[]): Promise<void> {
  for (const n of names) if (!(await repo.findPermission(on, n))) throw new AppError('permission_not_found', { details: { permission: n } });
}

/** Tells every instance (this one included) to drop its graph. */
export function changedGraph(deps: Pick<RbacDeps, 'bus'>): Promise<void> {
  return deps.bus.publish({ kind: 'rbac', id: '*' });
}

/** Runs a graph change in a transaction (serialized), then tells every instance. */
export async function graphChange<T>(deps: Pick<RbacDeps, 'db' | 'bus'>, fn: (trx: Db) => Promise<T>): Promise<T> {
  const out = await deps.db.transaction().execute(async (trx) => {
    await repo.lockGraph(trx);
    return fn(trx);
  });
  await changedGraph(deps);
  return out;
}
