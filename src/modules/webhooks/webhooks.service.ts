// Webhook endpoints and their deliveries, as the admin API sees them. An endpoint has a
// URL, an event-type filter and a signing secret (shown when created or rotated, sealed
// at rest); every event that passes the filter becomes a delivery in the event's own
// transaction (`fanOut`), which the delivery worker sends, retries and dead-letters.
// A URL must lead to a public address (https in production): loopback, private,
// link-local and other special-purpose addresses are refused here and again, after a
// fresh resolution, at every delivery attempt.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { generateSigningSecret, type Encrypter } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { resolveTarget, TargetRefused, type OutboundPolicy } from '../../core/net/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import { EVENT_TYPES } from '../events/index.ts';
import * as repo from './webhooks.repo.ts';
import type { DeliveryStatus, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from './webhooks.table.ts';

/** How long a rotated-out secret keeps signing beside the new one. */
export const SECRET_GRACE_MS = 24 * 3_600_000;

export interface WebhooksDeps {
  db: Kysely<Database>;
  clock: Clock;
  encrypter: Encrypter;
  audit: AuditRecorder;
  /** Wakes the delivery worker (after a commit that added deliveries). */
  kick: () => void;
  /** Which URLs and addresses endpoints may have (the delivery worker's policy too). */
  outbound: OutboundPolicy;
}

/** How long registration waits for a name to resolve before leaving the check to delivery. */
const RESOLVE_TIMEOUT_MS = 5_000;

export interface PresentedEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  active: boolean;
  /** Until when the previous secret still signs (after a rotation). */
  previousSecretExpiresAt: string | null;
  pending: number;
  dead: number;
  createdAt: string;
  updatedAt: string;
}

export interface PresentedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  replayOf: string | null;
  createdAt: string;
  completedAt: string | null;
  attemptLog: { at: string; durationMs: number; statusCode: number | null; error: string | null; succeeded: boolean }[];
  payload?: unknown;
}

export interface EndpointInput {
  url?: string;
  description?: string;
  eventTypes?: string[];
  active?: boolean;
  secret?: string;
}

const sealOf = (encrypter: Encrypter, id: string, secret: string) => encrypter.encrypt(secret, `webhook:${id}`);

/** Valid filter entries: a catalogued type, `<entity>.*` of a catalogued entity, or `*`. */
function checkEventTypes(types: string[]): string[] {
  const entities = new Set(Object.keys(EVENT_TYPES).map((t) => t.slice(0, t.indexOf('.'))));
  const bad = types.filter((t) => !(t === '*' || t in EVENT_TYPES || (t.endsWith('.*') && entities.has(t.slice(0, -2)))));
  if (bad.length) throw new AppError('unknown_event_type', { details: bad.map((t) => ({ field: 'eventTypes', message: `unknown event type: ${t.slice(0, 100)}` })) });
  return [...new Set(types)].sort();
}

function parseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('validation_failed', { details: [{ field: 'url', message: 'must be an absolute http or https URL' }] });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AppError('validation_failed', { details: [{ field: 'url', message: 'must be an absolute http or https URL' }] });
  if (u.hash) throw new AppError('validation_failed', { details: [{ field: 'url', message: 'must not have a #fragment' }] });
  return u;
}

const REFUSALS = {
  https_required: 'must use https',
  address_not_allowed: 'must lead to a public address, not a loopback, private, link-local or other special-purpose one',
} as const;

/**
 * A well-formed URL that leads to an allowed address. A name that cannot be resolved now
 * is accepted: delivery resolves and checks it again at every attempt anyway.
 */
async function checkUrl(url: string, policy: OutboundPolicy): Promise<string> {
  const u = parseUrl(url);
  try {
    await resolveTarget(u, policy, AbortSignal.timeout(RESOLVE_TIMEOUT_MS));
  } catch (err) {
    if (err instanceof TargetRefused) throw new AppError('webhook_url_not_allowed', { details: [{ field: 'url', message: REFUSALS[err.reason] }] });
  }
  return u.toString();
}

/** Where an endpoint sends, without query or user info (may carry credentials): for the audit log. */
const safeUrl = (url: string) => {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
};

export function presentDelivery(d: WebhookDeliveryRow, attempts: WebhookAttemptRow[], withPayload = false): PresentedDelivery {
  return {
    id: d.id, eventId: d.event_id, eventType: d.event_type, status: d.status, attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
    lastStatusCode: d.last_status_code, lastError: d.last_error, replayOf: d.replay_of,
    createdAt: d.created_at.toISOString(), completedAt: d.completed_at?.toISOString() ?? null,
    attemptLog: attempts.map((a) => ({ at: a.attempted_at.toISOString(), durationMs: a.duration_ms, statusCode: a.status_code, error: a.error, succeeded: a.succeeded })),
    ...(withPayload ? { payload: d.payload } : {}),
  };
}

