// The mail outbox: a message is a row written in the same transaction as the change that
// causes it, and a background worker delivers it after commit. A failed attempt is
// retried with a doubling delay; a crash between claim and delivery is healed when the
// claim's lease runs out. Delivery is at least once, and once in practice: a row is
// claimed by one worker at a time (FOR UPDATE SKIP LOCKED) and marked sent right after
// the SMTP server accepted it.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import { createWorker } from '../../core/worker.ts';
import type { Encrypter } from '../../core/crypto/index.ts';
import type { PruneLimits, WriteBatch } from '../../core/db/index.ts';
import type { Database, Db } from '../../database.ts';
import * as repo from './outbox.repo.ts';
import type { MailTransport, OutgoingMail } from './transports/transport.ts';

const BATCH = 10;
const LEASE_MS = 2 * 60_000;
const MAX_DELAY_MS = 3_600_000;
/** How long finished messages (sent, or given up) stay: the sent content is erased at once. */
const KEEP_FINISHED_MS = 7 * 86_400_000;

export interface MailOutboxDeps {
  db: Kysely<Database>;
  clock: Clock;
  encrypter: Encrypter;
  transport: MailTransport;
  log: Logger;
  maxAttempts: number;
  /** Seconds before the second attempt; doubles after each failure (capped at an hour). */
  retryDelay: number;
  /** Seconds between polls for due messages. */
  pollInterval: number;
}

/** The error of a failed attempt, as stored and logged: a code and a short message, no content. */
function describeError(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; message?: string };
  return [e.code, e.responseCode, (e.message ?? String(err)).slice(0, 200)].filter((x) => x !== undefined && x !== '').join(' ');
}

export function createMailOutbox(deps: MailOutboxDeps) {
  const { db, clock, encrypter, transport, log } = deps;

  /** Queues a message inside the caller's transaction; call `kick()` after commit. */
  /** A message's row: its content encrypted, due now. */
  function messageOf(kind: string, mail: OutgoingMail): repo.NewMessage {
    const id = randomUUID();
    const now = new Date(clock.now());
    return { id, kind, payload_encrypted: encrypter.encrypt(JSON.stringify(mail), `mail:${id}`), next_attempt_at: now, created_at: now };
  }

  async function enqueue(trx: Db, kind: string, mail: OutgoingMail): Promise<string> {
    const row = messageOf(kind, mail);
    await repo.insertMessage(trx, row);
    return row.id;
  }

  /** enqueue as a write of a batch. */
  function enqueueBatched(batch: WriteBatch, kind: string, mail: OutgoingMail): string {
    const row = messageOf(kind, mail);
    batch.write(repo.insertMessageQuery(db, row));
    return row.id;
  }

  function backoff(attempts: number): number {
    return Math.min(MAX_DELAY_MS, deps.retryDelay * 1000 * 2 ** Math.max(0, attempts - 1));
  }

  async function deliver(row: repo.ClaimedRow): Promise<boolean> {
    const at = () => new Date(clock.now());
    let mail: OutgoingMail;
    try {
      mail = JSON.parse(encrypter.decrypt(row.payload_encrypted ?? '', `mail:${row.id}`).toString('utf8')) as OutgoingMail;
    } catch (err) {
      // Sealed with another key, or damaged: retrying cannot help.
      await repo.markFailed(db, row.id, at(), `undecryptable: ${describeError(err)}`);
      log.error({ mailId: row.id, kind: row.kind }, 'email could not be decrypted (was AUTH_ENCRYPTION_KEY changed?); given up');
      return false;
    }
    try {
      await transport.send(mail, { kind: row.kind, id: row.id });
    } catch (err) {
      const error = describeError(err);
      if (row.attempts >= deps.maxAttempts) {
        await repo.markFailed(db, row.id, at(), error);
        log.error({ mailId: row.id, kind: row.kind, attempts: row.attempts, error }, 'email delivery failed for good');
      } else {
        const next = new Date(clock.now() + backoff(row.attempts));
        await repo.markRetry(db, row.id, next, error);
        log.warn({ mailId: row.id, kind: row.kind, attempts: row.attempts, nextAttemptAt: next.toISOString(), error }, 'email delivery failed; will retry');
      }
      return false;
    }
    await repo.markSent(db, row.id, at());
    log.info({ mailId: row.id, kind: row.kind, attempts: row.attempts, transport: transport.name }, 'email delivered');
    return true;
  }

  /** One pass: delivers every due message; returns how many were delivered. */
  async function deliverDue(): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = clock.now();
      const rows = await repo.claimDue(db, new Date(now), new Date(now + LEASE_MS), BATCH);
      for (const row of rows) if (await deliver(row)) sent++;
      if (rows.length < BATCH || worker.stopped) break;
    }
    return sent;
  }

  const worker = createWorker(deliverDue, (err) => log.error({ err: describeError(err) }, 'email worker pass failed'));
  const kick = () => worker.kick();

  return {
    enqueue,
    enqueueBatched,
    kick,
    deliverDue,
    /** Starts polling for due messages (retries, and messages queued by other processes). */
    start() {
      worker.start(deps.pollInterval * 1000);
    },
    /** Stops polling and waits for the pass in progress. */
    async stop() {
      await worker.stop();
      transport.close();
    },
    /** Messages not yet sent nor given up, and how long the most overdue has waited (metrics). */
    async queueState(): Promise<{ depth: number; oldestSeconds: number }> {
      const r = await repo.unsentStats(db);
      return { depth: Number(r.n), oldestSeconds: r.due ? Math.max(0, (clock.now() - new Date(r.due).getTime()) / 1000) : 0 };
    },
    /** Deletes messages sent or given up more than a week ago, in bounded batches (housekeeping). */
    prune: (limits?: PruneLimits) => repo.pruneFinishedBefore(db, new Date(clock.now() - KEEP_FINISHED_MS), limits),
    counts: () => repo.counts(db),
    transport: transport.name,
  };
}

export type MailOutbox = ReturnType<typeof createMailOutbox>;
