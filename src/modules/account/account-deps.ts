// The dependencies every account use case takes first: what the composition root passes to
// createAccountService, and the two things the binding adds once (see AccountDeps).
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Background } from '../../core/background.ts';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditBatchRecorder, AuditRecorder } from '../audit/index.ts';
import type { BeforeSignup } from '../hooks/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { AddressClaim } from '../sign-in/index.ts';
import type { UsersService } from '../users/index.ts';
import type { AddressLimits } from './address-limits.ts';
import type { Notices } from './notices.ts';
import type { OneTimeTokens } from './one-time-tokens.ts';

export interface AccountSettings {
  publicUrl: string;
  clientUrl: string;
  verificationExpiresIn: number;
  resendLimit: number;
  resendInterval: number;
  resetExpiresIn: number;
  emailChangeExpiresIn: number;
  addressLimit: number;
  addressWindow: number;
}

export interface AccountServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  users: UsersService;
  sessions: SessionsService;
  passwords: PasswordHasher;
  mailer: Mailer;
  notices: Notices;
  tokens: OneTimeTokens;
  limits: AddressLimits;
  settings: AccountSettings;
  audit: AuditRecorder;
  /** The same, as a write of a batch. */
  auditBatched: AuditBatchRecorder;
  /** Checks, after an account is deleted in a transaction, that a super_admin remains. */
  afterDelete: (trx: Db, userId: string) => Promise<void>;
  /** The before-signup hook (AUTH_HOOK_BEFORE_SIGNUP_URL): may refuse a registration. */
  beforeSignup?: BeforeSignup | undefined;
  /** The first proof of an address settles who owns the account (the sign-in module's rule). */
  claim: AddressClaim['claim'];
  /** Keys the registrant mark (the browser or client that registered an account). */
  secret: string;
}

/**
 * What each account use case takes as its first parameter: the service's dependencies,
 * with what createAccountService adds once, so that no use case derives a key per call.
 */
export interface AccountDeps extends AccountServiceDeps {
  /** Runs the account part of a request naming an address after the answer. */
  background: Background;
  /** The registrant mark's keyed hash, derived once from `secret`. */
  registrantKey: (scope: string, value: string) => Buffer;
}
