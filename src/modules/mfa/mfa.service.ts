// Multi-factor authentication: TOTP (RFC 6238, otplib) with recovery codes, email and SMS
// codes, the sign-in challenge that follows a right password, enrollment required by
// role, and step-up (a recent proof of identity for sensitive actions). Secrets at rest
// are sealed (TOTP) or keyed hashes (codes); a TOTP code is accepted once.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { generate as totpGenerate, generateSecret, generateURI, verify as totpVerify } from 'otplib';
import type { Clock } from '../../core/clock.ts';
import { createKeyedHasher, randomToken, sha256, sixDigitCode, type Encrypter } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AddressLimits } from '../account/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { UserRow, UsersService } from '../users/index.ts';
import type { MfaChallengeRow, MfaFactorRow } from './mfa.table.ts';
import type { SmsProvider } from './sms/provider.ts';

export const MAX_MFA_ATTEMPTS = 5;
export const RECOVERY_CODE_COUNT = 10;
export type Method = 'totp' | 'email' | 'sms' | 'recovery' | 'passkey';
/** The amr value each method adds (RFC 8176, plus `email` and `recovery`). */
export const AMR: Record<Method, string> = { totp: 'otp', email: 'email', sms: 'sms', recovery: 'recovery', passkey: 'hwk' };

export interface MfaSettings {
  issuer: string;
  /** Seconds a sign-in challenge (and its email or SMS code) lives. */
  challengeTtl: number;
  requiredForRoles: string[];
  /** Seconds a proof of identity counts as recent for sensitive actions. */
  reauthMaxAge: number;
  smsEnabled: boolean;
  smsPerNumberPerHour: number;
  smsPerDay: number;
}

export interface MfaDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  encrypter: Encrypter;
  secret: string;
  users: UsersService;
  sessions: SessionsService;
  mailer: Mailer;
  sms: SmsProvider;
  /** Per-number and service-wide SMS caps, recorded like other per-address requests. */
  limits: AddressLimits;
  settings: MfaSettings;
  /** Whether the user has passkeys (from the passkeys module, which builds on this one). */
  hasPasskeys: (userId: string) => Promise<boolean>;
  /** The user's roles with every role they include (for AUTH_MFA_REQUIRED_FOR_ROLES). */
  rolesOf: (userId: string) => Promise<string[]>;
  audit: AuditRecorder;
}

const E164 = /^\+[1-9]\d{6,14}$/;

