import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { DeliveryStatus, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow, WebhookEndpointsTable } from './webhooks.table.ts';
import type { Insertable, Updateable } from 'kysely';
import { pruneInBatches, type PruneLimits } from '../../core/db/index.ts';

export async function insertEndpoint(db: Db, row: Insertable<WebhookEndpointsTable>): Promise<WebhookEndpointRow> {
  return db.insertInto('webhook_endpoints').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function updateEndpoint(db: Db, id: string, set: Updateable<WebhookEndpointsTable>): Promise<WebhookEndpointRow | undefined> {
  return db.updateTable('webhook_endpoints').set(set).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteEndpoint(db: Db, id: string): Promise<boolean> {
  return Number((await db.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
}

export async function findEndpoint(db: Db, id: string, lock = false): Promise<WebhookEndpointRow | undefined> {
  let q = db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function listEndpoints(db: Db): Promise<WebhookEndpointRow[]> {
  return db.selectFrom('webhook_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** Pending and dead deliveries per endpoint. */
export async function deliveryCounts(db: Db, ids: string[]): Promise<Map<string, { pending: number; dead: number }>> {
  const out = new Map<string, { pending: number; dead: number }>();
  if (!ids.length) return out;
  const rows = await db.selectFrom('webhook_deliveries').select([
    'endpoint_id',
    sql<string>`count(*) filter (where status = 'pending')`.as('pending'),
    sql<string>`count(*) filter (where status = 'dead')`.as('dead'),
  ]).where('endpoint_id', 'in', ids).groupBy('endpoint_id').execute();
  for (const r of rows) out.set(r.endpoint_id, { pending: Number(r.pending), dead: Number(r.dead) });
  return out;
}

/**
 * One delivery per active endpoint whose filter takes the event (every type when the
 * filter is empty; `*`; the exact type; or `<entity>.*`), in the caller's transaction.
 */
/** One delivery per active endpoint subscribed to the event, returning a row for each. */
export function fanOutQuery(event: { id: string; type: string; payload: string }, now: Date) {
  const entity = `${event.type.slice(0, event.type.indexOf('.'))}.*`;
  return sql<{ one: number }>`
    insert into webhook_deliveries (id, endpoint_id, event_id, event_type, payload, next_attempt_at, created_at)
    select gen_random_uuid(), e.id, ${event.id}, ${event.type}, ${event.payload}::jsonb, ${now}, ${now}
    from webhook_endpoints e
    where e.active and (cardinality(e.event_types) = 0 or e.event_types && array[${event.type}, ${entity}, '*']::text[])
    returning 1 as one`;
}

export async function fanOut(db: Db, event: { id: string; type: string; payload: string }, now: Date): Promise<number> {
  return (await fanOutQuery(event, now).execute(db)).rows.length;
}

/** Endpoints (active ones) with deliveries due now and not claimed. */
export async function endpointsWithDue(db: Db, now: Date): Promise<string[]> {
  const rows = await sql<{ endpoint_id: string }>`
    select distinct d.endpoint_id from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
    where d.status = 'pending' and d.next_attempt_at <= ${now} and (d.locked_until is null or d.locked_until <= ${now}) and e.active`.execute(db);
  return rows.rows.map((r) => r.endpoint_id);
}

/**
 * Claims up to `limit` due deliveries of one endpoint until `leaseUntil`, counting the
 * attempt. A row claimed by another worker in the meantime fails the re-check and is left.
 */
export async function claimDue(db: Db, endpointId: string, now: Date, leaseUntil: Date, limit: number): Promise<WebhookDeliveryRow[]> {
  const res = await sql<WebhookDeliveryRow>`
    update webhook_deliveries set locked_until = ${leaseUntil}, attempts = attempts + 1
    where id in (
      select id from webhook_deliveries
      where endpoint_id = ${endpointId} and status = 'pending' and next_attempt_at <= ${now}
        and (locked_until is null or locked_until <= ${now})
      order by next_attempt_at, seq
      limit ${limit}
      for update skip locked)
    returning *`.execute(db);
  return res.rows;
}

export async function recordAttempt(db: Db, a: { delivery_id: string; attempted_at: Date; duration_ms: number; status_code: number | null; error: string | null; succeeded: boolean }): Promise<void> {
  await db.insertInto('webhook_attempts').values(a).execute();
}

/** Records an attempt's outcome, unless the claim ran out and the delivery changed hands meanwhile. */
export async function finishDelivery(db: Db, id: string, lease: Date, set: { status: DeliveryStatus; next_attempt_at?: Date; completed_at: Date | null; last_status_code: number | null; last_error: string | null }): Promise<boolean> {
  const res = await db.updateTable('webhook_deliveries').set({ ...set, locked_until: null }).where('id', '=', id).where('locked_until', '=', lease).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function findDelivery(db: Db, endpointId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('endpoint_id', '=', endpointId).executeTakeFirst();
}

export async function listDeliveries(db: Db, endpointId: string, q: { status?: DeliveryStatus | undefined; eventType?: string | undefined; before?: string | undefined; limit: number }): Promise<WebhookDeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.eventType) query = query.where('event_type', '=', q.eventType);
  if (q.before) query = query.where('seq', '<', q.before);
  return query.orderBy('seq', 'desc').limit(q.limit).execute();
}

export async function attemptsOf(db: Db, ids: string[]): Promise<Map<string, WebhookAttemptRow[]>> {
  const out = new Map<string, WebhookAttemptRow[]>();
  if (!ids.length) return out;
  const rows = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('id').execute();
  for (const r of rows) {
    const list = out.get(r.delivery_id) ?? [];
    list.push(r);
    out.set(r.delivery_id, list);
  }
  return out;
}

export async function insertReplay(db: Db, of: WebhookDeliveryRow, id: string, now: Date): Promise<WebhookDeliveryRow> {
  return db.insertInto('webhook_deliveries').values({
    id, endpoint_id: of.endpoint_id, event_id: of.event_id, event_type: of.event_type, payload: JSON.stringify(of.payload),
    next_attempt_at: now, created_at: now, replay_of: of.id,
  }).returningAll().executeTakeFirstOrThrow();
}

/**
 * Forgets finished deliveries completed before `before`, in batches on
 * webhook_deliveries_completed_idx. Their attempts go with them (on delete cascade): a
 * delivery has at most the dozen attempts of its retry window, so a batch stays bounded.
 */
export async function pruneFinished(db: Db, before: Date, limits?: PruneLimits): Promise<number> {
  return (await pruneInBatches(db, { table: 'webhook_deliveries', key: 'id', where: (eb) => eb('completed_at', '<', before) }, limits)).deleted;
}

/** How many deliveries are pending (`n`), and the earliest time one of them is due (`due`). */
export async function pendingStats(db: Db): Promise<{ n: string; due: Date | null }> {
  return db.selectFrom('webhook_deliveries').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('next_attempt_at').as('due')])
    .where('status', '=', 'pending').executeTakeFirstOrThrow();
}

/** Gives a claimed delivery back untried (the worker is stopping). */
export async function release(db: Db, id: string, lease: Date): Promise<void> {
  await db.updateTable('webhook_deliveries').set((eb) => ({ locked_until: null, attempts: eb('attempts', '-', 1) })).where('id', '=', id).where('locked_until', '=', lease).execute();
}
