import type { Insertable } from 'kysely';
import { pruneInBatches, type PruneLimits } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { AuditLogTable, AuditRow } from './audit.table.ts';

/** A row to insert: every column but the generated id, with details as an object. */
export type NewAuditEntry = Omit<Insertable<AuditLogTable>, 'id' | 'details'> & { details: Record<string, unknown> };

export function insertEntryQuery(db: Db, e: NewAuditEntry) {
  return db.insertInto('audit_log').values({ ...e, details: JSON.stringify(e.details) as never });
}

export async function insertEntry(db: Db, e: NewAuditEntry): Promise<void> {
  await insertEntryQuery(db, e).execute();
}

export interface AuditFilter {
  userId?: string | undefined;
  actorId?: string | undefined;
  types?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  success?: boolean | undefined;
  /** Entries older than this id (the cursor: newest first). */
  beforeId?: string | undefined;
  limit: number;
}

export async function listEntries(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (f.userId) q = q.where('subject_user_id', '=', f.userId);
  if (f.actorId) q = q.where('actor_id', '=', f.actorId);
  if (f.types?.length) q = q.where('type', 'in', f.types);
  if (f.from) q = q.where('occurred_at', '>=', f.from);
  if (f.to) q = q.where('occurred_at', '<', f.to);
  if (f.success !== undefined) q = q.where('success', '=', f.success);
  if (f.beforeId) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/** Deletes entries older than `cutoff`, in batches (on audit_log_time_idx). */
export async function pruneBefore(db: Db, cutoff: Date, limits?: PruneLimits): Promise<number> {
  return (await pruneInBatches(db, { table: 'audit_log', key: 'id', where: (eb) => eb('occurred_at', '<', cutoff) }, limits)).deleted;
}

/** Entries after `afterId`, oldest first (`tessera audit tail`). */
export async function entriesAfter(db: Db, afterId: string, f: { userId?: string | undefined; types?: string[] | undefined }, limit: number): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll().where('id', '>', afterId);
  if (f.userId) q = q.where('subject_user_id', '=', f.userId);
  if (f.types?.length) q = q.where('type', 'in', f.types);
  return q.orderBy('id', 'asc').limit(limit).execute();
}
