// Failed factors after the first one (second-factor codes, re-authentication) count on the
// account's lockout key, the same key as wrong passwords: per account, across challenges
// and client addresses, in the lockout's store (Redis when configured). A known password
// therefore buys no fresh set of tries at the second factor.
import type { FastifyBaseLogger } from 'fastify';
import { accountKey, type AccountFailures, type Lockout } from '../../core/limits/index.ts';
import type { UserRow } from '../users/index.ts';

export interface AccountFailuresDeps {
  lockout: Lockout;
  log: FastifyBaseLogger;
  findUser: (userId: string) => Promise<UserRow | undefined>;
  /** Records the lock (audit entry) and tells the user (the "account locked" message). */
  locked: (user: UserRow) => Promise<void>;
}

export function createAccountFailures(deps: AccountFailuresDeps): AccountFailures {
  return {
    async assertOpen(userId) {
      await deps.lockout.assertOpen([accountKey(userId)]);
    },
    async fail(userId, reason) {
      if (!(await deps.lockout.fail([accountKey(userId)]))) return;
      const user = await deps.findUser(userId);
      if (!user) return;
      deps.log.warn({ auth: 'account_locked', userId, reason }, 'sign-in locked after repeated failures');
      await deps.locked(user);
    },
  };
}
