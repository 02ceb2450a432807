// The events module's tables: the outbox of events and the lease of the one dispatcher.
import { pruneInBatches, type PruneLimits } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';

export interface NewEventRow {
  id: string;
  type: string;
  subject: string;
  envelope: string;
  occurred_at: Date;
}

/** The insert of an event, to run in the caller's transaction or as one write of a batch. */
export function insertEventQuery(db: Db, row: NewEventRow) {
  return db.insertInto('events').values(row);
}

/** Takes or renews the named lease for `holder` unless another holder's lease is still running; true when held. */
export async function takeLease(db: Db, name: string, holder: string, now: Date, until: Date): Promise<boolean> {
  const row = await db.insertInto('event_dispatch_lease').values({ name, holder, expires_at: until })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, expires_at: until })
      .where((eb) => eb.or([eb('event_dispatch_lease.holder', '=', holder), eb('event_dispatch_lease.expires_at', '<=', now)])))
    .returning('holder').executeTakeFirst();
  return row?.holder === holder;
}

/** The next unpublished events, in order. */
export function unpublished(db: Db, limit: number) {
  return db.selectFrom('events').select(['seq', 'id', 'subject', 'envelope']).where('published_at', 'is', null).orderBy('seq').limit(limit).execute();
}

export async function markPublished(db: Db, seq: string, at: Date): Promise<void> {
  await db.updateTable('events').set({ published_at: at }).where('seq', '=', seq).execute();
}

/** Deletes events that occurred before `before` (only published ones when `publishedOnly`), in bounded batches. */
export async function pruneEvents(db: Db, before: Date, publishedOnly: boolean, limits?: PruneLimits): Promise<number> {
  return (await pruneInBatches(db, {
    table: 'events', key: 'seq',
    where: (eb) => (publishedOnly ? eb.and([eb('occurred_at', '<', before), eb('published_at', 'is not', null)]) : eb('occurred_at', '<', before)),
  }, limits)).deleted;
}

/** How many events wait to be published, and when the oldest of them occurred. */
export async function backlogOf(db: Db): Promise<{ count: number; oldest: Date | null }> {
  const r = await db.selectFrom('events').select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('occurred_at').as('oldest')])
    .where('published_at', 'is', null).executeTakeFirstOrThrow();
  return { count: Number(r.n), oldest: r.oldest ? new Date(r.oldest) : null };
}
