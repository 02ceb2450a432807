// The audit log: one entry per security event, written in the transaction of the change
// it records (or on its own when there is none, as for a failed sign-in), so that an
// entry is never lost when the change happened. Address, agent and caller come from the
// request context unless given.
//
// The log is a subscriber of the change feed (src/core/changes.ts): services emit changes,
// and `subscriber` writes each one's entry.
import type { Kysely } from 'kysely';
import type { ChangeSubscriber } from '../../core/changes.ts';
import type { PruneLimits, WriteBatch } from '../../core/db/index.ts';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import { requestContext, type Actor } from '../../core/context.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditEntry } from './audit.change.ts';
import { AUDIT_EVENT_TYPES, AUDIT_EVENTS } from './audit.catalogue.ts';
import * as repo from './audit.repo.ts';
import type { AuditRow } from './audit.table.ts';

export interface AuditServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Days entries are kept (0: for ever). */
  retentionDays: number;
}

export interface PresentedEntry {
  id: string;
  occurredAt: string;
  type: string;
  actor: { type: string; id: string | null };
  userId: string | null;
  ip: string | null;
  userAgent: string | null;
  success: boolean;
  reason: string | null;
  details: Record<string, unknown>;
}

export function presentEntry(r: AuditRow): PresentedEntry {
  return {
    id: String(r.id), occurredAt: r.occurred_at.toISOString(), type: r.type, actor: { type: r.actor_type, id: r.actor_id },
    userId: r.subject_user_id, ip: r.ip, userAgent: r.user_agent, success: r.success, reason: r.reason, details: r.details,
  };
}

const CURSOR = /^[1-9][0-9]{0,18}$/;

export function createAuditService(deps: AuditServiceDeps) {
  const { db, clock } = deps;

  /** The row of an entry: who acted, from where (the request's context), when. */
  function rowOf(entry: AuditEntry): repo.NewAuditEntry {
    const ctx = requestContext();
    const success = entry.success ?? true;
    const subject = entry.subject ?? null;
    const actor: Actor = entry.actor ?? ctx?.actor ?? (success && subject ? { type: 'user', id: subject } : { type: 'anonymous' });
    return {
      occurred_at: new Date(clock.now()), type: entry.type, actor_type: actor.type, actor_id: 'id' in actor ? actor.id : null,
      subject_user_id: subject, ip: ctx?.ip ?? null, user_agent: ctx?.userAgent?.slice(0, 512) ?? null, success,
      reason: entry.reason ?? null, details: entry.details ?? {},
    };
  }

  /** Writes one entry on `on` (the change's transaction, or the pool); only the entry: changes go through the feed. */
  async function record(on: Db, entry: AuditEntry): Promise<void> {
    await repo.insertEntry(on, rowOf(entry));
  }

  /** record as a write of a batch. */
  function recordBatched(batch: WriteBatch, entry: AuditEntry): void {
    batch.write(repo.insertEntryQuery(db, rowOf(entry)));
  }

  /** Newest first, `limit` at a time; `cursor` is the `nextCursor` of the previous page. */
  async function list(q: { userId?: string; actorId?: string; type?: string; from?: string; to?: string; success?: boolean; cursor?: string; limit?: number }) {
    const types = q.type ? q.type.split(',').map((t) => t.trim()).filter(Boolean) : undefined;
    const unknown = types?.filter((t) => !(t in AUDIT_EVENTS));
    if (unknown?.length) throw new AppError('validation_failed', { details: [{ field: 'type', message: `unknown type ${unknown[0]}; one of ${AUDIT_EVENT_TYPES.join(', ')}` }] });
    if (q.cursor !== undefined && !CURSOR.test(q.cursor)) throw new AppError('validation_failed', { details: [{ field: 'cursor', message: 'is not a cursor of this list' }] });
    const date = (field: string, v: string | undefined) => {
      if (v === undefined) return undefined;
      const d = new Date(v);
      if (Number.isNaN(d.getTime())) throw new AppError('validation_failed', { details: [{ field, message: 'must be an ISO-8601 date-time' }] });
      return d;
    };
    const limit = q.limit ?? 50;
    const rows = await repo.listEntries(db, {
      userId: q.userId, actorId: q.actorId, types, from: date('from', q.from), to: date('to', q.to), success: q.success, beforeId: q.cursor, limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return { entries: page.map(presentEntry), nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null };
  }

  /** The log's part of every change: its entry, in the change's transaction or batch. */
  const subscriber: ChangeSubscriber<Db, AuditEntry> = { onChange: record, onChangeBatched: recordBatched };

  return {
    record,
    recordBatched,
    subscriber,
    list,
    /** Entries newer than `afterId` ('0': from the start), oldest first. */
    after: async (afterId: string, f: { userId?: string; types?: string[] } = {}, limit = 500) => (await repo.entriesAfter(db, afterId, f, limit)).map(presentEntry),
    /** Deletes entries past the retention period, in bounded batches (hourly housekeeping). */
    prune: async (limits?: PruneLimits) => (deps.retentionDays > 0 ? repo.pruneBefore(db, new Date(clock.now() - deps.retentionDays * 86_400_000), limits) : 0),
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
