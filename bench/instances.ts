// Throughput of one instance against two on the same PostgreSQL and Redis, on this
// machine: the figures of docs/scaling.md. Two autocannon runs, one per instance, go at
// once (there is no load balancer here; each takes half the connections), and their
// rates are added up.
//
//   node --import tsx bench/instances.ts        (BENCH_DURATION, BENCH_CONNECTIONS as for npm run bench)
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import pg from 'pg';
import { freePort, startPostgres, startRedis } from '../scripts/services.ts';
import { runScenario, type Measure, type Scenario, type Target } from './lib/load.ts';
import { buildServer, runBenchmark, startChild, waitHealthy, type Child } from './lib/proc.ts';
import { SEED_PASSWORD, seed, seedEmail } from './lib/seed.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const USERS = 1000;
const cleanups: (() => void)[] = [];
const say = (line: string) => process.stdout.write(`[instances] ${line}\n`);

async function main(): Promise<void> {
  buildServer();
  const pgAdmin = await startPostgres({ cleanups, say });
  const redisUrl = await startRedis({ cleanups, say });
  if (!pgAdmin || !redisUrl) throw new Error('PostgreSQL and redis-server are needed');
  const c = new pg.Client({ connectionString: pgAdmin });
  await c.connect();
  await c.query('create database tessera_instances');
  await c.end();
  const env = {
    DATABASE_URL: pgAdmin.replace(/\/postgres$/, '/tessera_instances'), REDIS_URL: redisUrl, HOST: '127.0.0.1', NODE_ENV: 'production', AUTH_EMAIL_LOG_IN_PRODUCTION: 'true',
    AUTH_ENCRYPTION_KEY: randomBytes(36).toString('base64url'), AUTH_LOG_LEVEL: 'warn', AUTH_SESSION_SECURE_COOKIES: 'false', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
    AUTH_RATE_LIMIT_MAX: '1000000000', AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '1000000000', AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS: '1000000000',
  };
  const seeded = await seed(env, USERS, 0);
  const servers: { child: Child; target: Target }[] = [];
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = startChild('dist/server.mjs', { ...env, PORT: String(port) }, cleanups, true);
    await waitHealthy(`${base}/healthz`, child);
    const accessTokens: string[] = [];
    for (let k = 0; k < 25; k++) {
      const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: seedEmail((k * 37 + i) % USERS), password: SEED_PASSWORD, client: 'native' }) });
      accessTokens.push(((await res.json()) as { accessToken: string }).accessToken);
    }
    // Each instance refreshes its own half of the seeded sessions.
    servers.push({ child, target: { base, pid: child.pid, users: USERS, tokenOf: seeded.tokenOf, accessTokens, introspectionSecret: '', refreshPool: [], refreshCursor: i * (USERS / 2), spareCursor: 0, spareEnd: 0, registered: 0 } });
  }
  servers[1]!.target.users = USERS;
  servers[0]!.target.users = USERS / 2;
  const scenarios: Scenario[] = ['me', 'refresh', 'login', 'mixed'];
  const rows: string[] = [];
  for (const s of scenarios) {
    for (const t of servers) await runScenario(t.target, s, CONNECTIONS, 1);
    const one: Measure = await runScenario(servers[0]!.target, s, CONNECTIONS, DURATION);
    const both = await Promise.all(servers.map((t) => runScenario(t.target, s, CONNECTIONS / 2, DURATION)));
    const sum = both.reduce((a, m) => a + m.rps, 0);
    const errors = one.errors + both.reduce((a, m) => a + m.errors, 0);
    rows.push(`${s.padEnd(8)} ${Math.round(one.rps).toLocaleString('en-US').padStart(12)} ${Math.round(sum).toLocaleString('en-US').padStart(14)} ${(sum / Math.max(one.rps, 1)).toFixed(2).padStart(7)}   p99 ${one.p99} / ${Math.max(...both.map((m) => m.p99))} ms${errors ? `   errors ${errors}` : ''}`);
    say(rows.at(-1)!);
  }
  process.stdout.write([
    '', `== One instance against two, on one PostgreSQL and Redis (${cpus().length} cores, ${CONNECTIONS} connections in all, ${DURATION} s per run)`,
    `scenario  1 instance req/s  2 instances req/s   ratio`, ...rows, '',
  ].join('\n'));
  for (const t of servers) await t.child.stop();
}

runBenchmark('instances', main, cleanups);
