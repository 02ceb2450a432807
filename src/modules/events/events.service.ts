// Events: `emit` writes an event in the caller's transaction (the outbox), so an event
// exists exactly when its change committed. The dispatcher publishes unpublished events
// to NATS in `seq` order and marks them; one instance dispatches at a time (a renewable
// lease in the database), so order per subject holds across instances. Delivery is at
// least once: a crash between publish and mark re-publishes with the same `id` (which
// JetStream drops as a duplicate, and any consumer can use to deduplicate).
import { randomUUID } from 'node:crypto';
import type { Kysely, OperationNodeSource } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import { createWorker } from '../../core/worker.ts';
import type { PruneLimits, WriteBatch } from '../../core/db/index.ts';
import { requestContext, type Actor } from '../../core/context.ts';
import type { Database, Db } from '../../database.ts';
import { subjectOf, type EventType } from './events.catalogue.ts';
import type { Publisher } from './nats.ts';
import * as repo from './events.repo.ts';

const BATCH = 100;
const LEASE_MS = 10_000;
export const ENVELOPE_VERSION = 1;

export interface EventEnvelope {
  version: typeof ENVELOPE_VERSION;
  id: string;
  type: EventType;
  occurredAt: string;
  /** The id of the user, session or service account the event is about. */
  subject: string;
  actor: Actor;
  data: Record<string, unknown>;
}

export interface EventsDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Undefined without NATS_URL: events are recorded, not published. */
  publisher: Publisher | undefined;
  /** Seconds events are kept (AUTH_OUTBOX_RETENTION). */
  retention: number;
  /** Seconds between dispatcher passes (new events are also dispatched right after emit). */
  pollInterval: number;
  /**
   * Called with each event inside its transaction (webhook fan-out); returns how many
   * deliveries it added, and `deliver` is then called shortly after.
   */
  fanOut?: ((on: Db, event: { id: string; type: EventType; payload: string }) => Promise<number>) | undefined;
  /** The same fan-out as one write of a batch, returning a row per delivery. */
  fanOutQuery?: ((event: { id: string; type: EventType; payload: string }) => OperationNodeSource) | undefined;
  deliver?: (() => void) | undefined;
}

export function createEventsService(deps: EventsDeps) {
  const { db, clock, log, publisher } = deps;
  const holder = randomUUID();

  function envelopeOf(type: EventType, subject: string, data: Record<string, unknown>, actor: Actor | undefined) {
    const envelope: EventEnvelope = {
      version: ENVELOPE_VERSION, id: randomUUID(), type, occurredAt: new Date(clock.now()).toISOString(), subject,
      actor: actor ?? requestContext()?.actor ?? { type: 'system' }, data,
    };
    const payload = JSON.stringify(envelope);
    const row = { id: envelope.id, type, subject: subjectOf(type, subject), envelope: payload, occurred_at: new Date(clock.now()) };
    return { envelope, payload, row };
  }

  /** Once the event has committed: publish it soon, and deliver its webhooks. */
  function afterCommit(deliveries: number): void {
    // Most transactions commit within milliseconds; the polls catch the others.
    if (publisher) setTimeout(() => { void kick(); }, 5).unref();
    if (deliveries && deps.deliver) setTimeout(deps.deliver, 5).unref();
  }

  /** Writes an event in the caller's transaction. */
  async function emit(on: Db, type: EventType, subject: string, data: Record<string, unknown> = {}, actor?: Actor): Promise<EventEnvelope> {
    const { envelope, payload, row } = envelopeOf(type, subject, data, actor);
    await repo.insertEventQuery(on, row).execute();
    afterCommit(deps.fanOut ? await deps.fanOut(on, { id: envelope.id, type, payload }) : 0);
    return envelope;
  }

  /** emit as writes of a batch: the event, its webhook deliveries, then the kicks. */
  function emitBatched(batch: WriteBatch, type: EventType, subject: string, data: Record<string, unknown> = {}, actor?: Actor): EventEnvelope {
    const { envelope, payload, row } = envelopeOf(type, subject, data, actor);
    batch.write(repo.insertEventQuery(db, row));
    const deliveries = deps.fanOutQuery ? batch.counted(deps.fanOutQuery({ id: envelope.id, type, payload })) : undefined;
    batch.then(() => afterCommit(deliveries?.rows ?? 0));
    return envelope;
  }

  /** Takes or renews the dispatch lease; false when another instance holds it. */
  async function lease(): Promise<boolean> {
    const now = new Date(clock.now());
    const until = new Date(clock.now() + LEASE_MS);
    return repo.takeLease(db, 'nats', holder, now, until);
  }

  /** One pass: publishes unpublished events in order until none is left or NATS fails. */
  async function dispatch(): Promise<number> {
    if (!publisher?.ready() || !(await lease())) return 0;
    let sent = 0;
    for (;;) {
      const rows = await repo.unpublished(db, BATCH);
      for (const r of rows) {
        try {
          await publisher.publish(r.subject, JSON.stringify(r.envelope), r.id);
        } catch (err) {
          // Order matters: stop here and try again from this event on the next pass.
          log.warn({ eventId: r.id, err: (err as Error).message }, 'event not published; will retry');
          return sent;
        }
        await repo.markPublished(db, r.seq, new Date(clock.now()));
        sent++;
      }
      if (rows.length < BATCH || worker.stopped) return sent;
      if (!(await lease())) return sent;
    }
  }

  const worker = createWorker(dispatch, (err) => log.error({ err: err.message }, 'event dispatch pass failed'));
  const kick = () => worker.kick();

  /**
   * Deletes events past the retention (published ones; all of them without NATS), in
   * bounded batches on events_occurred_idx.
   */
  async function prune(limits?: PruneLimits): Promise<number> {
    const before = new Date(clock.now() - deps.retention * 1000);
    return repo.pruneEvents(db, before, Boolean(publisher), limits);
  }

  return {
    emit,
    emitBatched,
    kick,
    dispatch,
    prune,
    start() {
      if (publisher) worker.start(deps.pollInterval * 1000);
    },
    async stop() {
      await worker.stop();
      await publisher?.close();
    },
    /** Unpublished events (for /readyz details and tests). */
    backlog: async () => (await repo.backlogOf(db)).count,
    mode: () => publisher?.mode() ?? 'off',
    /** Events waiting for NATS and the age of the oldest (metrics); nothing waits without NATS. */
    async queueState(): Promise<{ depth: number; oldestSeconds: number } | undefined> {
      if (!publisher) return undefined;
      const r = await repo.backlogOf(db);
      return { depth: r.count, oldestSeconds: r.oldest ? Math.max(0, (clock.now() - r.oldest.getTime()) / 1000) : 0 };
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