export function createWebhooksService(deps: WebhooksDeps) {
  const { db, clock, encrypter, audit } = deps;
  const now = () => new Date(clock.now());

  function present(r: WebhookEndpointRow, counts?: { pending: number; dead: number }): PresentedEndpoint {
    const graceLeft = r.previous_secret_expires_at && r.previous_secret_expires_at.getTime() > clock.now();
    return {
      id: r.id, url: r.url, description: r.description, eventTypes: r.event_types, active: r.active,
      previousSecretExpiresAt: graceLeft ? r.previous_secret_expires_at!.toISOString() : null,
      pending: counts?.pending ?? 0, dead: counts?.dead ?? 0, createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
    };
  }

  async function load(on: Db, id: string, lock = false): Promise<WebhookEndpointRow> {
    const row = await repo.findEndpoint(on, id, lock);
    if (!row) throw new AppError('webhook_not_found');
    return row;
  }

  async function list(): Promise<PresentedEndpoint[]> {
    const rows = await repo.listEndpoints(db);
    const counts = await repo.deliveryCounts(db, rows.map((r) => r.id));
    return rows.map((r) => present(r, counts.get(r.id)));
  }

  async function get(id: string): Promise<PresentedEndpoint> {
    const row = await load(db, id);
    return present(row, (await repo.deliveryCounts(db, [id])).get(id));
  }

  async function create(input: EndpointInput & { url: string }): Promise<{ endpoint: PresentedEndpoint; secret: string }> {
    const url = await checkUrl(input.url, deps.outbound);
    const eventTypes = checkEventTypes(input.eventTypes ?? []);
    const id = randomUUID();
    const secret = input.secret ?? generateSigningSecret();
    const at = now();
    const row = await db.transaction().execute(async (trx) => {
      const r = await repo.insertEndpoint(trx, {
        id, url, description: input.description ?? '', event_types: eventTypes, active: input.active ?? true,
        secret_encrypted: sealOf(encrypter, id, secret), created_at: at, updated_at: at,
      });
      await audit(trx, { type: 'webhook.created', details: { webhookId: id, url: safeUrl(url), eventTypes } });
      return r;
    });
    return { endpoint: present(row), secret };
  }

  async function update(id: string, input: EndpointInput): Promise<PresentedEndpoint> {
    const set: Parameters<typeof repo.updateEndpoint>[2] = { updated_at: now() };
    const changed: Record<string, unknown> = {};
    if (input.url !== undefined) changed.url = safeUrl((set.url = await checkUrl(input.url, deps.outbound)));
    if (input.eventTypes !== undefined) changed.eventTypes = set.event_types = checkEventTypes(input.eventTypes);
    if (input.description !== undefined) changed.description = set.description = input.description;
    if (input.active !== undefined) changed.active = set.active = input.active;
    const row = await db.transaction().execute(async (trx) => {
      await load(trx, id, true);
      const r = (await repo.updateEndpoint(trx, id, set))!;
      await audit(trx, { type: 'webhook.updated', details: { webhookId: id, changes: changed } });
      return r;
    });
    if (input.active) deps.kick();
    return present(row, (await repo.deliveryCounts(db, [id])).get(id));
  }

  async function remove(id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const row = await load(trx, id, true);
      await repo.deleteEndpoint(trx, id);
      await audit(trx, { type: 'webhook.deleted', details: { webhookId: id, url: safeUrl(row.url) } });
    });
  }

  /** A new secret; the previous one keeps signing beside it for SECRET_GRACE_MS. */
  async function rotateSecret(id: string, provided?: string): Promise<{ endpoint: PresentedEndpoint; secret: string }> {
    const secret = provided ?? generateSigningSecret();
    const row = await db.transaction().execute(async (trx) => {
      const r = await load(trx, id, true);
      const at = now();
      const updated = (await repo.updateEndpoint(trx, id, {
        secret_encrypted: sealOf(encrypter, id, secret), previous_secret_encrypted: r.secret_encrypted,
        previous_secret_expires_at: new Date(at.getTime() + SECRET_GRACE_MS), updated_at: at,
      }))!;
      await audit(trx, { type: 'webhook.secret_rotated', details: { webhookId: id } });
      return updated;
    });
    return { endpoint: present(row, (await repo.deliveryCounts(db, [id])).get(id)), secret };
  }

  async function deliveries(id: string, q: { status?: DeliveryStatus; eventType?: string; cursor?: string; limit?: number }): Promise<{ deliveries: PresentedDelivery[]; nextCursor: string | null }> {
    await load(db, id);
    if (q.cursor !== undefined && !/^\d{1,19}$/.test(q.cursor)) throw new AppError('validation_failed', { details: [{ field: 'cursor', message: 'not a cursor from a previous page' }] });
    const limit = q.limit ?? 50;
    const rows = await repo.listDeliveries(db, id, { status: q.status, eventType: q.eventType, before: q.cursor, limit: limit + 1 });
    const page = rows.slice(0, limit);
    const attempts = await repo.attemptsOf(db, page.map((r) => r.id));
    return { deliveries: page.map((d) => presentDelivery(d, attempts.get(d.id) ?? [])), nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null };
  }

  async function delivery(id: string, deliveryId: string): Promise<PresentedDelivery> {
    await load(db, id);
    const d = await repo.findDelivery(db, id, deliveryId);
    if (!d) throw new AppError('delivery_not_found');
    return presentDelivery(d, (await repo.attemptsOf(db, [d.id])).get(d.id) ?? [], true);
  }

  /** Sends a finished delivery again, as a new delivery with its own attempts and retry window. */
  async function replay(id: string, deliveryId: string): Promise<PresentedDelivery> {
    const created = await db.transaction().execute(async (trx) => {
      await load(trx, id);
      const d = await repo.findDelivery(trx, id, deliveryId);
      if (!d) throw new AppError('delivery_not_found');
      if (d.status === 'pending') throw new AppError('delivery_pending');
      const r = await repo.insertReplay(trx, d, randomUUID(), now());
      await audit(trx, { type: 'webhook.delivery_replayed', details: { webhookId: id, deliveryId, replayId: r.id, eventId: d.event_id } });
      return r;
    });
    deps.kick();
    return presentDelivery(created, []);
  }

  return {
    list, get, create, update, remove, rotateSecret, deliveries, delivery, replay,
    /** Adds the deliveries of an event, in the event's transaction. */
    fanOut: (on: Db, event: { id: string; type: string; payload: string }) => repo.fanOut(on, event, now()),
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
