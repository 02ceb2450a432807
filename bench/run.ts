// `npm run bench`: Tessera under load on PostgreSQL and on PGlite (reported apart), beside
// the baselines its targets are ratios of, all measured in this one run because the
// machine is shared and noisy: a bare Fastify route, this machine's argon2id hash rate
// with Tessera's parameters on every core, and a raw single-row insert rate through a
// `pg` pool. The load generator (autocannon) runs in this process, the servers in their
// own, over loopback.
//
//   npm run bench                    the scenarios on PostgreSQL and PGlite, 1,000 seeded users
//                                    (the server as `npm start` runs it: dist/server.mjs, built first)
//   npm run bench -- --scale         login, refresh and me at 1,000 and at 1,000,000 users (PostgreSQL)
//
//   BENCH_DURATION     seconds per scenario run (default 5)
//   BENCH_ROUNDS       runs of every scenario, interleaved; figures are medians (default 3)
//   BENCH_CONNECTIONS  concurrent connections (default 50)
//   BENCH_DB           postgres,pglite (default both)
//   BENCH_SCALE_USERS  the large size of --scale (default 1000000)
//   BENCH_SCENARIOS    a comma-separated subset of the scenarios (default all; for profiling)
//   BENCH_NODE_ARGS    extra Node options for the servers (e.g. --cpu-prof --cpu-prof-dir=prof)
//   BENCH_CHEAP_HASH   set: argon2id at m=1024 KiB, t=1 for the servers and the seed, so that the
//                      work around the hash runs on cores the hash does not fill (profiling only;
//                      the verdicts are then meaningless)
//
// Prints the tables and writes bench/results/latest.json (or scale.json).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import { loadConfig } from '../src/core/config/index.ts';
import { ROTATE_FAMILIES_SQL, ROTATE_FAMILY_SQL } from '../src/modules/sessions/sessions.repo.ts';
import { freePort, startPostgres } from '../scripts/services.ts';
import { runBare, runScenario, SCENARIOS, type Measure, type Scenario, type Target } from './lib/load.ts';
import { buildServer, root, rssBytes, runBenchmark, startChild, waitHealthy, type Child } from './lib/proc.ts';
import { SEED_PASSWORD, seed, seedEmail } from './lib/seed.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const MODES = (process.env.BENCH_DB ?? 'postgres,pglite').split(',').map((s) => s.trim()) as ('postgres' | 'pglite')[];
const SCALE = process.argv.includes('--scale');
const CHOSEN = process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',').map((x) => x.trim()) : SCENARIOS;
const RUN_SCENARIOS = SCENARIOS.filter((s) => CHOSEN.includes(s));
const SCALE_USERS = Number(process.env.BENCH_SCALE_USERS ?? 1_000_000);
const defaults = loadConfig({ NODE_ENV: 'production', AUTH_EMAIL_LOG_IN_PRODUCTION: 'true', DATABASE_URL: 'postgres://x@127.0.0.1/x', AUTH_ENCRYPTION_KEY: 'x'.repeat(32) });
const ARGON2 = { memoryCost: defaults.argon2Memory, timeCost: defaults.argon2Iterations, parallelism: defaults.argon2Parallelism, outputLen: 32 };
const INTROSPECTION_SECRET = randomBytes(24).toString('base64url');
const ENCRYPTION_KEY = randomBytes(36).toString('base64url');
const cleanups: (() => void)[] = [];
const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : 0; };
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function medianOf(ms: Measure[]): Measure {
  const m = (k: Exclude<keyof Measure, 'split'>) => median(ms.map((x) => x[k]));
  const s = (k: keyof Measure['split']) => median(ms.map((x) => x.split[k]));
  return {
    rps: m('rps'), p50: m('p50'), p99: m('p99'), errors: ms.reduce((a, x) => a + x.errors, 0), cpuMsPerRequest: m('cpuMsPerRequest'), peakRssMb: Math.max(...ms.map((x) => x.peakRssMb)), requests: m('requests'),
    split: { main: s('main'), threads: s('threads'), db: s('db'), load: s('load') },
  };
}

