import type { Generated, Selectable } from 'kysely';

export interface ServiceAccountsTable {
  id: string;
  client_id: string;
  name: string;
  description: Generated<string>;
  /** SHA-256 of the secret (256 random bits: a slow hash adds nothing). */
  secret_hash: Buffer;
  secret_expires_at: Date | null;
  is_active: Generated<boolean>;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  last_used_at: Date | null;
}

export interface ServiceAccountPermissionsTable {
  service_account_id: string;
  permission: string;
}

export type ServiceAccountRow = Selectable<ServiceAccountsTable>;
