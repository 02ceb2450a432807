// Throwaway PostgreSQL and Redis servers on free loopback ports, for `npm test` and
// `npm run bench`. Each start registers its own cleanup.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServiceContext {
  /** Cleanups run in reverse order when the caller finishes. */
  cleanups: (() => void)[];
  say: (line: string) => void;
  /** Extra server settings (`-c name=value` each), e.g. a larger shared_buffers for the benchmark. */
  postgresSettings?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin');
  }
  const initdb = which('initdb');
  return initdb ? join(initdb, '..') : undefined;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs / 1000}s`);
}

/** A throwaway PostgreSQL cluster in a temp dir; as root it runs as the postgres user. */
export async function startPostgres(ctx: ServiceContext): Promise<string | undefined> {
  const bin = postgresBinDir();
  if (!bin) return undefined;
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const run = (args: string[]) => {
    const cmd = asRoot ? 'runuser' : args[0]!;
    const full = asRoot ? ['-u', 'postgres', '--', ...args] : args.slice(1);
    const r = spawnSync(cmd, full, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  };
  const port = await freePort();
  run([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run([join(bin, 'pg_ctl'), '-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300${(ctx.postgresSettings ?? []).map((s) => ` -c ${s}`).join('')}`, 'start']);
  ctx.cleanups.push(() => {
    try { run([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const version = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  ctx.say(`started throwaway ${version} on 127.0.0.1:${port}`);
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

export async function startRedis(ctx: ServiceContext): Promise<string | undefined> {
  const bin = which('redis-server');
  if (!bin) return undefined;
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  ctx.cleanups.push(() => { child.kill('SIGKILL'); });
  await waitFor(() => out.includes('Ready to accept connections'), 'redis-server');
  ctx.say(`started throwaway redis-server on 127.0.0.1:${port}`);
  return `redis://127.0.0.1:${port}`;
}

