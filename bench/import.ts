// `node --import tsx bench/import.ts [N]`: times `tessera import auth0` of N users (100,000
// by default) with bcrypt hashes, through the real binary, on PGlite and (when PostgreSQL
// is installed) on a throwaway PostgreSQL; then re-runs it to time the idempotent pass.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import { startPostgres } from '../scripts/services.ts';

const N = Number(process.argv[2] ?? 100_000);
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tessera-import-bench-'));
const cleanups: (() => void)[] = [() => rmSync(dir, { recursive: true, force: true })];
const say = (s: string) => process.stdout.write(`${s}\n`);

// Hashing 100,000 bcrypt passwords would take minutes: the file reuses 50 of them (the
// importer stores hashes as they are, so this does not change its work).
const hashes = Array.from({ length: 50 }, (_, i) => bcrypt.hashSync(`password-${i}`, 4));
const lines: string[] = [];
for (let i = 0; i < N; i++) {
  lines.push(JSON.stringify({
    user_id: `auth0|${i.toString(16).padStart(8, '0')}`, email: `user${i}@bench.example`, email_verified: i % 3 !== 0, name: `User ${i}`,
    password_hash: hashes[i % hashes.length], created_at: '2023-01-01T00:00:00.000Z', app_metadata: { plan: i % 2 ? 'free' : 'pro' },
    ...(i % 10 === 0 ? { identities: [{ provider: 'google-oauth2', user_id: `g${i}`, connection: 'google-oauth2', isSocial: true }] } : {}),
  }));
}
const file = join(dir, 'users.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);

async function importOnce(env: Record<string, string>): Promise<{ seconds: number; summary: { created: number; skipped: number; identities: number } }> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'tessera.js'), 'import', 'auth0', file, '--json', '--no-progress'], {
    cwd: root, env: { PATH: process.env.PATH ?? '', AUTH_LOG_LEVEL: 'warn', AUTH_ENCRYPTION_KEY: 'bench-encryption-key-0123456789-abcdefghijkl', ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`import exited ${code}`);
  return { seconds: (performance.now() - started) / 1000, summary: JSON.parse(out) };
}

async function measure(label: string, env: Record<string, string>): Promise<void> {
  const first = await importOnce(env);
  const again = await importOnce(env);
  say(`${label.padEnd(10)} ${N} users: ${first.seconds.toFixed(1)} s (${Math.round(N / first.seconds)} users/s, ${first.summary.created} created, ${first.summary.identities} identities); `
    + `re-run ${again.seconds.toFixed(1)} s (${again.summary.skipped} skipped, ${again.summary.created} created)`);
}

try {
  say(`tessera import auth0: ${N} users, JSON lines, bcrypt; wall time of the command, start-up included`);
  await measure('PGlite', { DATA_DIR: join(dir, 'data') });
  const adminUrl = await startPostgres({ cleanups, say: () => undefined });
  if (adminUrl) {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query('create database tessera_import_bench');
    await c.end();
    const url = new URL(adminUrl);
    url.pathname = '/tessera_import_bench';
    await measure('PostgreSQL', { DATA_DIR: join(dir, 'pgdata-unused'), DATABASE_URL: url.toString() });
  } else {
    say('PostgreSQL: not installed, skipped');
  }
} finally {
  for (const c of cleanups.reverse()) c();
}
