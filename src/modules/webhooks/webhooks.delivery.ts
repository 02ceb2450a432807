// The delivery worker: sends due deliveries, one lane per endpoint, so that a slow or
// failing endpoint holds up only its own lane (and never a request: deliveries are rows
// written in the event's transaction and sent after commit). A failed attempt is retried
// with a growing delay until the retry window (24 hours by default) has passed since the
// delivery was created; then the delivery is dead-lettered, to be replayed by hand.
// Claims carry a lease, so several instances can share the table and a crash mid-attempt
// only delays the delivery. Every attempt resolves the endpoint's name again, checks each
// address against the outbound policy (no loopback, private, link-local ... addresses
// unless AUTH_WEBHOOK_ALLOW_PRIVATE) and connects only to the addresses it checked.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import { createWorker } from '../../core/worker.ts';
import type { PruneLimits } from '../../core/db/index.ts';
import { signedHeaders, signMessage, type Encrypter } from '../../core/crypto/index.ts';
import { pinnedPost, resolveTarget, TargetRefused, type OutboundPolicy } from '../../core/net/index.ts';
import type { Database } from '../../database.ts';
import * as repo from './webhooks.repo.ts';
import type { WebhookDeliveryRow, WebhookEndpointRow } from './webhooks.table.ts';

/** Deliveries in flight per endpoint and instance. */
const PER_ENDPOINT = 4;
/** A claim outlives the attempt's timeout by this much; a crashed worker's claims are free again after it. */
const CLAIM_MARGIN_MS = 5_000;
/** Delay after the n-th failed attempt (seconds); the last one repeats. */
const BACKOFF_S = [5, 30, 120, 600, 1800, 3600, 7200, 14400];

export interface DeliveryWorkerDeps {
  db: Kysely<Database>;
  clock: Clock;
  encrypter: Encrypter;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Milliseconds an endpoint has to answer. */
  timeoutMs: number;
  /** Milliseconds after its creation during which a delivery is retried. */
  retryWindowMs: number;
  /** Seconds between polls for due deliveries (retries, other instances' events). */
  pollInterval: number;
  /** Seconds finished deliveries are kept (AUTH_OUTBOX_RETENTION). */
  retention: number;
  userAgent: string;
  /** Which URLs and addresses may be sent to, and the resolver that names go through. */
  outbound: OutboundPolicy;
}

/** The delay before the attempt after `attempts` failures: exponential, capped, with up to 10% jitter. */
export function backoffMs(attempts: number): number {
  const base = BACKOFF_S[Math.min(attempts, BACKOFF_S.length) - 1] ?? BACKOFF_S[0]!;
  return Math.round(base * 1000 * (1 + Math.random() * 0.1));
}

/**
 * A failed attempt as stored and logged: no response body, no URL, no address. A refused
 * destination is `address_not_allowed` (or `https_required`) whatever lies behind it, so
 * the attempt log cannot tell an open port from a closed one there.
 */
function describeError(err: unknown, timedOut: boolean): string {
  if (timedOut) return 'timeout';
  if (err instanceof TargetRefused) return err.reason;
  const e = err as { name?: string; code?: unknown; message?: string; cause?: { code?: unknown; message?: string } };
  if (e.name === 'TimeoutError') return 'timeout';
  if (typeof e.code === 'string') return e.code;
  if (typeof e.cause?.code === 'string') return e.cause.code;
  return (e.cause?.message ?? e.message ?? String(err)).slice(0, 200);
}

