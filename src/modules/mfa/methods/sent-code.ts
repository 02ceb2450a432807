// The code the email and SMS methods send: six digits kept on the challenge as a keyed
// hash under the challenge's id, so it answers that challenge only, compared in constant time.
import { timingSafeEqual } from 'node:crypto';
import { sixDigitCode } from '../../../core/crypto/index.ts';
import type { Db } from '../../../database.ts';
import * as repo from '../mfa.repo.ts';
import type { MfaChallengeRow, MfaFactorRow } from '../mfa.table.ts';
import type { MethodContext } from './method.ts';

export function createSentCodes(ctx: MethodContext) {
  return {
    /** Puts a fresh code for `method` (to `factor`) on a challenge; returns it for sending. */
    async issue(trx: Db, challenge: MfaChallengeRow, method: 'email' | 'sms', factor: MfaFactorRow | undefined): Promise<string> {
      const code = sixDigitCode();
      await repo.setChallengeCode(trx, challenge.id, { method, code_hash: ctx.keyed(challenge.id, code), factor_id: factor?.id ?? null });
      return code;
    },

    /** Whether `code` is the one `method` sent for the challenge; a right one marks its factor used. */
    async check(trx: Db, challenge: MfaChallengeRow | undefined, method: 'email' | 'sms', code: string): Promise<boolean> {
      const ch = challenge;
      const right = ch !== undefined && ch.method === method && ch.code_hash !== null && /^\d{6}$/.test(code) && timingSafeEqual(ctx.keyed(ch.id, code), ch.code_hash);
      if (right && ch.factor_id) await repo.markFactorUsed(trx, ch.factor_id, ctx.now());
      return right;
    },
  };
}

export type SentCodes = ReturnType<typeof createSentCodes>;