function serverEnv(db: Record<string, string>): Record<string, string> {
  return {
    ...db, HOST: '127.0.0.1', NODE_ENV: 'production', AUTH_EMAIL_LOG_IN_PRODUCTION: 'true', AUTH_ENCRYPTION_KEY: ENCRYPTION_KEY, AUTH_LOG_LEVEL: 'warn', AUTH_SESSION_SECURE_COOKIES: 'false',
    AUTH_INTROSPECTION_SECRET: INTROSPECTION_SECRET, AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
    // The limits would refuse a load generator on one address; they are measured by tests.
    AUTH_RATE_LIMIT_MAX: '1000000000', AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '1000000000', AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS: '1000000000',
    ...(process.env.BENCH_CHEAP_HASH ? { AUTH_PASSWORD_ARGON2_MEMORY: '1024', AUTH_PASSWORD_ARGON2_ITERATIONS: '1' } : {}),
  };
}

/** The server as `npm start` runs it: the bundle its prestart step builds. */
const startServer = (env: Record<string, string>) => startChild('dist/server.mjs', env, cleanups, true);

async function postJson(url: string, body: unknown): Promise<Record<string, any>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>;
}

/** argon2id hashes per second with Tessera's parameters, as many at once as the thread pool runs. */
async function argon2Rate(seconds: number): Promise<number> {
  const workers = Math.max(cpus().length, Number(process.env.UV_THREADPOOL_SIZE ?? 4));
  let done = 0;
  const started = Date.now();
  const until = started + seconds * 1000;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < until) { await hash('benchmark-password', ARGON2); done++; }
  }));
  return done / ((Date.now() - started) / 1000);
}

/** Single-row inserts per second through a pg pool of Tessera's default size, CONNECTIONS callers at once. */
async function insertRate(databaseUrl: string, seconds: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: defaults.databasePoolMax });
  try {
    await pool.query('create table if not exists bench_raw (id bigserial primary key, token_hash bytea not null, created_at timestamptz not null default now())');
    let done = 0;
    const started = Date.now();
    const until = started + seconds * 1000;
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) { await pool.query('insert into bench_raw (token_hash) values ($1)', [randomBytes(32)]); done++; }
    }));
    return done / ((Date.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`drop database if exists ${name}`);
  await c.query(`create database ${name}`);
  await c.end();
  return adminUrl.replace(/\/postgres$/, `/${name}`);
}

interface Running { child: Child; target: Target; startupMs: number; idleRssMb: number }

