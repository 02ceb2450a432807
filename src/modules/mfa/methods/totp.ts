// TOTP (RFC 6238, otplib): enrollment with a secret sealed at rest and a QR code, and
// checking a code once: a code of an accepted time step is refused after, even in a race.
import { randomUUID } from 'node:crypto';
import { generate, generateSecret, generateURI, verify } from 'otplib';
import type { Clock } from '../../../core/clock.ts';
import type { Encrypter } from '../../../core/crypto/index.ts';
import { AppError } from '../../../core/errors/index.ts';
import type { Db } from '../../../database.ts';
import type { UserRow } from '../../users/index.ts';
import * as repo from '../mfa.repo.ts';
import type { MfaFactorRow } from '../mfa.table.ts';
import type { MethodContext, MfaMethod } from './method.ts';
import type { RecoveryCodes } from './recovery-codes.ts';

export interface TotpDeps {
  clock: Clock;
  encrypter: Encrypter;
  /** The issuer authenticator apps show beside the account. */
  issuer: string;
  recovery: Pick<RecoveryCodes, 'issue'>;
}

export function createTotp(ctx: MethodContext, deps: TotpDeps) {
  const { db, now } = ctx;
  const { clock, encrypter } = deps;

  /** Verifies a code for a factor once: a code of an accepted time step is refused after. */
  async function checkFactor(trx: Db, factor: MfaFactorRow, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code) || !factor.secret_encrypted) return false;
    const secret = encrypter.decrypt(factor.secret_encrypted, `totp:${factor.id}`).toString('utf8');
    const result = await verify({
      secret, token: code, epoch: Math.floor(clock.now() / 1000), epochTolerance: 30,
      ...(factor.last_time_step !== null ? { afterTimeStep: Number(factor.last_time_step) } : {}),
    });
    if (!result.valid) return false;
    const step = String((result as { timeStep: number }).timeStep);
    // Two requests racing with one code: only one moves the time step.
    return (await repo.advanceTimeStep(trx, factor.id, step, now())) === 1;
  }

  /** Starts enrollment: a new secret (replacing an unfinished one), its URI and QR code. */
  async function setup(user: UserRow) {
    if ((await repo.activeFactors(db, user.id)).some((f) => f.type === 'totp')) throw new AppError('mfa_factor_exists');
    const secret = generateSecret({ length: 20 });
    const id = randomUUID();
    await db.transaction().execute(async (trx) => {
      await repo.deletePendingFactors(trx, user.id, 'totp');
      await repo.insertFactor(trx, {
        id, user_id: user.id, type: 'totp', secret_encrypted: encrypter.encrypt(secret, `totp:${id}`), phone: null,
        last_time_step: null, verified_at: null, last_used_at: null, created_at: now(),
      });
    });
    const uri = generateURI({ issuer: deps.issuer, label: user.email ?? user.username, secret });
    // Loaded when the first factor is enrolled, not at start-up.
    const { default: QRCode } = await import('qrcode');
    const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    const dataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1 });
    return { factorId: id, secret, uri, qrCode: { svg, dataUrl } };
  }

  /** Activates the factor with a first code; returns the recovery codes (shown once). */
  async function activate(user: UserRow, code: string): Promise<{ factorId: string; recoveryCodes: string[] }> {
    const outcome = await db.transaction().execute(async (trx) => {
      const pending = await repo.lockPendingFactor(trx, user.id, 'totp');
      if (!pending) return { ok: false as const, error: 'mfa_challenge_invalid' as const };
      if (!(await checkFactor(trx, pending, code))) return { ok: false as const, error: 'invalid_code' as const };
      await repo.markFactorVerified(trx, pending.id, now());
      await ctx.audit(trx, { type: 'mfa.factor_added', subject: user.id, details: { factorId: pending.id, type: 'totp' } });
      return { ok: true as const, factorId: pending.id, recoveryCodes: await deps.recovery.issue(trx, user.id) };
    });
    if (!outcome.ok) throw new AppError(outcome.error);
    return { factorId: outcome.factorId, recoveryCodes: outcome.recoveryCodes };
  }

  const method: MfaMethod = {
    type: 'totp',
    offered: async (_userId, factorTypes) => factorTypes.has('totp'),
    async check(trx, to, code) {
      const factor = (await repo.activeFactors(trx, to.userId)).find((f) => f.type === 'totp');
      return factor ? checkFactor(trx, factor, code) : false;
    },
  };

  return {
    ...method, setup, activate,
    /** For tests and tools: the code of a secret at a time. */
    codeAt: (secret: string, epochSeconds: number) => generate({ secret, epoch: epochSeconds }),
  };
}
