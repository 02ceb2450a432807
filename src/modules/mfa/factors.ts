// A user's factors as a whole: listing them, removing one, the admin reset, and pruning what has ended.
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { MethodRegistry } from './methods/method.ts';
import type { RecoveryCodes } from './methods/recovery-codes.ts';
import * as repo from './mfa.repo.ts';

export interface FactorsDeps {
  db: Kysely<Database>;
  clock: Clock;
  audit: AuditRecorder;
  methods: MethodRegistry;
  recovery: Pick<RecoveryCodes, 'remaining'>;
}

export function createFactors(deps: FactorsDeps) {
  const { db, clock } = deps;

  /** The caller's factors, for GET /auth/mfa. */
  async function list(userId: string) {
    const factors = await repo.activeFactors(db, userId);
    return {
      factors: factors.map((f) => ({
        id: f.id, type: f.type, createdAt: f.created_at.toISOString(), lastUsedAt: f.last_used_at?.toISOString() ?? null,
        ...deps.methods.get(f.type)?.present?.(f),
      })),
      recoveryCodesRemaining: factors.length ? await deps.recovery.remaining(userId) : 0,
    };
  }

  /** Removes a factor (step-up checked by the caller); with the last one go the recovery codes. */
  async function remove(userId: string, factorId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(factorId)) throw new AppError('not_found');
    await db.transaction().execute(async (trx) => {
      const gone = await repo.deleteVerifiedFactor(trx, factorId, userId);
      if (!gone) throw new AppError('not_found');
      await deps.audit(trx, { type: 'mfa.factor_removed', subject: userId, details: { factorId, type: gone.type } });
      if ((await repo.activeFactors(trx, userId)).length === 0) await repo.deleteRecoveryCodesOf(trx, userId);
    });
  }

  /** Removes every factor, recovery code and open challenge of a user (admin reset); returns how many factors were active. */
  async function resetIn(trx: Db, userId: string): Promise<number> {
    const active = (await repo.activeFactors(trx, userId)).length;
    await repo.deleteFactorsOf(trx, userId);
    await repo.deleteRecoveryCodesOf(trx, userId);
    await repo.deleteChallengesOf(trx, userId, 'enroll');
    return active;
  }

  /** Deletes challenges that ended more than a day ago, and unfinished enrollments older than a day. */
  async function prune(): Promise<void> {
    const dayAgo = new Date(clock.now() - 86_400_000);
    await repo.deleteChallengesExpiredBefore(db, dayAgo);
    await repo.deletePendingFactorsCreatedBefore(db, dayAgo);
  }

  return { list, remove, resetIn, prune };
}
