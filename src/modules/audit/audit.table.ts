import type { Generated, Selectable } from 'kysely';

export interface AuditLogTable {
  id: Generated<string>;
  occurred_at: Date;
  type: string;
  actor_type: string;
  actor_id: string | null;
  subject_user_id: string | null;
  ip: string | null;
  user_agent: string | null;
  success: boolean;
  reason: string | null;
  details: Generated<Record<string, unknown>>;
}

export type AuditRow = Selectable<AuditLogTable>;
