// SMS codes: a phone number becomes a factor once a code sent to it comes back, and each
// challenge texts a fresh code through the SMS provider, under caps against SMS pumping.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppError } from '../../../core/errors/index.ts';
import type { Db } from '../../../database.ts';
import type { AddressLimits } from '../../account/index.ts';
import type { UserRow } from '../../users/index.ts';
import type { Challenges } from '../challenges.ts';
import * as repo from '../mfa.repo.ts';
import type { MfaChallengeRow, MfaFactorRow } from '../mfa.table.ts';
import type { SmsProvider } from '../sms/provider.ts';
import type { MethodContext, MfaMethod } from './method.ts';
import type { RecoveryCodes } from './recovery-codes.ts';
import type { SentCodes } from './sent-code.ts';

const E164 = /^\+[1-9]\d{6,14}$/;

export interface SmsCodeDeps {
  log: Logger;
  sms: SmsProvider;
  /** Per-number and service-wide caps, recorded like other per-address requests. */
  limits: AddressLimits;
  settings: { enabled: boolean; perNumberPerHour: number; perDay: number; challengeTtl: number };
  sent: SentCodes;
  recovery: Pick<RecoveryCodes, 'exist' | 'issue'>;
  challenges: Pick<Challenges, 'create' | 'answerOrThrow'>;
}

export function createSmsCode(ctx: MethodContext, deps: SmsCodeDeps) {
  const { db, now } = ctx;
  const { sent, settings: s } = deps;
  const maskPhone = (p: string) => `${p.slice(0, 3)}${'•'.repeat(Math.max(0, p.length - 5))}${p.slice(-2)}`;

  async function deliver(trx: Db, to: string, text: string): Promise<void> {
    if (!s.enabled) throw new AppError('mfa_method_unavailable');
    // Caps against SMS pumping: per number per hour, and for the whole service per day.
    await deps.limits.take(trx, `sms:${to}`, 'sms', [
      { purposes: ['sms'], max: s.perNumberPerHour, windowSeconds: 3600 },
      { purposes: ['sms'], max: s.perDay, windowSeconds: 86_400, everyAddress: true,
        onLimit: () => deps.log.warn({ limit: s.perDay }, 'daily SMS cap reached: SMS codes are refused until the oldest ages out') },
    ]);
    try {
      await deps.sms.send(to, text);
    } catch (err) {
      deps.log.error({ provider: deps.sms.name, err: (err as Error).message }, 'SMS could not be sent');
      throw new AppError('mfa_delivery_failed');
    }
  }

  /** Puts a fresh code on the challenge and texts it to the factor's number. */
  async function send(trx: Db, challenge: MfaChallengeRow, _user: UserRow, factor: MfaFactorRow | undefined): Promise<void> {
    const code = await sent.issue(trx, challenge, 'sms', factor);
    const phone = factor?.phone;
    if (!phone) throw new AppError('mfa_method_unavailable');
    await deliver(trx, phone, `${code} is your verification code. It expires in ${Math.round(s.challengeTtl / 60)} minutes.`);
  }

  const method: MfaMethod = {
    type: 'sms',
    offered: async (_userId, factorTypes) => factorTypes.has('sms'),
    check: (trx, to, code) => sent.check(trx, to.challenge, 'sms', code),
    send,
    present: (factor) => (factor.phone ? { phone: maskPhone(factor.phone) } : {}),
  };

  /** Sends a code to a phone number; it becomes a factor once the code comes back. */
  async function enroll(user: UserRow, phone: string): Promise<{ verificationId: string; expiresAt: Date }> {
    if (!s.enabled) throw new AppError('mfa_method_unavailable');
    if (!E164.test(phone)) throw new AppError('validation_failed', { details: [{ field: 'phone', message: 'an E.164 number such as +33612345678' }] });
    if ((await repo.activeFactors(db, user.id)).some((f) => f.type === 'sms')) throw new AppError('mfa_factor_exists');
    const ch = await db.transaction().execute(async (trx) => {
      await repo.deletePendingFactors(trx, user.id, 'sms');
      const id = randomUUID();
      const factor = await repo.insertFactorReturning(trx, { id, user_id: user.id, type: 'sms', secret_encrypted: null, phone, last_time_step: null, verified_at: null, last_used_at: null, created_at: now() });
      const challenge = await deps.challenges.create(trx, user.id, 'phone');
      await send(trx, challenge, user, factor);
      return challenge;
    });
    return { verificationId: ch.id, expiresAt: ch.expires_at };
  }

  /** Proves the number with the code sent to it; the first factor brings recovery codes. */
  async function verify(user: UserRow, verificationId: string, code: string): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
    const ch = await deps.challenges.answerOrThrow('phone', verificationId, method, code, user.id);
    return db.transaction().execute(async (trx) => {
      await repo.markFactorVerified(trx, ch.factor_id!, now());
      await ctx.audit(trx, { type: 'mfa.factor_added', subject: user.id, details: { factorId: ch.factor_id, type: 'sms' } });
      const hadCodes = await deps.recovery.exist(trx, user.id);
      return { factorId: ch.factor_id!, recoveryCodes: hadCodes ? null : await deps.recovery.issue(trx, user.id) };
    });
  }

  return { ...method, enroll, verify };
}
