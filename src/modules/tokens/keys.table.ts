import type { Generated, Selectable } from 'kysely';

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_key_encrypted: string;
  created_at: Generated<Date>;
  retired_at: Date | null;
}

export type SigningKeyRow = Selectable<SigningKeysTable>;
