// Service accounts' part of the composition root: the lifetime of client-credentials
// tokens, and the grant check (the permissions exist, and the caller holds them).
import type { Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import type { RbacService } from '../rbac/index.ts';
import { createServiceAccountsService, type ServiceAccountsDeps } from './service-accounts.service.ts';

export function wireServiceAccounts(config: Config, deps: Pick<ServiceAccountsDeps, 'db' | 'clock' | 'bus' | 'tokens'> & {
  changes: ChangeEmitter;
  rbac: Pick<RbacService, 'requirePermissions' | 'assertHolds'>;
}) {
  const { rbac } = deps;
  const serviceAccounts = createServiceAccountsService({
    db: deps.db, clock: deps.clock, bus: deps.bus, audit: deps.changes.emit, tokens: deps.tokens, tokenExpiry: config.serviceAccountTokenExpiry,
    checkGrant: async (trx, caller, permissions) => {
      await rbac.requirePermissions(trx, permissions);
      rbac.assertHolds(caller, permissions);
    },
  });
  return { serviceAccounts };
}
