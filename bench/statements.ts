// `node --import tsx bench/statements.ts`: where PostgreSQL's time goes in a sign-in,
// statement by statement. Starts a throwaway PostgreSQL with pg_stat_statements (planning
// tracked), seeds users, starts the server as `npm start` runs it, signs in SIGNINS times
// from 10 clients at once after a warm-up, and prints each statement's calls and its mean
// planning and execution time, then the totals per sign-in.
//
//   SIGNINS                          sign-ins measured (default 300)
//   DATABASE_PREPARED_STATEMENTS     passed to the server (default true): compare both
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort, startPostgres } from '../scripts/services.ts';
import { buildServer, runBenchmark, startChild, waitHealthy } from './lib/proc.ts';
import { SEED_PASSWORD, seed, seedEmail } from './lib/seed.ts';

const SIGNINS = Number(process.env.SIGNINS ?? 300);
const CLIENTS = 10;
const cleanups: (() => void)[] = [];
const say = (line: string) => process.stdout.write(`[statements] ${line}\n`);

runBenchmark('statements', async () => {
  buildServer();
  const admin = await startPostgres({ cleanups, say, postgresSettings: ['shared_buffers=256MB', 'shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track_planning=on', 'pg_stat_statements.track=all'] });
  if (!admin) throw new Error('PostgreSQL is needed (apt-get install postgresql)');
  const setup = new pg.Client({ connectionString: admin });
  await setup.connect();
  await setup.query('create database statements');
  await setup.end();
  const url = admin.replace(/\/postgres$/, '/statements');
  const env: Record<string, string> = {
    DATABASE_URL: url, HOST: '127.0.0.1', NODE_ENV: 'production', AUTH_EMAIL_LOG_IN_PRODUCTION: 'true', AUTH_ENCRYPTION_KEY: randomBytes(36).toString('base64url'), AUTH_LOG_LEVEL: 'warn',
    AUTH_SESSION_SECURE_COOKIES: 'false', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', DATABASE_PREPARED_STATEMENTS: process.env.DATABASE_PREPARED_STATEMENTS ?? 'true',
    // The limits would refuse one address signing in this often.
    AUTH_RATE_LIMIT_MAX: '1000000000', AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '1000000000',
  };
  await seed(env, 1000, 0);
  const port = await freePort();
  const child = startChild('dist/server.mjs', { ...env, PORT: String(port) }, cleanups, true);
  await waitHealthy(`http://127.0.0.1:${port}/healthz`, child);
  const signIn = async (i: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: seedEmail(i % 1000), password: SEED_PASSWORD, client: 'native' }) });
    if (!res.ok) throw new Error(`sign-in ${i}: ${res.status} ${await res.text()}`);
  };
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('create extension if not exists pg_stat_statements');
    for (let i = 0; i < 20; i++) await signIn(i);
    await db.query('select pg_stat_statements_reset()');
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => { for (let i = c; i < SIGNINS; i += CLIENTS) await signIn(i); }));
    const { rows } = await db.query<{ calls: number; plan: number; exec: number; query: string }>(`
      select calls, total_plan_time / calls * 1000 as plan, total_exec_time / calls * 1000 as exec, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) as query
      from pg_stat_statements where query not like '%pg_stat_statements%' and dbid = (select oid from pg_database where datname = current_database())
      order by total_plan_time + total_exec_time desc limit 25`);
    say(`${SIGNINS} sign-ins, ${CLIENTS} at once, DATABASE_PREPARED_STATEMENTS=${env.DATABASE_PREPARED_STATEMENTS}`);
    process.stdout.write(`${'calls'.padStart(6)} ${'plan µs'.padStart(8)} ${'exec µs'.padStart(8)}  statement\n`);
    let plan = 0, exec = 0;
    for (const r of rows) {
      process.stdout.write(`${String(r.calls).padStart(6)} ${r.plan.toFixed(0).padStart(8)} ${r.exec.toFixed(0).padStart(8)}  ${r.query}\n`);
      plan += (r.plan * r.calls) / SIGNINS;
      exec += (r.exec * r.calls) / SIGNINS;
    }
    process.stdout.write(`per sign-in: planning ${plan.toFixed(0)} µs, execution ${exec.toFixed(0)} µs\n`);
  } finally {
    await db.end();
    await child.stop();
  }
}, cleanups);
