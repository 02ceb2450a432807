import { sql } from 'kysely';
import { pruneInBatches, type PruneLimits } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { MailOutboxRow } from './mail.table.ts';

export type NewMessage = { id: string; kind: string; payload_encrypted: string; next_attempt_at: Date; created_at: Date };

export function insertMessageQuery(db: Db, row: NewMessage) {
  return db.insertInto('mail_outbox').values(row);
}

export async function insertMessage(db: Db, row: NewMessage): Promise<void> {
  await insertMessageQuery(db, row).execute();
}

/**
 * Claims up to `limit` due messages for this worker until `leaseUntil`, counting the
 * attempt. Rows locked by another worker's claim are skipped, so many instances can
 * deliver from one table without sending a message twice.
 */
export type ClaimedRow = MailOutboxRow;

export async function claimDue(db: Db, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedRow[]> {
  const res = await sql<ClaimedRow>`
    update mail_outbox set locked_until = ${leaseUntil}, attempts = attempts + 1
    where id in (
      select id from mail_outbox
      where sent_at is null and failed_at is null and next_attempt_at <= ${now}
        and (locked_until is null or locked_until <= ${now})
      order by created_at, id
      limit ${limit}
      for update skip locked)
    returning *`.execute(db);
  return res.rows;
}

export async function markSent(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('mail_outbox').set({ sent_at: at, payload_encrypted: null, locked_until: null, last_error: null }).where('id', '=', id).execute();
}

export async function markRetry(db: Db, id: string, nextAttemptAt: Date, error: string): Promise<void> {
  await db.updateTable('mail_outbox').set({ next_attempt_at: nextAttemptAt, locked_until: null, last_error: error }).where('id', '=', id).execute();
}

export async function markFailed(db: Db, id: string, at: Date, error: string): Promise<void> {
  await db.updateTable('mail_outbox').set({ failed_at: at, locked_until: null, last_error: error }).where('id', '=', id).execute();
}

/**
 * Forgets messages delivered (their content already erased) or given up before `before`,
 * in batches. No index: the table holds about a week of mail, and the hot path (queue,
 * claim, mark) is spared one.
 */
export async function pruneFinishedBefore(db: Db, before: Date, limits?: PruneLimits): Promise<number> {
  return (await pruneInBatches(db, { table: 'mail_outbox', key: 'id', where: (eb) => eb.or([eb('sent_at', '<', before), eb('failed_at', '<', before)]) }, limits)).deleted;
}

/** How many messages are neither sent nor given up (`n`), and the earliest time one of them is due (`due`). */
export async function unsentStats(db: Db): Promise<{ n: string; due: Date | null }> {
  return db.selectFrom('mail_outbox').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('next_attempt_at').as('due')])
    .where('sent_at', 'is', null).where('failed_at', 'is', null).executeTakeFirstOrThrow();
}

export async function counts(db: Db): Promise<{ pending: number; sent: number; failed: number }> {
  const row = await db.selectFrom('mail_outbox').select([
    sql<string>`count(*) filter (where sent_at is null and failed_at is null)`.as('pending'),
    sql<string>`count(*) filter (where sent_at is not null)`.as('sent'),
    sql<string>`count(*) filter (where failed_at is not null)`.as('failed'),
  ]).executeTakeFirstOrThrow();
  return { pending: Number(row.pending), sent: Number(row.sent), failed: Number(row.failed) };
}
