// Liveness and readiness probes for orchestrators and load balancers.
import type { FastifyPluginAsync } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { migrationsDone } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';

export interface HealthRoutesOptions {
  db: Kysely<unknown>;
  /** Extra readiness checks (Redis, NATS ...): each throws when its dependency is down. */
  checks?: Record<string, () => Promise<void>>;
  /** Checks of parts with a fallback: failing, they make the answer `degraded` (still 200). */
  degraded?: Record<string, () => Promise<void>>;
}

const okSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, checks: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { db, checks = {}, degraded = {} }) => {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: the process is up', response: { 200: okSchema } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: { tags: ['health'], summary: 'Readiness: database reachable and migrations applied', description: '503 `not_ready` when the database fails; 200 with status `degraded` while Redis or the invalidation bus is down (in-memory limits, cache bypassed) or NATS is (events wait in the outbox).', response: { 200: okSchema } },
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const results: Record<string, string> = {};
    /** Runs a check; a failure is recorded as `failing` (hard) or `degraded` (with a fallback). */
    const run = async (name: string, check: () => Promise<void>, onFailure: 'failing' | 'degraded') => {
      try {
        await check();
        results[name] = 'ok';
        return true;
      } catch (err) {
        req.log.warn({ check: name, err: (err as Error).message }, onFailure === 'failing' ? 'readiness check failed' : 'degraded: running on a fallback');
        results[name] = onFailure;
        return false;
      }
    };
    const hard: [string, () => Promise<void>][] = [
      ['database', async () => { await sql`select 1`.execute(db); }],
      ['migrations', async () => { if (!(await migrationsDone(db))) throw new Error('pending migrations'); }],
      ...Object.entries(checks),
    ];
    let ready = true;
    for (const [name, check] of hard) ready = (await run(name, check, 'failing')) && ready;
    if (!ready) throw new AppError('not_ready', { details: results });
    // Parts with a fallback: failing, the service still answers, in a degraded mode.
    let degradedNow = false;
    for (const [name, check] of Object.entries(degraded)) degradedNow = !(await run(name, check, 'degraded')) || degradedNow;
    return { status: degradedNow ? 'degraded' : 'ok', checks: results };
  });
};
