// The one interface a second-factor method implements (TOTP, email code, SMS code,
// recovery codes), what the shared machinery hands every method, and the registry the
// machinery looks methods up in. A passkey is not a method here: the passkeys module
// verifies its assertion and completes the challenge through `completeWithPasskey`.
import type { Kysely } from 'kysely';
import type { Database, Db } from '../../../database.ts';
import type { AuditRecorder } from '../../audit/index.ts';
import type { UserRow } from '../../users/index.ts';
import type { MfaChallengeRow, MfaFactorRow } from '../mfa.table.ts';

export type Method = 'totp' | 'email' | 'sms' | 'recovery' | 'passkey';
/** The amr value each method adds (RFC 8176, plus `email` and `recovery`). */
export const AMR: Record<Method, string> = { totp: 'otp', email: 'email', sms: 'sms', recovery: 'recovery', passkey: 'hwk' };

/** What an answer is checked against: its user, and the challenge it answers when there is one. */
export interface AnswerTo {
  userId: string;
  challenge?: MfaChallengeRow;
}

/** What GET /auth/mfa shows of a factor besides its id, type and dates. */
export interface FactorDetails {
  phone?: string;
}

export interface MfaMethod {
  /** The name in the API, and the `type` of its factors. */
  readonly type: Exclude<Method, 'passkey'>;
  /**
   * Whether a sign-in offers this method to the user, given the types of their active
   * factors and the methods already offered (the registry's order is the preference).
   */
  offered(userId: string, factorTypes: ReadonlySet<string>, before: readonly Method[]): Promise<boolean>;
  /**
   * Checks a code inside the caller's transaction. True spends what the code proved (a
   * TOTP time step, a recovery code); the caller spends the challenge.
   */
  check(trx: Db, to: AnswerTo, code: string): Promise<boolean>;
  /** For methods that deliver their code: puts a fresh one on the challenge and sends it. */
  send?(trx: Db, challenge: MfaChallengeRow, user: UserRow, factor: MfaFactorRow | undefined): Promise<void>;
  /** Details of one of its factors for listing (masked, never a secret). */
  present?(factor: MfaFactorRow): FactorDetails;
}

/** What every method gets from the service. */
export interface MethodContext {
  db: Kysely<Database>;
  now: () => Date;
  /** Keyed hashes of codes (a server secret): a leaked table yields no usable code. */
  keyed: (scope: string, value: string) => Buffer;
  audit: AuditRecorder;
}

export interface MethodRegistry {
  /** Every method, the preferred first. */
  readonly all: readonly MfaMethod[];
  /** The method of a name, or undefined (a passkey, an unknown name). */
  get(type: string): MfaMethod | undefined;
}

export function methodRegistry(methods: readonly MfaMethod[]): MethodRegistry {
  const byType = new Map(methods.map((m) => [m.type as string, m]));
  return { all: methods, get: (type) => byType.get(type) };
}
