// Cache invalidation across instances. Each instance keeps small in-memory caches (the
// state of sessions, so that a bearer check needs no query); when something changes,
// the writer publishes the key and every instance drops it. Transports:
//   - Redis pub/sub when REDIS_URL is set;
//   - PostgreSQL LISTEN/NOTIFY otherwise (DATABASE_URL);
//   - in-process only for the embedded database, which has a single process anyway.
// A cache may only be trusted while its bus is connected: `connected()` is false while a
// remote subscription is down, and every (re)connection is announced to `onReset` so that
// caches drop whatever they might have missed.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Redis } from 'ioredis';
import type { WriteBatch } from '../db/batch.ts';

export const INVALIDATION_CHANNEL = 'tessera_invalidate';

export interface Invalidation {
  /**
   * What changed: one session, every session of a user, a user's row or roles, the role
   * graph (id `*`), a service account, or the signing keys (id `*`, after a rotation).
   */
  kind: 'session' | 'user_sessions' | 'user' | 'rbac' | 'service_account' | 'keys';
  id: string;
}


export interface InvalidationBus {
  readonly transport: 'local' | 'redis' | 'postgres';
  /** Announces a change to every instance, this one included (call after commit). */
  publish(msg: Invalidation): Promise<void>;
  /** Announces a change made by a batch of writes, as part of it where the transport allows. */
  publishWith(batch: Pick<WriteBatch, 'notify' | 'then'>, msg: Invalidation): void;
  subscribe(handler: (msg: Invalidation) => void): void;
  /** Called when the subscription (re)connects: anything cached may be stale. */
  onReset(handler: () => void): void;
  /** True while invalidations from other instances are being received. */
  connected(): boolean;
  close(): Promise<void>;
}

interface Log { warn(obj: object, msg: string): void; info(obj: object, msg: string): void }

const KINDS = new Set(['session', 'user_sessions', 'user', 'rbac', 'service_account', 'keys']);

// Each bus tags its messages, so that it ignores their echo (it delivered them already).
function serialize(m: Invalidation, from: string): string {
  return JSON.stringify({ ...m, from });
}

/** A message from another instance; undefined for our own echo or anything foreign. */
function parse(raw: string, self: string): Invalidation | undefined {
  try {
    const m = JSON.parse(raw) as Partial<Invalidation> & { from?: string };
    if (m.from !== self && KINDS.has(m.kind ?? '') && typeof m.id === 'string') return { kind: m.kind!, id: m.id };
  } catch { /* ignore foreign messages */ }
  return undefined;
}

abstract class BaseBus {
  protected readonly self = randomUUID();
  protected handlers: ((m: Invalidation) => void)[] = [];
  protected resetHandlers: (() => void)[] = [];
  subscribe(handler: (m: Invalidation) => void): void { this.handlers.push(handler); }
  onReset(handler: () => void): void { this.resetHandlers.push(handler); }
  protected deliver(m: Invalidation): void { for (const h of this.handlers) h(m); }
  protected reset(): void { for (const h of this.resetHandlers) h(); }
  abstract publish(m: Invalidation): Promise<void>;
  publishWith(batch: Pick<WriteBatch, 'notify' | 'then'>, m: Invalidation): void { batch.then(() => this.publish(m)); }
}

/** One process: invalidations are delivered synchronously. */
export class LocalBus extends BaseBus implements InvalidationBus {
  readonly transport = 'local' as const;
  async publish(m: Invalidation): Promise<void> { this.deliver(m); }
  connected(): boolean { return true; }
  async close(): Promise<void> {}
}

/** Redis pub/sub on a dedicated subscriber connection. */
export class RedisBus extends BaseBus implements InvalidationBus {
  readonly transport = 'redis' as const;
  private sub: Redis;
  private live = false;

  private constructor(private pub: Redis, private log: Log) {
    super();
    this.sub = pub.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    this.sub.on('message', (_channel: string, raw: string) => { const m = parse(raw, this.self); if (m) this.deliver(m); });
    this.sub.on('ready', () => {
      // Subscriptions are restored by ioredis on reconnect; until then, nothing is trusted.
      void this.sub.subscribe(INVALIDATION_CHANNEL).then(() => { this.live = true; this.reset(); }, () => { this.live = false; });
    });
    this.sub.on('close', () => { if (this.live) log.warn({ transport: 'redis' }, 'invalidation bus disconnected: caches bypassed'); this.live = false; });
    this.sub.on('error', () => { this.live = false; });
  }

  static async open(pub: Redis, log: Log): Promise<RedisBus> {
    const bus = new RedisBus(pub, log);
    await bus.sub.connect();
    await bus.sub.subscribe(INVALIDATION_CHANNEL);
    bus.live = true;
    return bus;
  }

  /**
   * Never fails the change it follows (that has committed already). This instance's
   * caches have it already; when Redis is down, so are the other instances'
   * subscriptions, so their caches are bypassed until they resubscribe, and then reset.
   */
  async publish(m: Invalidation): Promise<void> {
    this.deliver(m);
    try {
      await this.pub.publish(INVALIDATION_CHANNEL, serialize(m, this.self));
    } catch (err) {
      this.log.warn({ transport: 'redis', kind: m.kind, err: (err as Error).message }, 'invalidation not announced to other instances: Redis unavailable');
    }
  }

  connected(): boolean { return this.live; }

  async close(): Promise<void> {
    this.live = false;
    this.sub.disconnect();
  }
}

/** PostgreSQL LISTEN/NOTIFY on a dedicated connection, reconnecting with back-off. */
export class PostgresBus extends BaseBus implements InvalidationBus {
  readonly transport = 'postgres' as const;
  private client: pg.Client | undefined;
  private live = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(private url: string, private notify: (payload: string) => Promise<void>, private log: Log) { super(); }

  static async open(url: string, notify: (payload: string) => Promise<void>, log: Log): Promise<PostgresBus> {
    const bus = new PostgresBus(url, notify, log);
    await bus.connect();
    return bus;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'tessera-invalidation' });
    client.on('notification', (n) => { const m = n.payload ? parse(n.payload, this.self) : undefined; if (m) this.deliver(m); });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`listen ${INVALIDATION_CHANNEL}`);
    this.client = client;
    this.live = true;
    this.reset();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.live) this.log.warn({ transport: 'postgres' }, 'invalidation bus disconnected: caches bypassed');
    this.live = false;
    client.end().catch(() => {});
    this.schedule(500);
  }

  private schedule(ms: number): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().then(() => this.log.info({ transport: 'postgres' }, 'invalidation bus reconnected'), () => this.schedule(Math.min(ms * 2, 10_000)));
    }, ms);
    this.retry.unref();
  }

  async publish(m: Invalidation): Promise<void> {
    this.deliver(m);
    await this.notify(serialize(m, this.self));
  }

  /** The NOTIFY rides in the batch's statement (sent when it commits): no round trip of its own. */
  override publishWith(batch: Pick<WriteBatch, 'notify' | 'then'>, m: Invalidation): void {
    batch.notify(INVALIDATION_CHANNEL, serialize(m, this.self));
    batch.then(() => this.deliver(m));
  }

  connected(): boolean { return this.live; }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => {});
  }
}
