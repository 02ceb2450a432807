// Multi-factor authentication, composed: one file per method (methods/: TOTP, email and
// SMS codes, recovery codes) behind the MfaMethod interface, the challenges they answer,
// the second step of sign-in, enrollment tokens, step-up and a user's factors as a whole.
// This facade wires them and keeps the one public service the rest of Tessera calls.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { Read, ReadBatch } from '../../core/db/index.ts';
import { createKeyedHasher, type Encrypter } from '../../core/crypto/index.ts';
import type { AccountFailures } from '../../core/limits/index.ts';
import type { Database } from '../../database.ts';
import type { AddressLimits } from '../account/index.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { UsersService } from '../users/index.ts';
import { createChallenges } from './challenges.ts';
import { createEnrollment } from './enrollment.ts';
import { createFactors } from './factors.ts';
import { createLoginStep } from './login-step.ts';
import { createEmailCode } from './methods/email-code.ts';
import { methodRegistry, type MethodContext } from './methods/method.ts';
import { createRecoveryCodes } from './methods/recovery-codes.ts';
import { createSentCodes } from './methods/sent-code.ts';
import { createSmsCode } from './methods/sms-code.ts';
import { createTotp } from './methods/totp.ts';
import { createStepUp } from './step-up.ts';
import type { SmsProvider } from './sms/provider.ts';

export { MAX_MFA_ATTEMPTS } from './challenges.ts';
export { AMR, type Method } from './methods/method.ts';
export { RECOVERY_CODE_COUNT } from './methods/recovery-codes.ts';

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
  /** Whether the user has passkeys, as a part of a read batch (from the passkeys module, which builds on this one). */
  hasPasskeysRead: (reads: ReadBatch, userId: string) => Read<boolean>;
  /** The user's roles with every role they include (for AUTH_MFA_REQUIRED_FOR_ROLES). */
  rolesOf: (userId: string) => Promise<string[]>;
  audit: AuditRecorder;
  /** Wrong second factors and failed re-authentications count on the account's lockout. */
  failures: AccountFailures;
}

export function createMfaService(deps: MfaDeps) {
  const { db, clock, log, mailer, users, audit, failures, settings: s } = deps;
  const ctx: MethodContext = { db, audit, now: () => new Date(clock.now()), keyed: createKeyedHasher(deps.secret, 'tessera/mfa-codes/v1') };

  const challenges = createChallenges({ db, clock, challengeTtl: s.challengeTtl });
  const sent = createSentCodes(ctx);
  const recovery = createRecoveryCodes(ctx);
  const totp = createTotp(ctx, { clock, encrypter: deps.encrypter, issuer: s.issuer, recovery });
  const email = createEmailCode(ctx, { mailer, challengeTtl: s.challengeTtl, sent, recovery });
  const sms = createSmsCode(ctx, {
    log, sms: deps.sms, limits: deps.limits, sent, recovery, challenges,
    settings: { enabled: s.smsEnabled, perNumberPerHour: s.smsPerNumberPerHour, perDay: s.smsPerDay, challengeTtl: s.challengeTtl },
  });
  // The order is the preference a sign-in offers them in (after a passkey).
  const methods = methodRegistry([totp, sms, email, recovery]);

  const login = createLoginStep({
    db, clock, log, mailer, users, audit, failures, hasPasskeysRead: deps.hasPasskeysRead, rolesOf: deps.rolesOf,
    requiredForRoles: s.requiredForRoles, challenges, methods,
  });
  const enrollment = createEnrollment({ db, clock, users, challenges });
  const stepUp = createStepUp({ db, clock, sessions: deps.sessions, mailer, audit, failures, reauthMaxAge: s.reauthMaxAge, challenges, methods });
  const factors = createFactors({ db, clock, audit, methods, recovery });

  return {
    methodsOf: login.methodsOf,
    setupTotp: totp.setup,
    verifyTotp: totp.activate,
    enableEmail: email.enable,
    enrollSms: sms.enroll,
    verifySms: sms.verify,
    loginChallenge: login.loginChallenge,
    resend: login.resend,
    completeLogin: login.completeLogin,
    completeWithPasskey: login.completeWithPasskey,
    challengeUser: login.challengeUser,
    secondStepRead: login.secondStepRead,
    enrollmentToken: enrollment.enrollmentToken,
    enrollmentUser: enrollment.enrollmentUser,
    spendEnrollment: enrollment.spendEnrollment,
    requireRecent: stepUp.requireRecent,
    reauthChallenge: stepUp.reauthChallenge,
    reauthenticate: stepUp.reauthenticate,
    list: factors.list,
    remove: factors.remove,
    regenerateRecoveryCodes: recovery.regenerate,
    resetIn: factors.resetIn,
    prune: factors.prune,
    /** For tests and tools: a TOTP code of a secret at a time. */
    totpAt: totp.codeAt,
  };
}

export type MfaService = ReturnType<typeof createMfaService>;
