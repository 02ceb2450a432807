import type { Generated, Selectable } from 'kysely';

export interface MfaFactorsTable {
  id: string;
  user_id: string;
  /** `totp`, `email` or `sms`. */
  type: string;
  /** The TOTP secret, sealed with AES-256-GCM. */
  secret_encrypted: string | null;
  /** E.164 number of an SMS factor. */
  phone: string | null;
  /** The last accepted TOTP time step: a code of that step or earlier is a replay. */
  last_time_step: string | null;
  /** Null until the factor is proven (TOTP code, phone code). */
  verified_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
}

export interface MfaRecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: Buffer;
  used_at: Date | null;
}

export interface MfaChallengesTable {
  id: string;
  user_id: string;
  /** `login`, `reauth`, `phone` (verifying a number) or `enroll` (the enrollment token). */
  purpose: string;
  /** The method whose code was sent (`email`, `sms`), if any. */
  method: string | null;
  factor_id: string | null;
  code_hash: Buffer | null;
  token_hash: Buffer | null;
  client: string | null;
  /** How the first step of a sign-in was made (`pwd`, or `otp` for a magic link or email code). */
  first_amr: string | null;
  attempts: Generated<number>;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

export type MfaFactorRow = Selectable<MfaFactorsTable>;
export type MfaChallengeRow = Selectable<MfaChallengesTable>;
