// Email codes: the user's verified address becomes a factor, and each challenge mails a
// fresh six-digit code (through the mail outbox, in the challenge's transaction).
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../core/errors/index.ts';
import type { Mailer } from '../../mail/index.ts';
import type { UserRow } from '../../users/index.ts';
import * as repo from '../mfa.repo.ts';
import type { MethodContext, MfaMethod } from './method.ts';
import type { RecoveryCodes } from './recovery-codes.ts';
import type { SentCodes } from './sent-code.ts';

export interface EmailCodeDeps {
  mailer: Mailer;
  /** Seconds a challenge, and so its code, lives (said in the email). */
  challengeTtl: number;
  sent: SentCodes;
  recovery: Pick<RecoveryCodes, 'exist' | 'issue'>;
}

export function createEmailCode(ctx: MethodContext, deps: EmailCodeDeps) {
  const { db, now } = ctx;
  const { mailer, sent } = deps;

  /** The email address (already verified) becomes a factor; the first factor brings recovery codes. */
  async function enable(user: UserRow): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
    if (user.email === null) throw new AppError('email_required');
    if (!user.email_verified) throw new AppError('email_not_verified');
    if ((await repo.activeFactors(db, user.id)).some((f) => f.type === 'email')) throw new AppError('mfa_factor_exists');
    return db.transaction().execute(async (trx) => {
      const id = randomUUID();
      const hadCodes = await deps.recovery.exist(trx, user.id);
      await repo.insertFactor(trx, { id, user_id: user.id, type: 'email', secret_encrypted: null, phone: null, last_time_step: null, verified_at: now(), last_used_at: null, created_at: now() });
      await ctx.audit(trx, { type: 'mfa.factor_added', subject: user.id, details: { factorId: id, type: 'email' } });
      return { factorId: id, recoveryCodes: hadCodes ? null : await deps.recovery.issue(trx, user.id) };
    });
  }

  const method: MfaMethod = {
    type: 'email',
    offered: async (_userId, factorTypes) => factorTypes.has('email'),
    async check(trx, to, code) {
      const right = await sent.check(trx, to.challenge, 'email', code);
      // The address is the factor, whichever challenge the code came by.
      if (right) await repo.markFactorsOfTypeUsed(trx, to.userId, 'email', now());
      return right;
    },
    async send(trx, challenge, user, factor) {
      // An address removed after the factor was enabled leaves nowhere to send the code.
      if (user.email === null) throw new AppError('email_required');
      const code = await sent.issue(trx, challenge, 'email', factor);
      await mailer.send(trx, 'email_code', user.email, user.locale, { email: user.email, code, expiresIn: mailer.duration(user.locale, deps.challengeTtl) });
    },
  };

  return { ...method, enable };
}
