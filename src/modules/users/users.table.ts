import type { ColumnType, Generated, Selectable } from 'kysely';

export interface UsersTable {
  id: string;
  username: string;
  /** Null for an account without an address (AUTH_EMAIL_REQUIRED=false). */
  email: string | null;
  password_hash: string | null;
  role: string;
  is_active: Generated<boolean>;
  email_verified: Generated<boolean>;
  /** Language of the user's emails (`en`, `fr`, ...). */
  locale: Generated<string>;
  last_login: Date | null;
  /** When the current password was set (null without a password). */
  password_changed_at: Date | null;
  /** Set by an administrator: the next sign-in must choose a new password. */
  password_reset_required: Generated<boolean>;
  /** Free-form data set by administrators (application metadata). */
  metadata: Generated<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SystemFlagsTable {
  name: string;
  created_at: Generated<Date>;
}

export interface PasswordHistoryTable {
  id: Generated<string>;
  user_id: string;
  password_hash: string;
  created_at: Date;
}

export type UserRow = Selectable<UsersTable>;
export type { ColumnType };
