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

export type SessionRow = Selectable<SessionsTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;