export function createMfaService(deps: MfaDeps) {
  const { db, clock, encrypter, mailer, settings: s } = deps;
  const keyed = createKeyedHasher(deps.secret, 'tessera/mfa-codes/v1');
  const now = () => new Date(clock.now());
  const maskPhone = (p: string) => `${p.slice(0, 3)}${'•'.repeat(Math.max(0, p.length - 5))}${p.slice(-2)}`;

  const activeFactors = (userId: string, on: Db = db) =>
    on.selectFrom('mfa_factors').selectAll().where('user_id', '=', userId).where('verified_at', 'is not', null).orderBy('created_at').execute();
  const remainingRecovery = async (userId: string) =>
    Number((await db.selectFrom('mfa_recovery_codes').select(sql<string>`count(*)`.as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()).n);

  /** The methods a user can answer a challenge with, the preferred first. */
  async function methodsOf(userId: string): Promise<Method[]> {
    const [factors, passkeys] = await Promise.all([activeFactors(userId), deps.hasPasskeys(userId)]);
    const types = new Set(factors.map((f) => f.type as Method));
    if (passkeys) types.add('passkey');
    const order: Method[] = ['passkey', 'totp', 'sms', 'email'];
    const methods = order.filter((m) => types.has(m));
    if (methods.length && (await remainingRecovery(userId)) > 0) methods.push('recovery');
    return methods;
  }

  // ---- codes sent by email or SMS ---------------------------------------------------

  async function sendSms(trx: Db, to: string, text: string): Promise<void> {
    if (!s.smsEnabled) throw new AppError('mfa_method_unavailable');
    // Caps against SMS pumping: per number per hour, and for the whole service per day.
    await deps.limits.take(trx, `sms:${to}`, 'sms', [
      { purposes: ['sms'], max: s.smsPerNumberPerHour, windowSeconds: 3600 },
      { purposes: ['sms'], max: s.smsPerDay, windowSeconds: 86_400, everyAddress: true,
        onLimit: () => deps.log.warn({ limit: s.smsPerDay }, 'daily SMS cap reached: SMS codes are refused until the oldest ages out') },
    ]);
    try {
      await deps.sms.send(to, text);
    } catch (err) {
      deps.log.error({ provider: deps.sms.name, err: (err as Error).message }, 'SMS could not be sent');
      throw new AppError('mfa_delivery_failed');
    }
  }

  /** Puts a fresh code on a challenge and sends it by email or SMS. */
  async function sendCode(trx: Db, challenge: MfaChallengeRow, user: UserRow, method: 'email' | 'sms', factor?: MfaFactorRow): Promise<void> {
    const code = sixDigitCode();
    await trx.updateTable('mfa_challenges').set({ method, code_hash: keyed(challenge.id, code), factor_id: factor?.id ?? null }).where('id', '=', challenge.id).execute();
    if (method === 'email') {
      await mailer.send(trx, 'email_code', user.email, user.locale, { email: user.email, code, expiresIn: mailer.duration(user.locale, s.challengeTtl) });
    } else {
      const phone = factor?.phone;
      if (!phone) throw new AppError('mfa_method_unavailable');
      await sendSms(trx, phone, `${code} is your verification code. It expires in ${Math.round(s.challengeTtl / 60)} minutes.`);
    }
  }

  async function newChallenge(trx: Db, userId: string, purpose: string, extra: { client?: string; tokenHash?: Buffer; ttl?: number; firstAmr?: string } = {}): Promise<MfaChallengeRow> {
    const created = now();
    return trx.insertInto('mfa_challenges').values({
      id: randomUUID(), user_id: userId, purpose, method: null, factor_id: null, code_hash: null, token_hash: extra.tokenHash ?? null,
      client: extra.client ?? null, first_amr: extra.firstAmr ?? null, created_at: created, expires_at: new Date(created.getTime() + (extra.ttl ?? s.challengeTtl) * 1000), consumed_at: null,
    }).returningAll().executeTakeFirstOrThrow();
  }

  // ---- checking an answer -------------------------------------------------------------

  /** Verifies a TOTP code for a factor once: a code of an accepted time step is refused after. */
  async function checkTotp(trx: Db, factor: MfaFactorRow, code: string): Promise<boolean> {
    if (!/^\d{6}$/.test(code) || !factor.secret_encrypted) return false;
    const secret = encrypter.decrypt(factor.secret_encrypted, `totp:${factor.id}`).toString('utf8');
    const result = await totpVerify({
      secret, token: code, epoch: Math.floor(clock.now() / 1000), epochTolerance: 30,
      ...(factor.last_time_step !== null ? { afterTimeStep: Number(factor.last_time_step) } : {}),
    });
    if (!result.valid) return false;
    const step = String((result as { timeStep: number }).timeStep);
    // Two requests racing with one code: only one moves the time step.
    const moved = await trx.updateTable('mfa_factors').set({ last_time_step: step, last_used_at: now() })
      .where('id', '=', factor.id).where((eb) => eb.or([eb('last_time_step', 'is', null), eb('last_time_step', '<', step)])).executeTakeFirst();
    return Number(moved.numUpdatedRows) === 1;
  }

  async function checkRecovery(trx: Db, userId: string, code: string): Promise<boolean> {
    const normalized = code.trim().toLowerCase().replace(/[\s-]/g, '');
    if (!/^[a-z0-9]{10}$/.test(normalized)) return false;
    const used = await trx.updateTable('mfa_recovery_codes').set({ used_at: now() })
      .where('user_id', '=', userId).where('code_hash', '=', keyed(`recovery:${userId}`, normalized)).where('used_at', 'is', null).executeTakeFirst();
    return Number(used.numUpdatedRows) === 1;
  }

  /**
   * Answers a challenge with a method and a code, spending it on success. A wrong answer
   * is counted (commit the transaction even when this returns a failure); the fifth ends it.
   */
  async function answer(trx: Db, challengeId: string, purpose: string, method: Method, code: string, userId?: string): Promise<{ ok: true; challenge: MfaChallengeRow } | { ok: false; code: 'mfa_challenge_invalid' | 'mfa_challenge_expired' | 'invalid_code' | 'too_many_attempts' }> {
    if (!/^[0-9a-f-]{36}$/i.test(challengeId)) return { ok: false, code: 'mfa_challenge_invalid' };
    const ch = await trx.selectFrom('mfa_challenges').selectAll().where('id', '=', challengeId).where('purpose', '=', purpose).forUpdate().executeTakeFirst();
    if (!ch || ch.consumed_at || (userId && ch.user_id !== userId)) return { ok: false, code: 'mfa_challenge_invalid' };
    if (ch.expires_at.getTime() <= clock.now()) return { ok: false, code: 'mfa_challenge_expired' };
    if (ch.attempts >= MAX_MFA_ATTEMPTS) return { ok: false, code: 'too_many_attempts' };
    if (method === 'passkey') return { ok: false, code: 'mfa_challenge_invalid' };
    let right = false;
    if (method === 'totp') {
      const factor = (await activeFactors(ch.user_id, trx)).find((f) => f.type === 'totp');
      right = factor ? await checkTotp(trx, factor, code) : false;
    } else if (method === 'recovery') {
      right = await checkRecovery(trx, ch.user_id, code);
    } else {
      right = ch.method === method && ch.code_hash !== null && /^\d{6}$/.test(code) && timingSafeEqual(keyed(ch.id, code), ch.code_hash);
      if (right && ch.factor_id) await trx.updateTable('mfa_factors').set({ last_used_at: now() }).where('id', '=', ch.factor_id).execute();
      if (right && method === 'email') await trx.updateTable('mfa_factors').set({ last_used_at: now() }).where('user_id', '=', ch.user_id).where('type', '=', 'email').execute();
    }
    if (!right) {
      const attempts = ch.attempts + 1;
      await trx.updateTable('mfa_challenges').set({ attempts }).where('id', '=', ch.id).execute();
      return { ok: false, code: attempts >= MAX_MFA_ATTEMPTS ? 'too_many_attempts' : 'invalid_code' };
    }
    await trx.updateTable('mfa_challenges').set({ consumed_at: now() }).where('id', '=', ch.id).execute();
    return { ok: true, challenge: ch };
  }

  async function answerOrThrow(purpose: string, challengeId: string, method: Method, code: string, userId?: string): Promise<MfaChallengeRow> {
    const r = await db.transaction().execute((trx) => answer(trx, challengeId, purpose, method, code, userId));
    if (!r.ok) throw new AppError(r.code);
    return r.challenge;
  }

  // ---- enrollment -----------------------------------------------------------------------

  async function newRecoveryCodes(trx: Db, userId: string): Promise<string[]> {
    await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
    const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => Array.from(randomBytes(10), (b) => alphabet[b % alphabet.length]).join(''));
    await trx.insertInto('mfa_recovery_codes').values(codes.map((c) => ({ user_id: userId, code_hash: keyed(`recovery:${userId}`, c), used_at: null }))).execute();
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
  }

  /** Starts TOTP enrollment: a new secret (replacing an unfinished one), its URI and QR code. */
  async function setupTotp(user: UserRow) {
    if ((await activeFactors(user.id)).some((f) => f.type === 'totp')) throw new AppError('mfa_factor_exists');
    const secret = generateSecret({ length: 20 });
    const id = randomUUID();
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_factors').where('user_id', '=', user.id).where('type', '=', 'totp').where('verified_at', 'is', null).execute();
      await trx.insertInto('mfa_factors').values({
        id, user_id: user.id, type: 'totp', secret_encrypted: encrypter.encrypt(secret, `totp:${id}`), phone: null,
        last_time_step: null, verified_at: null, last_used_at: null, created_at: now(),
      }).execute();
    });
    const uri = generateURI({ issuer: s.issuer, label: user.email, secret });
    // Loaded when the first factor is enrolled, not at start-up.
    const { default: QRCode } = await import('qrcode');
    const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 });
    const dataUrl = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1 });
    return { factorId: id, secret, uri, qrCode: { svg, dataUrl } };
  }

  /** Activates TOTP with a first code; returns the recovery codes (shown once). */
  async function verifyTotp(user: UserRow, code: string): Promise<{ factorId: string; recoveryCodes: string[] }> {
    const outcome = await db.transaction().execute(async (trx) => {
      const pending = await trx.selectFrom('mfa_factors').selectAll().where('user_id', '=', user.id).where('type', '=', 'totp').where('verified_at', 'is', null).forUpdate().executeTakeFirst();
      if (!pending) return { ok: false as const, error: 'mfa_challenge_invalid' as const };
      if (!(await checkTotp(trx, pending, code))) return { ok: false as const, error: 'invalid_code' as const };
      await trx.updateTable('mfa_factors').set({ verified_at: now() }).where('id', '=', pending.id).execute();
      await deps.audit(trx, { type: 'mfa.factor_added', subject: user.id, details: { factorId: pending.id, type: 'totp' } });
      return { ok: true as const, factorId: pending.id, recoveryCodes: await newRecoveryCodes(trx, user.id) };
    });
    if (!outcome.ok) throw new AppError(outcome.error);
    return { factorId: outcome.factorId, recoveryCodes: outcome.recoveryCodes };
  }

  /** The email address (already verified) becomes a factor. */
  async function enableEmail(user: UserRow): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
    if (!user.email_verified) throw new AppError('email_not_verified');
    if ((await activeFactors(user.id)).some((f) => f.type === 'email')) throw new AppError('mfa_factor_exists');
    return db.transaction().execute(async (trx) => {
      const id = randomUUID();
      const hadCodes = (await trx.selectFrom('mfa_recovery_codes').select('id').where('user_id', '=', user.id).limit(1).execute()).length > 0;
      await trx.insertInto('mfa_factors').values({ id, user_id: user.id, type: 'email', secret_encrypted: null, phone: null, last_time_step: null, verified_at: now(), last_used_at: null, created_at: now() }).execute();
      await deps.audit(trx, { type: 'mfa.factor_added', subject: user.id, details: { factorId: id, type: 'email' } });
      return { factorId: id, recoveryCodes: hadCodes ? null : await newRecoveryCodes(trx, user.id) };
    });
  }

  /** Sends a code to a phone number; it becomes a factor once the code comes back. */
  async function enrollSms(user: UserRow, phone: string): Promise<{ verificationId: string; expiresAt: Date }> {
    if (!s.smsEnabled) throw new AppError('mfa_method_unavailable');
    if (!E164.test(phone)) throw new AppError('validation_failed', { details: [{ field: 'phone', message: 'an E.164 number such as +33612345678' }] });
    if ((await activeFactors(user.id)).some((f) => f.type === 'sms')) throw new AppError('mfa_factor_exists');
    const ch = await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('mfa_factors').where('user_id', '=', user.id).where('type', '=', 'sms').where('verified_at', 'is', null).execute();
      const id = randomUUID();
      const factor = await trx.insertInto('mfa_factors').values({ id, user_id: user.id, type: 'sms', secret_encrypted: null, phone, last_time_step: null, verified_at: null, last_used_at: null, created_at: now() }).returningAll().executeTakeFirstOrThrow();
      const challenge = await newChallenge(trx, user.id, 'phone');
      await sendCode(trx, challenge, user, 'sms', factor);
      return challenge;
    });
    return { verificationId: ch.id, expiresAt: ch.expires_at };
  }

  async function verifySms(user: UserRow, verificationId: string, code: string): Promise<{ factorId: string; recoveryCodes: string[] | null }> {
    const ch = await answerOrThrow('phone', verificationId, 'sms', code, user.id);
    return db.transaction().execute(async (trx) => {
      await trx.updateTable('mfa_factors').set({ verified_at: now() }).where('id', '=', ch.factor_id!).execute();
      await deps.audit(trx, { type: 'mfa.factor_added', subject: user.id, details: { factorId: ch.factor_id, type: 'sms' } });
      const hadCodes = (await trx.selectFrom('mfa_recovery_codes').select('id').where('user_id', '=', user.id).limit(1).execute()).length > 0;
      return { factorId: ch.factor_id!, recoveryCodes: hadCodes ? null : await newRecoveryCodes(trx, user.id) };
    });
  }

  // ---- sign-in, enrollment tokens, step-up ----------------------------------------------

  /**
   * What a sign-in needs after its first factor, read once: `enroll` when one of the
   * user's roles (or a role they include) requires a factor and there is none, `challenge` (with the methods) when the user has
   * factors, `none` otherwise.
   */
  async function secondStep(user: UserRow): Promise<{ kind: 'none' } | { kind: 'enroll' } | { kind: 'challenge'; methods: Method[] }> {
    const methods = await methodsOf(user.id);
    if (methods.length) return { kind: 'challenge', methods };
    if (!s.requiredForRoles.length) return { kind: 'none' };
    const roles = await deps.rolesOf(user.id);
    return roles.some((r) => s.requiredForRoles.includes(r)) ? { kind: 'enroll' } : { kind: 'none' };
  }

  /** The sign-in challenge for a user with factors; the preferred method's code is sent. */
  async function loginChallenge(user: UserRow, client: string, firstAmr: string, methods: Method[]): Promise<{ verificationId: string; expiresAt: Date; methods: Method[] }> {
    const ch = await db.transaction().execute((trx) => newChallenge(trx, user.id, 'login', { client, firstAmr }));
    const first = methods[0]!;
    if (first === 'email' || first === 'sms') {
      // When the preferred code cannot go out (a cap, the provider), the challenge still
      // stands: the user can answer with another method or ask again.
      try {
        await db.transaction().execute(async (trx) => sendCode(trx, ch, user, first, (await activeFactors(user.id, trx)).find((f) => f.type === first)));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        deps.log.warn({ userId: user.id, method: first, code: err.code }, 'the code of the preferred second factor was not sent');
      }
    }
    mailer.flush();
    return { verificationId: ch.id, expiresAt: ch.expires_at, methods };
  }

  /** Sends the code of another method (email or SMS) for a sign-in or reauthentication challenge. */
  async function resend(challengeId: string, method: 'email' | 'sms', userId?: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const ch = /^[0-9a-f-]{36}$/i.test(challengeId) ? await trx.selectFrom('mfa_challenges').selectAll().where('id', '=', challengeId).forUpdate().executeTakeFirst() : undefined;
      if (!ch || ch.consumed_at || !['login', 'reauth'].includes(ch.purpose) || (userId && ch.user_id !== userId)) throw new AppError('mfa_challenge_invalid');
      if (ch.expires_at.getTime() <= clock.now()) throw new AppError('mfa_challenge_expired');
      if (ch.attempts >= MAX_MFA_ATTEMPTS) throw new AppError('too_many_attempts');
      const factor = (await activeFactors(ch.user_id, trx)).find((f) => f.type === method);
      if (!factor) throw new AppError('mfa_method_unavailable');
      const user = await deps.users.findById(ch.user_id, trx);
      if (!user) throw new AppError('mfa_challenge_invalid');
      await sendCode(trx, ch, user, method, factor);
    });
    mailer.flush();
  }

  /** Completes a sign-in challenge; returns the user, the client and the amr to sign in with. */
  async function completeLogin(challengeId: string, method: Method, code: string): Promise<{ user: UserRow; client: string; amr: string[] }> {
    let ch: MfaChallengeRow;
    try {
      ch = await answerOrThrow('login', challengeId, method, code);
    } catch (err) {
      // A wrong code is a failed sign-in of the challenge's user.
      if (err instanceof AppError && (err.code === 'invalid_code' || err.code === 'too_many_attempts')) {
        const owner = await db.selectFrom('mfa_challenges').select('user_id').where('id', '=', challengeId).executeTakeFirst();
        await deps.audit(db, { type: 'user.login_failed', subject: owner?.user_id ?? null, success: false, reason: `mfa_${err.code}`, details: { method } });
      }
      throw err;
    }
    const user = await deps.users.findById(ch.user_id);
    if (!user) throw new AppError('mfa_challenge_invalid');
    if (!user.is_active) throw new AppError('account_disabled');
    await deps.audit(db, { type: 'mfa.challenge_succeeded', subject: user.id, details: { method } });
    return { user, client: ch.client ?? 'web', amr: [ch.first_amr ?? 'pwd', AMR[method]] };
  }

  /** Completes a sign-in challenge with a passkey assertion the passkeys module verified. */
  async function completeWithPasskey(challengeId: string, userId: string): Promise<{ user: UserRow; client: string; amr: string[] }> {
    const ch = await db.transaction().execute(async (trx) => {
      const row = /^[0-9a-f-]{36}$/i.test(challengeId) ? await trx.selectFrom('mfa_challenges').selectAll().where('id', '=', challengeId).where('purpose', '=', 'login').forUpdate().executeTakeFirst() : undefined;
      if (!row || row.consumed_at || row.user_id !== userId) throw new AppError('mfa_challenge_invalid');
      if (row.expires_at.getTime() <= clock.now()) throw new AppError('mfa_challenge_expired');
      if (row.attempts >= MAX_MFA_ATTEMPTS) throw new AppError('too_many_attempts');
      await trx.updateTable('mfa_challenges').set({ consumed_at: now() }).where('id', '=', row.id).execute();
      return row;
    });
    const user = await deps.users.findById(ch.user_id);
    if (!user) throw new AppError('mfa_challenge_invalid');
    if (!user.is_active) throw new AppError('account_disabled');
    await deps.audit(db, { type: 'mfa.challenge_succeeded', subject: user.id, details: { method: 'passkey' } });
    return { user, client: ch.client ?? 'web', amr: [ch.first_amr ?? 'pwd', AMR.passkey] };
  }

  /** The user a live sign-in challenge belongs to (for passkey options of its second step). */
  async function challengeUser(challengeId: string): Promise<string> {
    const row = /^[0-9a-f-]{36}$/i.test(challengeId) ? await db.selectFrom('mfa_challenges').select(['user_id', 'consumed_at', 'expires_at']).where('id', '=', challengeId).where('purpose', '=', 'login').executeTakeFirst() : undefined;
    if (!row || row.consumed_at) throw new AppError('mfa_challenge_invalid');
    if (row.expires_at.getTime() <= clock.now()) throw new AppError('mfa_challenge_expired');
    return row.user_id;
  }

  /** A short-lived token that only allows enrolling a factor (then signing in). */
  async function enrollmentToken(user: UserRow, client: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken(32);
    const ch = await db.transaction().execute((trx) => newChallenge(trx, user.id, 'enroll', { client, tokenHash: sha256(token), ttl: 15 * 60 }));
    return { token, expiresAt: ch.expires_at };
  }

  /** The user an enrollment token stands for (without spending it). */
  async function enrollmentUser(token: string): Promise<{ user: UserRow; challengeId: string; client: string }> {
    const ch = await db.selectFrom('mfa_challenges').selectAll().where('token_hash', '=', sha256(token)).where('purpose', '=', 'enroll').executeTakeFirst();
    if (!ch || ch.consumed_at || ch.expires_at.getTime() <= clock.now()) throw new AppError('unauthorized', { message: 'The enrollment token is invalid or has expired' });
    const user = await deps.users.findById(ch.user_id);
    if (!user?.is_active) throw new AppError('unauthorized');
    return { user, challengeId: ch.id, client: ch.client ?? 'web' };
  }

  async function spendEnrollment(challengeId: string): Promise<void> {
    await db.updateTable('mfa_challenges').set({ consumed_at: now() }).where('id', '=', challengeId).execute();
  }

  /** Throws reauthentication_required unless the session proved its user within AUTH_REAUTH_MAX_AGE. */
  async function requireRecent(sessionId: string): Promise<void> {
    const p = await deps.sessions.proof(sessionId);
    if (!p || clock.now() - p.at > s.reauthMaxAge * 1000) throw new AppError('reauthentication_required');
  }

  /** A challenge for reauthenticating with an email or SMS code. */
  async function reauthChallenge(user: UserRow, method: 'email' | 'sms'): Promise<{ verificationId: string; expiresAt: Date }> {
    const factor = (await activeFactors(user.id)).find((f) => f.type === method);
    if (!factor) throw new AppError('mfa_method_unavailable');
    const ch = await db.transaction().execute(async (trx) => {
      const c = await newChallenge(trx, user.id, 'reauth');
      await sendCode(trx, c, user, method, factor);
      return c;
    });
    mailer.flush();
    return { verificationId: ch.id, expiresAt: ch.expires_at };
  }

  /** Proves the user again in a session: a password, a TOTP or recovery code, or a sent code. */
  async function reauthenticate(user: UserRow, sessionId: string, proof: { password?: string; method?: Method; code?: string; verificationId?: string }, verifyPassword: (hash: string, pw: string) => Promise<boolean>): Promise<void> {
    let amr: string;
    if (proof.password !== undefined) {
      if (!user.password_hash || !(await verifyPassword(user.password_hash, proof.password))) throw new AppError('invalid_credentials');
      amr = 'pwd';
    } else if (proof.code !== undefined && proof.verificationId !== undefined) {
      const ch = await answerOrThrow('reauth', proof.verificationId, (proof.method ?? 'email') as Method, proof.code, user.id);
      amr = AMR[(ch.method ?? 'email') as Method];
    } else if (proof.code !== undefined && (proof.method === 'totp' || proof.method === 'recovery')) {
      const method = proof.method;
      const ok = await db.transaction().execute(async (trx) => {
        if (method === 'totp') {
          const factor = (await activeFactors(user.id, trx)).find((f) => f.type === 'totp');
          return factor ? checkTotp(trx, factor, proof.code!) : false;
        }
        return checkRecovery(trx, user.id, proof.code!);
      });
      if (!ok) throw new AppError('invalid_code');
      amr = AMR[method];
    } else {
      throw new AppError('validation_failed', { details: [{ field: 'password', message: 'send password, or method and code, or verification_id and code' }] });
    }
    await deps.sessions.reauthenticated(sessionId, [amr]);
  }

  /** The caller's factors, for GET /auth/mfa. */
  async function list(userId: string) {
    const factors = await activeFactors(userId);
    return {
      factors: factors.map((f) => ({
        id: f.id, type: f.type, createdAt: f.created_at.toISOString(), lastUsedAt: f.last_used_at?.toISOString() ?? null,
        ...(f.phone ? { phone: maskPhone(f.phone) } : {}),
      })),
      recoveryCodesRemaining: factors.length ? await remainingRecovery(userId) : 0,
    };
  }

  /** Removes a factor (step-up checked by the caller); with the last one go the recovery codes. */
  async function remove(userId: string, factorId: string): Promise<void> {
    if (!/^[0-9a-f-]{36}$/i.test(factorId)) throw new AppError('not_found');
    await db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('mfa_factors').where('id', '=', factorId).where('user_id', '=', userId).where('verified_at', 'is not', null).returning('type').executeTakeFirst();
      if (!gone) throw new AppError('not_found');
      await deps.audit(trx, { type: 'mfa.factor_removed', subject: userId, details: { factorId, type: gone.type } });
      if ((await activeFactors(userId, trx)).length === 0) await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
    });
  }

  async function regenerateRecoveryCodes(userId: string): Promise<string[]> {
    if ((await activeFactors(userId)).length === 0) throw new AppError('mfa_not_enabled');
    return db.transaction().execute(async (trx) => {
      await deps.audit(trx, { type: 'mfa.recovery_codes_regenerated', subject: userId });
      return newRecoveryCodes(trx, userId);
    });
  }

  /** Removes every factor, recovery code and open challenge of a user (admin reset); returns how many factors were active. */
  async function resetIn(trx: Db, userId: string): Promise<number> {
    const active = (await activeFactors(userId, trx)).length;
    await trx.deleteFrom('mfa_factors').where('user_id', '=', userId).execute();
    await trx.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
    await trx.deleteFrom('mfa_challenges').where('user_id', '=', userId).where('purpose', '<>', 'enroll').execute();
    return active;
  }

  return {
    methodsOf, setupTotp, verifyTotp, enableEmail, enrollSms, verifySms, loginChallenge, resend, completeLogin, completeWithPasskey, challengeUser,
    secondStep, enrollmentToken, enrollmentUser, spendEnrollment, requireRecent, reauthChallenge, reauthenticate,
    list, remove, regenerateRecoveryCodes, resetIn,
    /** Deletes challenges that ended more than a day ago, and unfinished enrollments older than a day. */
    async prune(): Promise<void> {
      const dayAgo = new Date(clock.now() - 86_400_000);
      await db.deleteFrom('mfa_challenges').where('expires_at', '<', dayAgo).execute();
      await db.deleteFrom('mfa_factors').where('verified_at', 'is', null).where('created_at', '<', dayAgo).execute();
    },
    /** For tests and tools: a TOTP code of a secret at a time. */
    totpAt: (secret: string, epochSeconds: number) => totpGenerate({ secret, epoch: epochSeconds }),
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