/** Seeds, starts the server on the seeded database, and signs in a set of users. */
async function startSeeded(db: Record<string, string>, users: number, spares: number): Promise<Running & { seedSeconds: number }> {
  say(`seeding ${fmt(users)} users, and ${fmt(spares)} more for logout, each with a session ...`);
  const seeded = await seed(serverEnv(db), users, spares, (line) => say(`  ${line}`));
  say(`  seeded in ${seeded.seconds.toFixed(1)} s`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const spawned = Date.now();
  const child = startServer({ ...serverEnv(db), PORT: String(port) });
  const startupMs = await waitHealthy(`${base}/healthz`, child, spawned);
  await new Promise((r) => setTimeout(r, 2000));
  const idleRssMb = rssBytes(child.pid) / 1048576;
  const accessTokens: string[] = [];
  for (let i = 0; i < 50; i++) {
    const who = Math.floor(Math.random() * users);
    accessTokens.push((await postJson(`${base}/auth/login`, { email: seedEmail(who), password: SEED_PASSWORD, client: 'native' })).accessToken as string);
  }
  const refreshPool: string[] = [];
  return {
    child, startupMs, idleRssMb, seedSeconds: seeded.seconds,
    target: { base, pid: child.pid, users, tokenOf: seeded.tokenOf, accessTokens, introspectionSecret: INTROSPECTION_SECRET, refreshPool, refreshCursor: 0, spareCursor: users, spareEnd: users + spares, registered: 0 },
  };
}

function table(title: string, rows: [string, Measure][]): string {
  // CPU ms/req is the server's; then how it splits (main thread / other threads), and what
  // PostgreSQL and the load generator spent per request on the same 2 cores.
  const head = `${'scenario'.padEnd(22)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)} ${'CPU ms/req'.padStart(11)} ${'peak RSS MB'.padStart(12)} ${'main+threads'.padStart(14)} ${'db ms/req'.padStart(10)} ${'load ms/req'.padStart(12)}`;
  return [title, head, ...rows.map(([name, m]) =>
    `${name.padEnd(22)} ${fmt(m.rps).padStart(9)} ${String(m.p50).padStart(7)} ${String(m.p99).padStart(7)} ${String(m.errors).padStart(7)} ${fmt(m.cpuMsPerRequest, 3).padStart(11)} ${fmt(m.peakRssMb, 0).padStart(12)} ${`${fmt(m.split.main, 3)}+${fmt(m.split.threads, 3)}`.padStart(14)} ${fmt(m.split.db, 3).padStart(10)} ${fmt(m.split.load, 3).padStart(12)}${m.errors ? '  <-- ERRORS' : ''}`)].join('\n');
}

const verdict = (ok: boolean) => (ok ? 'ok' : 'BELOW TARGET');

async function standard(pgAdmin: string): Promise<void> {
  const users = 1000;
  // Logout ends the sessions of one (spare) user per request: enough for every run of it.
  const spares = 5000 * (DURATION * ROUNDS + 2);
  const barePort = await freePort();
  const bare = startChild('bench/bare-server.ts', { PORT: String(barePort) }, cleanups);
  await waitHealthy(`http://127.0.0.1:${barePort}/`, bare);
  const out: string[] = [];
  const json: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, cores: cpus().length, durationSeconds: DURATION, rounds: ROUNDS, connections: CONNECTIONS, users };

  let logoutOnPostgres: number | undefined;
  for (const mode of MODES) {
    let coldMs: number | undefined;
    let dbEnv: Record<string, string>;
    let pgUrl: string | undefined;
    let dataDir: string | undefined;
    if (mode === 'postgres') {
      pgUrl = await createDatabase(pgAdmin, 'tessera_bench');
      dbEnv = { DATABASE_URL: pgUrl };
    } else {
      // The cold first start: an empty directory, migrations and a new signing key.
      const cold = mkdtempSync(join(tmpdir(), 'tessera-bench-cold-'));
      const port = await freePort();
      const spawned = Date.now();
      const child = startServer({ ...serverEnv({ DATA_DIR: cold }), PORT: String(port) });
      coldMs = await waitHealthy(`http://127.0.0.1:${port}/healthz`, child, spawned);
      await child.stop();
      rmSync(cold, { recursive: true, force: true });
      dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-pglite-'));
      cleanups.push(() => rmSync(dataDir!, { recursive: true, force: true }));
      dbEnv = { DATA_DIR: dataDir };
    }
    const run = await startSeeded(dbEnv, users, spares);
    say(`${mode}: server healthy ${run.startupMs} ms after start on an existing database; idle RSS ${fmt(run.idleRssMb)} MB`);
    const samples = new Map<string, Measure[]>();
    const hashRates: number[] = [];
    const insertRates: number[] = [];
    const add = (k: string, m: Measure) => samples.set(k, [...(samples.get(k) ?? []), m]);
    say(`${mode}: warming up (1 s per scenario, not counted)`);
    await runBare(`http://127.0.0.1:${barePort}/`, bare.pid, CONNECTIONS, 1);
    for (const s of RUN_SCENARIOS) await runScenario(run.target, s, CONNECTIONS, 1);
    for (let round = 1; round <= ROUNDS; round++) {
      say(`${mode}: round ${round} of ${ROUNDS} (${DURATION} s per scenario, ${CONNECTIONS} connections)`);
      add('bare Fastify route', await runBare(`http://127.0.0.1:${barePort}/`, bare.pid, CONNECTIONS, DURATION));
      for (const s of RUN_SCENARIOS) {
        say(`  ${s} ...`);
        add(s, await runScenario(run.target, s, CONNECTIONS, DURATION));
      }
      // The baselines of this round, with the server idle.
      hashRates.push(await argon2Rate(Math.min(DURATION, 4)));
      if (pgUrl) insertRates.push(await insertRate(pgUrl, Math.min(DURATION, 4)));
    }
    await run.child.stop();
    const hot = pgUrl ? await hotUpdates(pgUrl) : undefined;
    const m = (k: string) => medianOf(samples.get(k)!);
    const rows: [string, Measure][] = [['bare Fastify route', m('bare Fastify route')], ...RUN_SCENARIOS.map((s): [string, Measure] => [s, m(s)])];
    const hashRate = median(hashRates);
    const insRate = median(insertRates);
    const pct = (a: number, b: number) => (b > 0 ? (100 * a) / b : 0);
    const lines = [
      '',
      table(`== Tessera on ${mode === 'postgres' ? 'PostgreSQL' : 'PGlite (embedded)'}: ${users} seeded users, medians of ${ROUNDS} runs of ${DURATION} s, ${CONNECTIONS} connections`, rows),
      '',
      `baselines: argon2id (m=${ARGON2.memoryCost} KiB, t=${ARGON2.timeCost}, p=${ARGON2.parallelism}) ${fmt(hashRate, 1)} hashes/s on ${cpus().length} cores` +
        (pgUrl ? `; raw single-row insert ${fmt(insRate)} rows/s (pg pool of ${defaults.databasePoolMax})` : ''),
    ];
    const ratios: Record<string, number> = {};
    const bareRps = m('bare Fastify route').rps;
    for (const s of (['me', 'verify'] as Scenario[]).filter((x) => samples.has(x))) {
      ratios[`${s}OfBarePercent`] = pct(m(s).rps, bareRps);
      lines.push(`${`/auth/${s}`.padEnd(14)} ${fmt(ratios[`${s}OfBarePercent`]!, 1).padStart(6)}% of the bare route (target >= 50%): ${verdict(ratios[`${s}OfBarePercent`]! >= 50)}; p99 ${m(s).p99} ms at ${CONNECTIONS} connections (target < 20 ms): ${verdict(m(s).p99 < 20)}`);
    }
    for (const s of (['login', 'register'] as Scenario[]).filter((x) => samples.has(x))) {
      ratios[`${s}OfArgon2Percent`] = pct(m(s).rps, hashRate);
      lines.push(`${`/auth/${s}`.padEnd(14)} ${fmt(ratios[`${s}OfArgon2Percent`]!, 1).padStart(6)}% of the argon2id hash rate (target >= 85%): ${verdict(ratios[`${s}OfArgon2Percent`]! >= 85)}`);
    }
    if (samples.has('login')) {
      // The hash runs on libuv's threads; what a sign-in costs besides it is the main
      // thread (HTTP, rules, the WASM database on PGlite) and the database server's processes.
      const sp = m('login').split;
      ratios.signInOutsideHashPercent = pct(sp.main + sp.db, sp.threads);
      lines.push(`sign-in CPU outside the hash: main ${fmt(sp.main, 2)} + database ${fmt(sp.db, 2)} ms per sign-in, ${fmt(ratios.signInOutsideHashPercent, 1)}% of the hash's ${fmt(sp.threads, 2)} ms (target <= 15%): ${verdict(ratios.signInOutsideHashPercent <= 15)}`);
    }
    if (pgUrl && samples.has('refresh')) {
      ratios.refreshOfInsertPercent = pct(m('refresh').rps, insRate);
      lines.push(`${'/auth/refresh'.padEnd(14)} ${fmt(ratios.refreshOfInsertPercent, 1).padStart(6)}% of the raw insert rate (target >= 25%): ${verdict(ratios.refreshOfInsertPercent >= 25)}`);
    }
    if (hot) lines.push(`HOT updates (no new index entries): ${hot.map((h) => `${h.table} ${fmt(h.updates ? (100 * h.hot) / h.updates : 0, 1)}% of ${fmt(h.updates)}`).join(', ')}`);
    const startTarget = mode === 'postgres' ? 2000 : 1000;
    lines.push(`start-up on an existing database: healthy in ${run.startupMs} ms (target <= ${startTarget} ms): ${verdict(run.startupMs <= startTarget)}`);
    if (coldMs !== undefined) lines.push(`cold first start (empty data directory: the migrated template, first key): healthy in ${coldMs} ms (target <= 3000 ms): ${verdict(coldMs <= 3000)}`);
    const rssTarget = mode === 'postgres' ? 150 : 200;
    lines.push(`idle RSS after start-up: ${fmt(run.idleRssMb)} MB (target <= ${rssTarget} MB): ${verdict(run.idleRssMb <= rssTarget)}`);
    if (mode === 'pglite' && logoutOnPostgres !== undefined && samples.has('logout')) {
      ratios.logoutOfPostgresPercent = pct(m('logout').rps, logoutOnPostgres);
      lines.push(`logout on PGlite: ${fmt(ratios.logoutOfPostgresPercent, 1)}% of PostgreSQL's rate (target >= 80%): ${verdict(ratios.logoutOfPostgresPercent >= 80)}`);
    }
    if (mode === 'postgres' && samples.has('logout')) logoutOnPostgres = m('logout').rps;
    out.push(...lines);
    process.stdout.write(lines.join('\n') + '\n\n');
    json[mode] = {
      scenarios: Object.fromEntries(rows), baselines: { argon2HashPerSecond: hashRate, argon2Params: ARGON2, ...(pgUrl ? { insertPerSecond: insRate } : {}) },
      ratios, ...(hot ? { hotUpdates: hot } : {}), startupMs: run.startupMs, ...(coldMs !== undefined ? { coldStartMs: coldMs } : {}), idleRssMb: run.idleRssMb,
    };
  }
  await bare.stop();
  process.stdout.write(`\n${out.join('\n')}\n`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'latest.json'), JSON.stringify(json, null, 2) + '\n');
}

