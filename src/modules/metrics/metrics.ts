// Prometheus metrics (prom-client). Each service graph owns its registry, so several apps
// in one process (the tests) never share counters; the process-wide figures (CPU, memory,
// event-loop delay, GC) live in one lazily created registry merged in at scrape time.
// Queue depths and lags are read from the database when scraped, not kept in memory:
// every instance reports the same shared queues, and nothing drifts after a restart.
import client, { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeSubscriber } from '../../core/changes.ts';
import type { WriteBatch } from '../../core/db/index.ts';

/** What a scrape reads from outside this module: queue state and the connection pool. */
export interface MetricsSources {
  /** Pending mail, webhook deliveries and unpublished events, with the age of the oldest. */
  queues(): Promise<Record<'mail' | 'webhooks' | 'events', { depth: number; oldestSeconds: number }>>;
  pool(): { total: number; idle: number; waiting: number; max: number };
}

/** A change (an audit entry) as far as metrics care (see audit.change.ts). */
export interface AuditFacts {
  type: string;
  success?: boolean | undefined;
  reason?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

// prom-client's default set names three gauges `*_total`, a suffix Prometheus keeps for
// counters (`promtool check metrics` refuses them). Each repeats the sum of its per-type
// gauge (`tessera_nodejs_active_handles{type}` ...), so they are dropped: sum() gives them.
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    client.collectDefaultMetrics({ register: processRegistry, prefix: 'tessera_' });
    for (const name of MISNAMED_DEFAULT_GAUGES) processRegistry.removeSingleMetric(`tessera_${name}`);
  }
  return processRegistry;
}

// A success names its first factor in `amr` (RFC 8176 values); failures name a method.
const FIRST_FACTOR: Record<string, string> = { pwd: 'password', otp: 'email', oauth: 'oauth', hwk: 'passkey' };
const methodOf = (amr: unknown) => (Array.isArray(amr) && typeof amr[0] === 'string' ? FIRST_FACTOR[amr[0]] ?? amr[0] : 'unknown');

// Failure reasons are codes from our own code, but a bound keeps a bug from minting series.
const MAX_REASONS = 64;

export function createMetrics(sources?: MetricsSources) {
  const registry = new Registry();
  const http = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status, with their latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const signIns = new Counter({
    name: 'tessera_sign_ins_total',
    help: 'Sign-in attempts by method and outcome (success, or the failure reason)',
    labelNames: ['method', 'outcome'] as const,
    registers: [registry],
  });
  const refreshReuse = new Counter({
    name: 'tessera_refresh_token_reuse_total',
    help: 'Spent refresh tokens presented again (the session was revoked)',
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'tessera_rate_limit_hits_total',
    help: 'Requests refused by a rate limit, by limiter',
    labelNames: ['limiter'] as const,
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'tessera_lockout_total',
    help: 'Sign-in lockouts: `locked` when failures lock an account, `refused` for each attempt answered while locked',
    labelNames: ['event'] as const,
    registers: [registry],
  });
  const reasons = new Set<string>();

  if (sources) {
    let pending: Promise<Awaited<ReturnType<MetricsSources['queues']>> | undefined> | undefined;
    // One query round per scrape, shared by the gauges that need it.
    const queues = () => (pending ??= sources.queues().catch(() => undefined).finally(() => { setImmediate(() => { pending = undefined; }); }));
    // Depth and lag of each queue, from the one query round of the scrape.
    const queueGauge = (name: string, help: string, pick: (q: { depth: number; oldestSeconds: number }) => number) => new Gauge({
      name, help, labelNames: ['queue'] as const, registers: [registry],
      async collect() {
        const q = await queues();
        if (q) for (const [queue, v] of Object.entries(q)) this.set({ queue }, pick(v));
      },
    });
    queueGauge('tessera_queue_depth', 'Items waiting in a queue: mail outbox, webhook deliveries, events not yet published to NATS', (v) => v.depth);
    queueGauge('tessera_queue_lag_seconds', 'Age of the oldest waiting item of a queue (0 when empty)', (v) => v.oldestSeconds);
    new Gauge({
      name: 'tessera_db_pool_connections',
      help: 'Database pool connections by state (total open, idle, callers waiting, configured maximum)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        const p = sources.pool();
        this.set({ state: 'total' }, p.total);
        this.set({ state: 'idle' }, p.idle);
        this.set({ state: 'in_use' }, p.total - p.idle);
        this.set({ state: 'waiting' }, p.waiting);
        this.set({ state: 'max' }, p.max);
      },
    });
  }

  /** Counts what an audit entry tells: sign-ins, reuse detections, lockouts. */
  function observeAudit(entry: AuditFacts): void {
    switch (entry.type) {
      case 'user.login_succeeded':
      case 'user.login_failed': {
        const method = typeof entry.details?.method === 'string' ? entry.details.method : methodOf(entry.details?.amr);
        let outcome = entry.type === 'user.login_succeeded' ? 'success' : (entry.reason ?? 'failed');
        if (!reasons.has(outcome)) {
          if (reasons.size >= MAX_REASONS) outcome = 'other';
          else reasons.add(outcome);
        }
        signIns.inc({ method, outcome });
        break;
      }
      case 'session.refresh_reused':
        refreshReuse.inc();
        break;
      case 'account.locked':
        lockouts.inc({ event: 'locked' });
        break;
    }
  }

  return {
    /** Called once per answered request (onResponse). */
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      http.observe({ method, route, status: String(status) }, seconds);
    },
    /** Metrics' part of every change (a subscriber of the change feed): its counts; a batch's once it committed. */
    changes: {
      onChange: (_on: unknown, entry: AuditFacts) => observeAudit(entry),
      onChangeBatched: (batch: WriteBatch, entry: AuditFacts) => batch.then(() => observeAudit(entry)),
    } satisfies ChangeSubscriber<unknown, AuditFacts>,
    rateLimited(limiter: string): void {
      rateLimited.inc({ limiter });
    },
    lockoutRefused(): void {
      lockouts.inc({ event: 'refused' });
    },
    contentType: registry.contentType,
    /** The exposition text: this graph's metrics and the process's. */
    async render(): Promise<string> {
      return Registry.merge([registry, processMetrics()]).metrics();
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
