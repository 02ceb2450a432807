// `npm test`: runs the whole suite on PGlite, then again on PostgreSQL, with Redis for
// the shared-rate-limit tests.
//
// Services come from the environment when given (TESSERA_TEST_PG_URL, an admin URL that
// may create databases; TESSERA_TEST_REDIS_URL), otherwise this script starts throwaway
// servers when their programs are installed (PostgreSQL's initdb/pg_ctl, redis-server)
// on free loopback ports and stops them at the end. When a program is missing it says
// plainly which suites it skips; with CI=true a missing service is a failure instead.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { Kysely } from 'kysely';
import { connectDatabase, migrateToLatest } from '../src/core/db/index.ts';
import { startPostgres, startRedis, which } from './services.ts';

const root = join(import.meta.dirname, '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const cleanups: (() => void)[] = [];
const say = (line: string) => process.stdout.write(`[test] ${line}\n`);
const services = { cleanups, say };

function findTests(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...findTests(p));
    else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

/** A migrated PGlite data dir that each test copies instead of creating its own (4–8 s each). */
async function preparePgliteTemplate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pglite-template-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const handle = await connectDatabase({ dataDir: dir });
  await migrateToLatest(handle.db as Kysely<unknown>);
  await handle.close();
  return dir;
}

interface RunResult { passed: number; failed: number; skipped: number; ok: boolean }

async function runSuite(label: string, files: string[], env: Record<string, string>): Promise<RunResult> {
  say(`suite ${label}: ${files.length} files`);
  const tapDir = mkdtempSync(join(tmpdir(), 'tessera-tap-'));
  const tap = join(tapDir, 'out.tap');
  cleanups.push(() => rmSync(tapDir, { recursive: true, force: true }));
  const concurrency = Math.max(1, Math.min(2, availableParallelism()));
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...files.map((f) => relative(root, f))];
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const code: number = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const result = { passed: count('pass'), failed: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo'), ok: code === 0 };
  if (!result.ok && result.failed === 0) result.failed = 1; // the runner itself failed
  say(`suite ${label}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`);
  return result;
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const unitFiles = findTests(join(root, 'src'));
  const e2eFiles = findTests(join(root, 'test'));
  const pick = (files: string[]) => (only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files);
  const problems: string[] = [];

  let pgUrl = process.env.TESSERA_TEST_PG_URL;
  let redisUrl = process.env.TESSERA_TEST_REDIS_URL;
  const skipPg = process.env.TESSERA_TEST_SKIP_POSTGRES === '1';
  if (!pgUrl && !skipPg) {
    try { pgUrl = await startPostgres(services); } catch (err) { problems.push(`PostgreSQL could not start: ${(err as Error).message}`); }
  }
  if (!redisUrl) {
    try { redisUrl = await startRedis(services); } catch (err) { problems.push(`redis-server could not start: ${(err as Error).message}`); }
  }
  const skipped: string[] = [];
  if (!pgUrl) skipped.push(skipPg ? 'the PostgreSQL suite (TESSERA_TEST_SKIP_POSTGRES=1)' : 'the PostgreSQL suite: no TESSERA_TEST_PG_URL and no initdb/pg_ctl installed (apt-get install postgresql)');
  if (!redisUrl) skipped.push('the shared Redis rate-limit tests: no TESSERA_TEST_REDIS_URL and no redis-server installed (apt-get install redis-server)');
  // The event tests start and stop their own nats-server (to show an outage loses nothing).
  const natsServer = process.env.TESSERA_TEST_NATS_SERVER ?? which('nats-server');
  if (!natsServer) skipped.push('the NATS event tests: no TESSERA_TEST_NATS_SERVER and no nats-server installed (apt-get install nats-server)');
  // Prometheus' linter of the /metrics exposition.
  const promtool = process.env.TESSERA_TEST_PROMTOOL ?? which('promtool');
  if (!promtool) skipped.push('the promtool check of /metrics: no TESSERA_TEST_PROMTOOL and no promtool installed (apt-get install prometheus)');

  const template = await preparePgliteTemplate();
  const common: Record<string, string> = { TESSERA_TEST_PGLITE_TEMPLATE: template };
  if (redisUrl) common.TESSERA_TEST_REDIS_URL = redisUrl;
  if (pgUrl) common.TESSERA_TEST_PG_URL = pgUrl;
  if (natsServer) common.TESSERA_TEST_NATS_SERVER = natsServer;
  if (promtool) common.TESSERA_TEST_PROMTOOL = promtool;

  const results: [string, RunResult][] = [];
  results.push(['pglite', await runSuite('PGlite (unit + end-to-end)', pick([...unitFiles, ...e2eFiles]), { ...common, TESSERA_TEST_DB: 'pglite' })]);
  if (pgUrl) results.push(['postgres', await runSuite('PostgreSQL (end-to-end)', pick(e2eFiles), { ...common, TESSERA_TEST_DB: 'postgres' })]);

  for (const s of skipped) say(`SKIPPED ${s}`);
  for (const p of problems) say(`PROBLEM ${p}`);
  const total = results.reduce((a, [, r]) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed, skipped: a.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
  const per = results.map(([n, r]) => `${n} ${r.passed}/${r.passed + r.failed}`).join(', ');
  process.stdout.write(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped (${per})\n`);
  if (ci && skipped.length) {
    process.stdout.write('tests: CI=true and a service is missing: failing rather than skipping\n');
    return 1;
  }
  return results.every(([, r]) => r.ok) ? 0 : 1;
}

function cleanup(): void {
  for (const c of cleanups.reverse()) {
    try { c(); } catch { /* best effort */ }
  }
  cleanups.length = 0;
}

process.on('SIGINT', () => { cleanup(); process.exit(130); });
main().then((code) => { cleanup(); process.exit(code); }, (err: unknown) => {
  process.stderr.write(`[test] ${(err as Error).stack ?? String(err)}\n`);
  cleanup();
  process.exit(1);
});