/**
 * How many of the updates of sessions, the one table a refresh writes, stayed on their page (HOT),
 * since the database was created. Read once the server has stopped, so that its
 * connections have flushed their statistics.
 */
async function hotUpdates(databaseUrl: string): Promise<{ table: string; updates: number; hot: number }[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ relname: string; n_tup_upd: string; n_tup_hot_upd: string }>(
      `select relname, n_tup_upd, n_tup_hot_upd from pg_stat_user_tables where relname = 'sessions'`);
    return r.rows.map((x) => ({ table: x.relname, updates: Number(x.n_tup_upd), hot: Number(x.n_tup_hot_upd) }));
  } finally {
    await c.end();
  }
}

/** A parameter of explainHot with its type spelled out (arrays of text literals). */
class Typed { constructor(readonly value: unknown, readonly type: string) {} }
const typed = (value: unknown, type: string) => new Typed(value, type);

/** The hot queries of login, refresh and me, explained on the seeded database. */
async function explainHot(databaseUrl: string): Promise<string> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows: [u] } = await c.query(`select id, email from users where lower(username) = 'seed_12345' or lower(username) = 'seed_123' limit 1`);
    const { rows: [s] } = await c.query('select id, refresh_generation, refresh_hash from sessions where user_id = $1 limit 1', [u.id]);
    const { rows: [s2] } = await c.query('select id, refresh_generation, refresh_hash from sessions where user_id <> $1 limit 1', [u.id]);
    const now = new Date().toISOString();
    const queries: [string, string, unknown[]][] = [
      ['login: the user by email', 'select * from users where lower(email) = $1', [String(u.email).toLowerCase()]],
      ['refresh: the family moves on, in the session\'s one row', ROTATE_FAMILY_SQL, [s.id, s.refresh_generation, randomBytes(32), now, s.refresh_hash, null]],
      ['refresh under load: the rotations of one turn of the event loop, in one statement (group commit; two here)', ROTATE_FAMILIES_SQL,
        [typed([s.id, s2.id], 'uuid[]'), [s.refresh_generation, s2.refresh_generation], [randomBytes(32), randomBytes(32)], typed([now, now], 'timestamptz[]'), [s.refresh_hash, s2.refresh_hash], typed([null, null], 'timestamptz[]')]],
      ['me: the session check', 'select id, user_id, revoked_at, expires_at, last_used_at, client from sessions where id = $1', [s.id]],
      ['me: the user', 'select * from users where id = $1', [u.id]],
    ];
    // Tessera runs these as prepared statements, which PostgreSQL plans once for every
    // parameter value (a generic plan) after their first executions: explain that plan.
    const literal = (v: unknown): string => (v instanceof Typed ? `${literal(v.value)}::${v.type}` : Array.isArray(v) ? `array[${v.map(literal).join(', ')}]` : v === null ? 'null'
      : Buffer.isBuffer(v) ? `'\\x${v.toString('hex')}'::bytea` : typeof v === 'number' ? String(v) : c.escapeLiteral(String(v)));
    const out: string[] = [];
    for (const [name, q, params] of queries) {
      await c.query('begin');
      await c.query(`prepare hot as ${q}`);
      await c.query('set local plan_cache_mode = force_generic_plan');
      const { rows } = await c.query(`explain (analyze, costs off, timing off, summary off) execute hot(${params.map(literal).join(', ')})`);
      await c.query('rollback');
      await c.query('deallocate hot');
      out.push(`-- ${name}`, ...rows.map((r: Record<string, string>) => `   ${r['QUERY PLAN']}`));
    }
    return out.join('\n');
  } finally {
    await c.end();
  }
}

