import type { Generated, Selectable } from 'kysely';

export interface MailOutboxTable {
  id: string;
  kind: string;
  /** The sealed message (recipient, subject, bodies); erased once delivered. */
  payload_encrypted: string | null;
  attempts: Generated<number>;
  next_attempt_at: Date;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Date;
  sent_at: Date | null;
  failed_at: Date | null;
}

export type MailOutboxRow = Selectable<MailOutboxTable>;
