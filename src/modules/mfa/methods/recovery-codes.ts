// Recovery codes: ten single-use codes handed out with a user's first factor, the way in
// when the other factors are lost. Stored as keyed hashes; offered only beside another method.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../../core/errors/index.ts';
import type { Db } from '../../../database.ts';
import * as repo from '../mfa.repo.ts';
import type { MethodContext, MfaMethod } from './method.ts';

export const RECOVERY_CODE_COUNT = 10;
// No 0/o, 1/l/i: the codes are read off paper.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function createRecoveryCodes(ctx: MethodContext) {
  const { db, now } = ctx;
  const hash = (userId: string, code: string) => ctx.keyed(`recovery:${userId}`, code);

  /** How many unused codes the user has. */
  async function remaining(userId: string): Promise<number> {
    return repo.countUnusedRecoveryCodes(db, userId);
  }

  /** Whether the user has codes at all (a further factor hands out none). */
  async function exist(trx: Db, userId: string): Promise<boolean> {
    return repo.hasRecoveryCodes(trx, userId);
  }

  /** Replaces the user's codes with fresh ones; returns them formatted, to be shown once. */
  async function issue(trx: Db, userId: string): Promise<string[]> {
    await repo.deleteRecoveryCodesOf(trx, userId);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => Array.from(randomBytes(10), (b) => ALPHABET[b % ALPHABET.length]).join(''));
    await repo.insertRecoveryCodes(trx, userId, codes.map((c) => hash(userId, c)));
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
  }

  /** New codes on request (step-up checked by the caller); the old ones stop working. */
  async function regenerate(userId: string): Promise<string[]> {
    if ((await repo.activeFactors(db, userId)).length === 0) throw new AppError('mfa_not_enabled');
    return db.transaction().execute(async (trx) => {
      await ctx.audit(trx, { type: 'mfa.recovery_codes_regenerated', subject: userId });
      return issue(trx, userId);
    });
  }

  const method: MfaMethod = {
    type: 'recovery',
    offered: async (userId, _factorTypes, before) => before.length > 0 && (await remaining(userId)) > 0,
    /** Spends a code if it is one of the user's unused ones (case, spaces and dashes ignored). */
    async check(trx, to, code) {
      const normalized = code.trim().toLowerCase().replace(/[\s-]/g, '');
      if (!/^[a-z0-9]{10}$/.test(normalized)) return false;
      return (await repo.useRecoveryCode(trx, to.userId, hash(to.userId, normalized), now())) === 1;
    },
  };

  return { ...method, remaining, exist, issue, regenerate };
}

export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>;
