// A change, as services emit it on the change feed (src/core/changes.ts): the audit entry
// it writes, plus what the public events of the change carry, so that no subscriber has
// to read the database to tell about it.
import type { EmitChange, EmitChangeBatched } from '../../core/changes.ts';
import type { Actor } from '../../core/context.ts';
import type { Db } from '../../database.ts';
import type { AuditEventType } from './audit.catalogue.ts';

/** A user's row as it is after a change: the part the public events show. */
export interface UserSnapshot {
  id: string;
  username: string;
  email: string | null;
  email_verified: boolean;
  role: string;
  is_active: boolean;
  locale: string;
  created_at: Date;
}

export interface AuditEntry {
  type: AuditEventType;
  /** The user the event is about (null: none, or unknown as for a failed sign-in). */
  subject?: string | null;
  success?: boolean;
  /** A short code saying why (failures). */
  reason?: string;
  /** Extra facts; never a secret. */
  details?: Record<string, unknown>;
  /** Who acted; defaults to the request's caller, else the subject of a success, else anonymous. */
  actor?: Actor;
  /**
   * The subject's row after the change, for changes whose event shows the user (an account
   * created or changed, a provider identity linked or unlinked). Not written to the log;
   * without it those changes have no event.
   */
  user?: UserSnapshot | undefined;
  /**
   * The subject's roles after a change of roles, the default role first (as held in the
   * change's transaction). Not written to the log; without it the change has no event.
   */
  roles?: string[] | undefined;
}

/** What services take: records a change in the given transaction (or on the pool). */
export type AuditRecorder = EmitChange<Db, AuditEntry>;
/** The same as writes of a batch of writes. */
export type AuditBatchRecorder = EmitChangeBatched<AuditEntry>;
