// RBAC's part of the composition root: the service, whose changes to a user's roles tell
// the user's cached state, and the default role made sure of once migrations have run.
import type { Config } from '../../core/config/index.ts';
import type { Db } from '../../database.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { createRbacService } from './rbac.service.ts';

type RbacServiceDeps = Parameters<typeof createRbacService>[0];

export async function wireRbac(config: Config, deps: Pick<RbacServiceDeps, 'db' | 'bus' | 'clock' | 'roleHeldByMembers'> & {
  changes: ChangeEmitter;
  /** False when migrations were skipped: the roles table may not be there yet. */
  ensureDefaultRole: boolean;
}) {
  const { bus } = deps;
  const rbac = createRbacService({
    db: deps.db, bus, clock: deps.clock, audit: deps.changes.emit, userChanged: (id) => bus.publish({ kind: 'user', id }), roleHeldByMembers: deps.roleHeldByMembers,
  });
  if (deps.ensureDefaultRole) await rbac.ensureRole(config.defaultRole);
  /** Checks, in the transaction that deleted an account, that a super_admin remains. */
  const superAdminRemains = (trx: Db) => rbac.assertGuards(trx, { actor: { type: 'system' }, permissions: new Set() }, null);
  return { rbac, superAdminRemains };
}
