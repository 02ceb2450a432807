// The scenarios of `npm run bench`, driven by autocannon over loopback. Each scenario is
// one autocannon run; the server's CPU time and peak RSS are read around it.
import autocannon, { type Request } from 'autocannon';
import { driveDynamic, type DynamicRequest } from './driver.ts';
import { cpuSplit, type CpuSplit, rssSampler } from './proc.ts';
import { SEED_PASSWORD, seedEmail } from './seed.ts';

export interface Measure {
  rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number; peakRssMb: number; requests: number;
  /** CPU milliseconds per request: the server's main thread and other threads, PostgreSQL, the load generator. */
  split: CpuSplit;
}

export interface Target {
  base: string;
  pid: number;
  /** Seeded users, and the refresh token of seeded session `i`. */
  users: number;
  tokenOf(i: number): string;
  /** Access tokens of signed-in seeded users. */
  accessTokens: string[];
  introspectionSecret: string;
  /** Refresh tokens in circulation: drawn by a request, replaced by the successor it gets. */
  refreshPool: string[];
  /** Next seeded session whose refresh token has not been used (tops the pool up). */
  refreshCursor: number;
  /** Next unused spare session (for logout). */
  spareCursor: number;
  spareEnd: number;
  registered: number;
}

const json = { 'content-type': 'application/json' };
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

type Kind = 'me' | 'verify' | 'refresh' | 'login';

/** A request of the minimal client, with the scenario it belongs to (for its answer). */
type Sent = DynamicRequest & { kind: Kind | 'register' | 'logout' };

function requestOf(t: Target, kind: Sent['kind']): Sent {
  switch (kind) {
    case 'me':
    case 'verify':
      return { kind, method: 'GET', path: `/auth/${kind}`, headers: { authorization: `Bearer ${pick(t.accessTokens)}` } };
    case 'refresh':
      return { kind, method: 'POST', path: '/auth/refresh', headers: json, body: JSON.stringify({ refreshToken: t.refreshPool.shift() ?? 'pool-empty' }) };
    case 'login':
      return { kind, method: 'POST', path: '/auth/login', headers: json, body: JSON.stringify({ email: seedEmail(Math.floor(Math.random() * t.users)), password: SEED_PASSWORD, client: 'native' }) };
    case 'register': {
      const n = t.registered++;
      return { kind, method: 'POST', path: '/auth/register', headers: json, body: JSON.stringify({ username: `bench_r${process.pid}_${n}`, email: `bench_r${process.pid}_${n}@bench.test`, password: `registered-passphrase-${n}` }) };
    }
    case 'logout':
      return { kind, method: 'POST', path: '/auth/logout', headers: json, body: JSON.stringify({ refreshToken: t.spareCursor < t.spareEnd ? t.tokenOf(t.spareCursor++) : 'spares-exhausted' }) };
  }
}

/** Keeps the refresh pool going: each refresh's answer holds its successor. */
function onAnswer(t: Target) {
  return (status: number, body: string, req: Sent) => {
    // Found without parsing the whole body (the access token is most of it): base64url
    // needs no JSON escaping.
    if (req.kind === 'refresh' && status === 200) {
      const at = body.indexOf('"refreshToken":"');
      if (at >= 0) t.refreshPool.push(body.slice(at + 16, body.indexOf('"', at + 16)));
    }
  };
}

/** The mixed workload: 90% me/verify, 8% refresh, 2% login. */
function mixedKind(): Kind {
  const r = Math.random() * 100;
  return r < 45 ? 'me' : r < 90 ? 'verify' : r < 98 ? 'refresh' : 'login';
}

export type Scenario = 'register' | 'login' | 'refresh' | 'me' | 'verify' | 'introspect' | 'logout' | 'mixed';
export const SCENARIOS: Scenario[] = ['register', 'login', 'refresh', 'me', 'verify', 'introspect', 'logout', 'mixed'];

