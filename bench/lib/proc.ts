// Child processes for the benchmark: the server and the bare route, started exactly as
// `npm start` starts them, with their CPU time and resident memory read from /proc.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on every Linux build in use). */
const TICKS = 100;

export interface Child { proc: ChildProcess; pid: number; stop(): Promise<void> }

/** `script` through tsx, or with `plain` a JavaScript file run as it is (the server bundle). */
export function startChild(script: string, env: Record<string, string>, cleanups: (() => void)[], plain = false): Child {
  // BENCH_NODE_ARGS: extra Node options for the children, e.g. `--cpu-prof --cpu-prof-dir=prof`.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...extra, ...(plain ? ['--enable-source-maps', script] : ['--import', 'tsx', script])], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const kill = () => proc.kill('SIGKILL');
  cleanups.push(kill);
  return {
    proc, pid: proc.pid!,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      kill();
    },
  };
}

/** Resolves once `url` answers 2xx; the milliseconds it took from `since`. */
export async function waitHealthy(url: string, child: Child, since = Date.now(), timeoutMs = 120_000): Promise<number> {
  while (Date.now() - since < timeoutMs) {
    if (child.proc.exitCode !== null) throw new Error(`${url}: the process exited with code ${child.proc.exitCode}`);
    try {
      if ((await fetch(url)).ok) return Date.now() - since;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function statCpu(path: string): { comm: string; seconds: number } | undefined {
  let stat: string;
  try { stat = readFileSync(path, 'utf8'); } catch { return undefined; } // gone meanwhile
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), seconds: (Number(fields[11]) + Number(fields[12])) / TICKS };
}

/**
 * Where CPU time went so far: the process's main thread (JavaScript, the event loop), its
 * other threads (the thread pool: password hashes, RS256 signatures; the JIT and GC
 * helpers), every PostgreSQL process on the machine, and this process (the load
 * generator).
 */
export interface CpuSplit { main: number; threads: number; db: number; load: number }

export function cpuSplit(pid: number): CpuSplit {
  let main = 0, threads = 0, db = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const s = statCpu(`/proc/${pid}/task/${tid}/stat`)?.seconds ?? 0;
    if (Number(tid) === pid) main = s; else threads += s;
  }
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const s = statCpu(`/proc/${p}/stat`);
    if (s?.comm === 'postgres') db += s.seconds;
  }
  return { main, threads, db, load: cpuSeconds(process.pid) };
}

/** Resident memory in bytes. */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples RSS every 100 ms until stopped; returns the peak. */
export function rssSampler(pid: number): { stop(): number } {
  let peak = rssBytes(pid);
  const timer = setInterval(() => { try { peak = Math.max(peak, rssBytes(pid)); } catch { /* exited */ } }, 100);
  return { stop() { clearInterval(timer); try { peak = Math.max(peak, rssBytes(pid)); } catch { /* exited */ } return peak; } };
}

/** Builds dist/server.mjs, the server as `npm start` runs it (its prestart step). */
export function buildServer(): void {
  const built = spawnSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('building dist/server.mjs failed');
}

/**
 * Runs a benchmark's `main`, then its cleanups (child processes, throwaway servers) in
 * reverse order, also on SIGINT/SIGTERM and on failure (exit code 1).
 */
export function runBenchmark(name: string, main: () => Promise<void>, cleanups: (() => void)[]): void {
  const cleanup = () => {
    for (const fn of cleanups.reverse()) {
      try { fn(); } catch { /* best effort */ }
    }
    cleanups.length = 0;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { cleanup(); process.exit(130); });
  main().then(cleanup, (err: unknown) => {
    process.stderr.write(`[${name}] ${(err as Error).stack ?? String(err)}\n`);
    cleanup();
    process.exit(1);
  });
}
