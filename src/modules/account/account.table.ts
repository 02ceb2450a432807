import type { Generated, Selectable } from 'kysely';

/** Single-use links and codes of the email flows; only hashes are stored. */
export interface EmailTokensTable {
  id: string;
  purpose: string;
  /** Null for a magic link that may create the account. */
  user_id: string | null;
  /** The address the message went to (for an email change, the new address). */
  email: string;
  token_hash: Buffer;
  code_hash: Buffer;
  attempts: Generated<number>;
  redirect_to: string | null;
  /** Locale of an account a magic link may create. */
  locale: string | null;
  /** What the sign-in flow had proven (a password-change token only; amr values, space-separated). */
  amr: string | null;
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

/** One row per message requested for an address, with or without an account behind it. */
export interface MailRequestsTable {
  id: Generated<string>;
  address_hash: Buffer;
  purpose: string;
  created_at: Date;
}

export type EmailTokenRow = Selectable<EmailTokensTable>;
