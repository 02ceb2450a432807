// The dependencies every RBAC function takes first: what the composition root passes to
// createRbacService, and the per-instance caches the binding adds once (see RbacState).
import type { Kysely } from 'kysely';
import { createKeyedCache } from '../../core/cache/keyed-cache.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { RoleRow } from './rbac.table.ts';

export interface RbacServiceDeps {
  db: Kysely<Database>;
  bus: InvalidationBus;
  clock: Clock;
  audit: AuditRecorder;
  /** Announces that a user's row or roles changed (drops cached users everywhere). */
  userChanged: (id: string) => Promise<void>;
  /** Whether some organization member holds `role` as organization role (organizations own members). */
  roleHeldByMembers: (on: Db, role: string) => Promise<boolean>;
}

/** The role graph: roles by name, the permissions each grants, the roles each includes. */
export interface Graph {
  roles: Map<string, RoleRow>;
  grants: Map<string, string[]>;
  includes: Map<string, string[]>;
}

/**
 * What one service instance caches: the role graph and the users' roles. Both are dropped
 * on every instance through the invalidation bus; `epoch` counts the graph's drops, so that
 * a graph read while one arrived is not kept.
 */
export interface RbacState {
  graph: Graph | undefined;
  epoch: number;
  userRoles: ReturnType<typeof createKeyedCache<string[]>>;
}

/** The caches of one instance, each dropped by its own invalidations from the bus. */
export function createRbacState(bus: InvalidationBus, clock: Clock): RbacState {
  const state: RbacState = { graph: undefined, epoch: 0, userRoles: createKeyedCache<string[]>({ bus, clock, kind: 'user' }) };
  bus.subscribe((m) => { if (m.kind === 'rbac') { state.epoch++; state.graph = undefined; } });
  bus.onReset(() => { state.epoch++; state.graph = undefined; });
  return state;
}

/** What each RBAC function takes as its first parameter: the service's dependencies with the instance's caches. */
export interface RbacDeps extends RbacServiceDeps {
  state: RbacState;
}
