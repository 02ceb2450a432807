// Users' part of the composition root: registration's rules from configuration.
import type { Config } from '../../core/config/index.ts';
import { createUsersService, type UsersServiceDeps } from './users.service.ts';

export function wireUsers(config: Config, deps: Pick<UsersServiceDeps, 'db' | 'passwords' | 'bus' | 'clock' | 'policy' | 'onFirstAdmin'>) {
  const users = createUsersService({
    db: deps.db, passwords: deps.passwords, defaultRole: config.defaultRole, emailRequired: config.emailRequired, bus: deps.bus, clock: deps.clock, policy: deps.policy,
    onFirstAdmin: deps.onFirstAdmin,
  });
  return { users };
}
