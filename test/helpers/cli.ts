// The real `tessera` binary (bin/tessera.js) as a child process, on a test database.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './app.ts';
import type { TestDatabase } from './db.ts';
import { baseEnv } from './app.ts';
import { root } from './process.ts';

export const BIN = join(root, 'bin', 'tessera.js');

export interface CliResult { code: number | null; out: string; err: string }

/** Runs `tessera ...args` with the database's environment; `input` goes to stdin. */
export function tessera(db: TestDatabase, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: root, env: { PATH: process.env.PATH ?? '', ...baseEnv(), ...db.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

/** Like `tessera`, and fails with the command's output unless it exits with `code`. */
export async function expectCli(db: TestDatabase, args: string[], code = 0, opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await tessera(db, args, opts);
  if (r.code !== code) throw new Error(`tessera ${args.join(' ')}: exit ${r.code}, expected ${code}\nstdout: ${r.out}\nstderr: ${r.err}`);
  return r;
}

/** Opens the app on the database (after the CLI has exited: PGlite allows one process), runs fn, closes it. */
export async function withApp<T>(db: TestDatabase, fn: (t: TestApp) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
  const t = await createTestApp({ database: db, env });
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}