async function scale(pgAdmin: string): Promise<void> {
  const sizes = [1000, SCALE_USERS];
  const scenarios: Scenario[] = ['login', 'refresh', 'me'];
  const results: Record<number, { seedSeconds: number; rows: Record<string, Measure>; explain: string; hot: Awaited<ReturnType<typeof hotUpdates>> }> = {};
  for (const size of sizes) {
    const url = await createDatabase(pgAdmin, `tessera_scale_${size}`);
    const run = await startSeeded({ DATABASE_URL: url }, size, 0);
    const samples = new Map<string, Measure[]>();
    for (const s of scenarios) await runScenario(run.target, s, CONNECTIONS, 1);
    for (let round = 1; round <= ROUNDS; round++) {
      say(`${fmt(size)} users: round ${round} of ${ROUNDS}`);
      for (const s of scenarios) samples.set(s, [...(samples.get(s) ?? []), await runScenario(run.target, s, CONNECTIONS, DURATION, true)]);
    }
    await run.child.stop();
    results[size] = { seedSeconds: run.seedSeconds, rows: Object.fromEntries(scenarios.map((s) => [s, medianOf(samples.get(s)!)])), explain: await explainHot(url), hot: await hotUpdates(url) };
    // The large database is not needed again; its disk is.
    if (size !== sizes[0]) { const c = new pg.Client({ connectionString: pgAdmin }); await c.connect(); await c.query(`drop database tessera_scale_${size}`); await c.end(); }
  }
  const [small, large] = sizes as [number, number];
  const lines = [
    '',
    `== Scale on PostgreSQL: the same benchmark at ${fmt(small)} and ${fmt(large)} users (medians of ${ROUNDS} runs of ${DURATION} s, ${CONNECTIONS} connections)`,
    `seeding ${fmt(large)} users with a session and a refresh token each took ${results[large]!.seedSeconds.toFixed(1)} s`,
    `${'scenario'.padEnd(10)} ${`req/s @${fmt(small)}`.padStart(14)} ${`req/s @${fmt(large)}`.padStart(16)} ${`p99 @${fmt(small)}`.padStart(12)} ${`p99 @${fmt(large)}`.padStart(14)} ${'p99 ratio'.padStart(10)}`,
  ];
  const ratios: Record<string, number> = {};
  for (const s of scenarios) {
    const a = results[small]!.rows[s]!;
    const b = results[large]!.rows[s]!;
    ratios[s] = b.p99 / Math.max(a.p99, 0.01);
    lines.push(`${s.padEnd(10)} ${fmt(a.rps).padStart(14)} ${fmt(b.rps).padStart(16)} ${`${fmt(a.p99, 2)} ms`.padStart(12)} ${`${fmt(b.p99, 2)} ms`.padStart(14)} ${ratios[s]!.toFixed(2).padStart(10)}  ${verdict(ratios[s]! <= 1.5)} (target <= 1.5)`);
  }
  for (const size of sizes) lines.push(`HOT updates at ${fmt(size)} users (no new index entries): ${results[size]!.hot.map((h) => `${h.table} ${fmt(h.updates ? (100 * h.hot) / h.updates : 0, 1)}% of ${fmt(h.updates)}`).join(', ')}`);
  lines.push('', `EXPLAIN ANALYZE of the hot queries at ${fmt(large)} users (generic plans, as their prepared statements run):`, results[large]!.explain, '');
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'scale.json'), JSON.stringify({ date: new Date().toISOString(), durationSeconds: DURATION, rounds: ROUNDS, connections: CONNECTIONS, sizes, results, p99Ratios: ratios }, null, 2) + '\n');
}

async function main(): Promise<void> {
  buildServer();
  // A server sized for the data as production would be (the default shared_buffers of
  // 128 MB holds a tenth of the million-user tables).
  const pgAdmin = await startPostgres({ cleanups, say, postgresSettings: ['shared_buffers=1GB'] });
  if (!pgAdmin) throw new Error('PostgreSQL is needed (apt-get install postgresql): the benchmark measures the real server on it');
  say(`node ${process.version}, ${cpus().length} cores`);
  if (SCALE) await scale(pgAdmin);
  else await standard(pgAdmin);
}

runBenchmark('bench', main, cleanups);
