// `npm run bench`: the core token API against a real server on PostgreSQL, beside a bare
// Fastify route and this machine's argon2id rate, measured in the same run.
//
//   BENCH_DURATION     seconds per scenario (default 10)
//   BENCH_CONNECTIONS  concurrent connections (default 10)
//   BENCH_ROUNDS       interleaved rounds of /auth/me with the session check on and off (default 3; medians)
//
// Prints a table and writes bench/results/latest.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { hash, verify } from '@node-rs/argon2';
import pg from 'pg';
import { freePort, startPostgres } from '../scripts/services.ts';

const root = join(import.meta.dirname, '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 };
const cleanups: (() => void)[] = [];
const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);

function startChild(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  cleanups.push(() => child.kill('SIGKILL'));
  return child;
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not yet listening */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 60 s`);
}

async function postJson(url: string, body: unknown): Promise<Record<string, any>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, any>;
}

/** Hashes (or verifies) with as many concurrent calls as libuv's thread pool runs. */
async function argon2Rate(kind: 'hash' | 'verify', seconds: number): Promise<number> {
  const encoded = await hash('benchmark-password', ARGON2);
  const workers = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let done = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(Array.from({ length: workers }, async () => {
    while (Date.now() < until) {
      if (kind === 'hash') await hash('benchmark-password', ARGON2);
      else await verify(encoded, 'benchmark-password');
      done++;
    }
  }));
  return done / ((Date.now() - started) / 1000);
}

interface Row { name: string; rps: number; p50: number; p99: number; non2xx: number; errors: number }

function row(name: string, r: Result): Row {
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

async function main(): Promise<void> {
  const pgAdmin = await startPostgres({ cleanups, say });
  if (!pgAdmin) throw new Error('PostgreSQL is needed (apt-get install postgresql); the benchmark measures the real server on it');
  const admin = new pg.Client({ connectionString: pgAdmin });
  await admin.connect();
  await admin.query('create database tessera_bench');
  await admin.end();
  const databaseUrl = pgAdmin.replace(/\/postgres$/, '/tessera_bench');

  const port = await freePort();
  const barePort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const encryptionKey = randomBytes(36).toString('base64url');
  const server = startChild('src/main.ts', {
    PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, AUTH_ENCRYPTION_KEY: encryptionKey,
    AUTH_RATE_LIMIT_MAX: '1000000000', AUTH_LOG_LEVEL: 'warn', AUTH_SESSION_SECURE_COOKIES: 'false', NODE_ENV: 'production',
  });
  const bare = startChild('bench/bare-server.ts', { PORT: String(barePort) });
  // The same server with the session check switched off, on the same database.
  const uncheckedPort = await freePort();
  const unchecked = startChild('src/main.ts', {
    PORT: String(uncheckedPort), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, AUTH_ENCRYPTION_KEY: encryptionKey,
    AUTH_RATE_LIMIT_MAX: '1000000000', AUTH_LOG_LEVEL: 'warn', AUTH_SESSION_SECURE_COOKIES: 'false', NODE_ENV: 'production', AUTH_SESSION_CHECK: 'false',
  });
  await waitFor(`${base}/healthz`, server);
  await waitFor(`http://127.0.0.1:${uncheckedPort}/healthz`, unchecked);
  await waitFor(`http://127.0.0.1:${barePort}/`, bare);
  say(`server on ${base} (PostgreSQL), bare Fastify on :${barePort}; ${DURATION}s per scenario, ${CONNECTIONS} connections, ${cpus().length} cores`);

  const creds = { username: 'bench_user', email: 'bench@example.test', password: 'load-test-passphrase-1' };
  await postJson(`${base}/auth/register`, creds);
  const signedIn = await postJson(`${base}/auth/login`, { email: creds.email, password: creds.password, client: 'native' });

  const rows: Row[] = [];
  const run = async (name: string, opts: Parameters<typeof autocannon>[0]) => {
    say(`measuring ${name} ...`);
    const r = row(name, await autocannon({ connections: CONNECTIONS, duration: DURATION, ...opts }));
    rows.push(r);
    return r;
  };

  const bareRow = await run('bare route', { url: `http://127.0.0.1:${barePort}/` });
  // The session check on and off, interleaved over several rounds; the median of each.
  const auth = { authorization: `Bearer ${signedIn.accessToken}` };
  const measure = async (name: string, url: string) => row(name, await autocannon({ connections: CONNECTIONS, duration: DURATION, url, headers: auth }));
  const median = (xs: Row[]) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)]!;
  const checked: Row[] = [];
  const unchecked2: Row[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    say(`measuring GET /auth/me with and without the session check, round ${i + 1} of ${ROUNDS} ...`);
    checked.push(await measure('GET /auth/me', `${base}/auth/me`));
    unchecked2.push(await measure('me, check off', `http://127.0.0.1:${uncheckedPort}/auth/me`));
  }
  const meRow = median(checked);
  const meUncheckedRow = median(unchecked2);
  rows.push(meRow, meUncheckedRow);
  await run('GET /auth/verify', { url: `${base}/auth/verify`, headers: { authorization: `Bearer ${signedIn.accessToken}` } });

  // Each refresh token is good once: every connection draws one from a shared pool and
  // puts back the successor it receives.
  const pool: string[] = [];
  for (let i = 0; i < CONNECTIONS * 2; i++) pool.push((await postJson(`${base}/auth/login`, { email: creds.email, password: creds.password, client: 'native' })).refreshToken as string);
  const refreshRow = await run('POST /auth/refresh', {
    url: `${base}/auth/refresh`,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ refreshToken: pool.shift() ?? 'pool-empty' }) }),
      onResponse: (status, body) => {
        if (status === 200) pool.push((JSON.parse(body) as { refreshToken: string }).refreshToken);
      },
    }],
  });

  const loginRow = await run('POST /auth/login', {
    url: `${base}/auth/login`, method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: creds.email, password: creds.password, client: 'native' }),
  });

  server.kill('SIGTERM');
  unchecked.kill('SIGTERM');
  bare.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));

  say('measuring argon2id hash and verify rates in this process (server stopped) ...');
  const hashRate = await argon2Rate('hash', Math.min(DURATION, 5));
  const verifyRate = await argon2Rate('verify', Math.min(DURATION, 5));

  const pct = (a: number, b: number) => (b > 0 ? (100 * a) / b : 0);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    '',
    `scenario              req/s      p50 ms   p99 ms   non-2xx  errors`,
    ...rows.map((r) => `${r.name.padEnd(20)} ${fmt(r.rps).padStart(8)}   ${String(r.p50).padStart(6)}   ${String(r.p99).padStart(6)}   ${String(r.non2xx).padStart(7)}  ${String(r.errors).padStart(6)}${r.non2xx || r.errors ? '   <-- FAILURES' : ''}`),
    '',
    `argon2id (m=${ARGON2.memoryCost},t=${ARGON2.timeCost},p=${ARGON2.parallelism}): hash ${hashRate.toFixed(1)}/s, verify ${verifyRate.toFixed(1)}/s`,
    `/auth/me: ${pct(meRow.rps, bareRow.rps).toFixed(1)}% of the bare route (target >= 50%)`,
    `session check: /auth/me at ${pct(meRow.rps, meUncheckedRow.rps).toFixed(1)}% of the same endpoint with AUTH_SESSION_CHECK=false (target: costs at most 15%, i.e. >= 85%)`,
    `login:    ${pct(loginRow.rps, hashRate).toFixed(1)}% of the argon2id hash rate, ${pct(loginRow.rps, verifyRate).toFixed(1)}% of the verify rate (target >= 85%)`,
    `refresh:  ${fmt(refreshRow.rps)} req/s`,
    '',
  ];
  process.stdout.write(lines.join('\n'));

  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'latest.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, cores: cpus().length, durationSeconds: DURATION, connections: CONNECTIONS,
    scenarios: rows, argon2: { params: ARGON2, hashPerSecond: hashRate, verifyPerSecond: verifyRate },
    ratios: { meOfBarePercent: pct(meRow.rps, bareRow.rps), meCheckedOfUncheckedPercent: pct(meRow.rps, meUncheckedRow.rps), loginOfHashPercent: pct(loginRow.rps, hashRate), loginOfVerifyPercent: pct(loginRow.rps, verifyRate) },
  }, null, 2) + '\n');
  const failures = rows.filter((r) => r.non2xx || r.errors);
  if (failures.length) {
    process.stdout.write(`bench: ${failures.map((f) => f.name).join(', ')} had failed responses\n`);
    process.exitCode = 1;
  }
}

function cleanup(): void {
  for (const c of cleanups.reverse()) {
    try { c(); } catch { /* best effort */ }
  }
  cleanups.length = 0;
}

process.on('SIGINT', () => { cleanup(); process.exit(130); });
main().then(cleanup, (err: unknown) => {
  process.stderr.write(`[bench] ${(err as Error).stack ?? String(err)}\n`);
  cleanup();
  process.exit(1);
});
