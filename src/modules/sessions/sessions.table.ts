import type { ColumnType, Generated, Selectable } from 'kysely';

export interface SessionsTable {
  id: string;
  user_id: string;
  client: Generated<string>;
  ip: string | null;
  user_agent: string | null;
  created_at: Generated<Date>;
  last_used_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  browser: string | null;
  os: string | null;
  device_type: string | null;
  location: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  amr: Generated<string[]>;
  /** When the user last proved who they are in this session (sign-in, reauthentication). */
  reauthenticated_at: Date | null;
  /** The refresh-token family (refresh-token.ts); null for sessions whose tokens are rows of refresh_tokens. */
  refresh_generation: number | null;
  /** SHA-256 of the current generation's secret. */
  refresh_hash: Buffer | null;
  /** SHA-256 of the secrets of the current generation's siblings (retries within the reuse interval). */
  refresh_siblings: ColumnType<Buffer[], Buffer[] | undefined, Buffer[]>;
  /** When the family last moved to a new generation. */
  refresh_rotated_at: Date | null;
  /** The active organization of the session (the organizations module sets it). */
  organization_id: string | null;
}

export interface RefreshTokensTable {
  id: Generated<number>;
  session_id: string;
  token_hash: Buffer;
  parent_id: number | null;
  created_at: Generated<Date>;
  expires_at: Date;
  spent_at: Date | null;
}

/** The refresh-token family's columns: read only where a refresh token is checked. */
export type FamilyColumn = 'refresh_generation' | 'refresh_hash' | 'refresh_siblings' | 'refresh_rotated_at';
// The active organization is read by the organizations module, not with the session.
export type SessionRow = Omit<Selectable<SessionsTable>, FamilyColumn | 'organization_id'>;
/** Every column of a session but its refresh-token family. */
export const SESSION_COLUMNS = [
  'id', 'user_id', 'client', 'ip', 'user_agent', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'revoked_reason',
  'browser', 'os', 'device_type', 'location', 'amr', 'reauthenticated_at',
] as const satisfies readonly Exclude<keyof SessionsTable, FamilyColumn>[];
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
