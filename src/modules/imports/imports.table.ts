import type { Generated, Selectable } from 'kysely';

export interface PasswordHashParamsTable {
  /** Derived from the parameters, so re-importing with the same ones reuses the row. */
  id: string;
  /** `firebase_scrypt`. */
  algorithm: string;
  /** Public parameters (rounds, memory cost, salt separator). */
  params: Record<string, unknown>;
  /** The secret part (Firebase's signer key), sealed with AUTH_ENCRYPTION_KEY. */
  secret_encrypted: string | null;
  created_at: Generated<Date>;
}

export type PasswordHashParamsRow = Selectable<PasswordHashParamsTable>;