/** The p-th percentile (0..100) of unsorted samples. */
function percentile(samples: Float64Array, p: number): number {
  if (!samples.length) return 0;
  const sorted = samples.slice().sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU milliseconds per request between two readings of cpuSplit. */
function perRequest(cpu0: CpuSplit | undefined, cpu1: CpuSplit | undefined, requests: number): CpuSplit {
  // A process that exits during the run takes its CPU time out of the sum (PostgreSQL's
  // backends of closed connections): never below zero.
  const per = (k: keyof CpuSplit) => (cpu0 && cpu1 && requests ? Math.max(0, ((cpu1[k] - cpu0[k]) * 1000) / requests) : 0);
  return { main: per('main'), threads: per('threads'), db: per('db'), load: per('load') };
}

async function drive(url: string, pid: number | undefined, opts: { connections: number; duration: number; requests?: Request[]; fineLatency?: boolean }): Promise<Measure> {
  const cpu0 = pid ? cpuSplit(pid) : undefined;
  const rss = pid ? rssSampler(pid) : undefined;
  const run = autocannon({ url, connections: opts.connections, duration: opts.duration, ...(opts.requests ? { requests: opts.requests } : {}) });
  // autocannon's percentiles are whole milliseconds; where a p99 of 2 or 3 ms is compared,
  // the latencies of the 2xx answers are kept here in fractions of a millisecond.
  const latencies: number[] = [];
  if (opts.fineLatency) run.on('response', (_c, status, _b, ms) => { if (status >= 200 && status < 300) latencies.push(ms); });
  const r = await run;
  const peak = rss?.stop() ?? 0;
  const cpu1 = pid ? cpuSplit(pid) : undefined;
  const requests = r.requests.total;
  const split = perRequest(cpu0, cpu1, requests);
  return {
    rps: r.requests.average, p50: r.latency.p50, p99: opts.fineLatency ? percentile(Float64Array.from(latencies), 99) : r.latency.p99, errors: r.non2xx + r.errors + r.timeouts,
    cpuMsPerRequest: split.main + split.threads, peakRssMb: peak / 1048576, requests, split,
  };
}

/**
 * The read-only scenarios, as fixed requests that each connection cycles through (one per
 * signed-in user): the load generator then builds no request and keeps no body in
 * JavaScript, as for the bare route, so the ratio between them compares the servers.
 */
function fixedRequests(t: Target, s: 'me' | 'verify' | 'introspect'): Request[] {
  return t.accessTokens.map((token) => s === 'introspect'
    ? { method: 'POST', path: '/auth/introspect', headers: { ...json, authorization: `Basic ${Buffer.from(`bench:${t.introspectionSecret}`).toString('base64')}` }, body: JSON.stringify({ token }) }
    : { method: 'GET', path: `/auth/${s}`, headers: { authorization: `Bearer ${token}` } });
}

/**
 * `fineLatency`: p99 of me, verify and introspect in fractions of a millisecond (a
 * listener per response: for comparisons of p99 only). The other scenarios always have it.
 */
export function runScenario(t: Target, s: Scenario, connections: number, duration: number, fineLatency = false): Promise<Measure> {
  if (s === 'me' || s === 'verify' || s === 'introspect') return drive(t.base, t.pid, { connections, duration, requests: fixedRequests(t, s), fineLatency });
  // Tokens in flight when a run stops are lost with their successors: top the pool up.
  if (s === 'refresh' || s === 'mixed') while (t.refreshPool.length < connections * 2 && t.refreshCursor < t.users) t.refreshPool.push(t.tokenOf(t.refreshCursor++));
  return driveEach(t, connections, duration, () => requestOf(t, s === 'mixed' ? mixedKind() : s));
}

/** The scenarios whose every request differs, through the minimal client (driver.ts). */
async function driveEach(t: Target, connections: number, duration: number, next: () => Sent): Promise<Measure> {
  const cpu0 = cpuSplit(t.pid);
  const rss = rssSampler(t.pid);
  const r = await driveDynamic(t.base, connections, duration, next, onAnswer(t));
  const peak = rss.stop();
  const split = perRequest(cpu0, cpuSplit(t.pid), r.requests);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    rps: r.requests / r.seconds, p50: round(percentile(r.latencies, 50)), p99: round(percentile(r.latencies, 99)), errors: r.errors,
    cpuMsPerRequest: split.main + split.threads, peakRssMb: peak / 1048576, requests: r.requests, split,
  };
}

export function runBare(url: string, pid: number, connections: number, duration: number): Promise<Measure> {
  return drive(url, pid, { connections, duration });
}