export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { db, clock, encrypter, log } = deps;
  const lanes = new Map<string, Promise<void>>();
  const stopping = new AbortController();

  function secretsOf(e: WebhookEndpointRow): string[] {
    const out = [encrypter.decrypt(e.secret_encrypted, `webhook:${e.id}`).toString('utf8')];
    if (e.previous_secret_encrypted && e.previous_secret_expires_at && e.previous_secret_expires_at.getTime() > clock.now()) {
      out.push(encrypter.decrypt(e.previous_secret_encrypted, `webhook:${e.id}`).toString('utf8'));
    }
    return out;
  }

  async function attempt(e: WebhookEndpointRow, d: WebhookDeliveryRow): Promise<void> {
    const body = JSON.stringify(d.payload);
    let statusCode: number | null = null;
    let error: string | null = null;
    const sentAt = clock.now();
    const started = performance.now();
    const timeout = AbortSignal.timeout(deps.timeoutMs);
    try {
      // The webhook id is the event id: the same for every delivery of an event, so a
      // receiver deduplicates retries and replays with it.
      const [secret, ...older] = secretsOf(e);
      const headers = signedHeaders(secret!, d.event_id, sentAt, body);
      for (const s of older) headers['webhook-signature'] += ' ' + signMessage(s, d.event_id, Number(headers['webhook-timestamp']), body);
      const signal = AbortSignal.any([timeout, stopping.signal]);
      const url = new URL(e.url);
      // Resolved and checked at every attempt: what was public at registration may not be now.
      const addresses = await resolveTarget(url, deps.outbound, signal);
      statusCode = await pinnedPost(url, addresses, {
        body, signal, headers: { ...headers, 'content-type': 'application/json', 'user-agent': deps.userAgent },
      });
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (err) {
      if (stopping.signal.aborted) {
        await repo.release(db, d.id, d.locked_until!);
        return;
      }
      error = describeError(err, timeout.aborted);
    }
    const durationMs = Math.round(performance.now() - started);
    const at = new Date(clock.now());
    const windowEnd = d.created_at.getTime() + deps.retryWindowMs;
    const dead = error !== null && at.getTime() >= windowEnd;
    const next = error !== null && !dead ? new Date(Math.min(at.getTime() + backoffMs(d.attempts), windowEnd)) : undefined;
    const held = await db.transaction().execute(async (trx) => {
      await repo.recordAttempt(trx, { delivery_id: d.id, attempted_at: new Date(sentAt), duration_ms: durationMs, status_code: statusCode, error, succeeded: error === null });
      return repo.finishDelivery(trx, d.id, d.locked_until!, {
        status: error === null ? 'succeeded' : dead ? 'dead' : 'pending', ...(next ? { next_attempt_at: next } : {}),
        completed_at: error === null || dead ? at : null, last_status_code: statusCode, last_error: error,
      });
    });
    if (!held) return;
    const facts = { webhookId: e.id, deliveryId: d.id, eventType: d.event_type, attempts: d.attempts, statusCode, error };
    if (error === null) log.info(facts, 'webhook delivered');
    else if (dead) log.error(facts, 'webhook delivery dead-lettered after its retry window');
    else log.warn({ ...facts, nextAttemptAt: next!.toISOString() }, 'webhook delivery failed; will retry');
  }

  /** Sends one endpoint's due deliveries, a few at a time, until none is due. */
  function lane(endpointId: string): void {
    const run = (async () => {
      try {
        while (!scanner.stopped) {
          const e = await repo.findEndpoint(db, endpointId);
          if (!e?.active) return;
          const t = clock.now();
          const rows = await repo.claimDue(db, endpointId, new Date(t), new Date(t + deps.timeoutMs + CLAIM_MARGIN_MS), PER_ENDPOINT);
          if (!rows.length) return;
          await Promise.all(rows.map((d) => attempt(e, d).catch(async (err: Error) => {
            log.error({ webhookId: e.id, deliveryId: d.id, err: err.message }, 'webhook attempt could not be recorded');
          })));
        }
      } catch (err) {
        log.error({ webhookId: endpointId, err: (err as Error).message }, 'webhook lane failed');
      } finally {
        lanes.delete(endpointId);
      }
    })();
    lanes.set(endpointId, run);
  }

  /** Starts a lane for every endpoint with due deliveries that has none running here. */
  const scanner = createWorker(async () => {
    for (const id of await repo.endpointsWithDue(db, new Date(clock.now()))) if (!lanes.has(id)) lane(id);
  }, (err) => log.error({ err: err.message }, 'webhook scan failed'));

  return {
    kick: () => scanner.kick(),
    /** Deliveries pending and how long the most overdue has waited (metrics). */
    async queueState(): Promise<{ depth: number; oldestSeconds: number }> {
      const r = await repo.pendingStats(db);
      return { depth: Number(r.n), oldestSeconds: r.due ? Math.max(0, (clock.now() - new Date(r.due).getTime()) / 1000) : 0 };
    },
    /** Waits until nothing is in flight here (tests). */
    async idle(): Promise<void> {
      while (scanner.running || lanes.size) await Promise.all([scanner.running, ...lanes.values()]);
    },
    start() {
      scanner.start(deps.pollInterval * 1000);
    },
    async stop() {
      stopping.abort();
      await scanner.stop();
      await Promise.all(lanes.values());
    },
    /** Deletes deliveries finished longer than the retention ago, in bounded batches (housekeeping). */
    prune: (limits?: PruneLimits) => repo.pruneFinished(db, new Date(clock.now() - deps.retention * 1000), limits),
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
