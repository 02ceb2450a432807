// The scenarios of `npm run bench`, driven by autocannon over loopback. Each scenario is
// one autocannon run; the server's CPU time and peak RSS are read around it.
import autocannon, { type Request } from 'autocannon';
import { cpuSeconds, rssSampler } from './proc.ts';
import { SEED_PASSWORD, seedEmail, seedToken } from './seed.ts';

export interface Measure { rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number; peakRssMb: number; requests: number }

export interface Target {
  base: string;
  pid: number;
  /** Seeded users and the secret their refresh tokens derive from. */
  users: number;
  secret: string;
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

function requestOf(t: Target, kind: Kind | 'register' | 'introspect' | 'logout', context: Record<string, unknown>): Request {
  context.kind = kind;
  switch (kind) {
    case 'me':
    case 'verify':
      return { method: 'GET', path: `/auth/${kind}`, headers: { authorization: `Bearer ${pick(t.accessTokens)}` } };
    case 'refresh':
      return { method: 'POST', path: '/auth/refresh', headers: json, body: JSON.stringify({ refreshToken: t.refreshPool.shift() ?? 'pool-empty' }) };
    case 'login':
      return { method: 'POST', path: '/auth/login', headers: json, body: JSON.stringify({ email: seedEmail(Math.floor(Math.random() * t.users)), password: SEED_PASSWORD, client: 'native' }) };
    case 'register': {
      const n = t.registered++;
      return { method: 'POST', path: '/auth/register', headers: json, body: JSON.stringify({ username: `bench_r${process.pid}_${n}`, email: `bench_r${process.pid}_${n}@bench.test`, password: `registered-passphrase-${n}` }) };
    }
    case 'introspect':
      return {
        method: 'POST', path: '/auth/introspect',
        headers: { ...json, authorization: `Basic ${Buffer.from(`bench:${t.introspectionSecret}`).toString('base64')}` },
        body: JSON.stringify({ token: pick(t.accessTokens) }),
      };
    case 'logout':
      return { method: 'POST', path: '/auth/logout', headers: json, body: JSON.stringify({ refreshToken: t.spareCursor < t.spareEnd ? seedToken(t.secret, t.spareCursor++) : 'spares-exhausted' }) };
  }
}

function onResponse(t: Target) {
  return (status: number, body: string, context: Record<string, unknown>) => {
    if (context.kind === 'refresh' && status === 200) t.refreshPool.push((JSON.parse(body) as { refreshToken: string }).refreshToken);
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

async function drive(url: string, pid: number | undefined, opts: { connections: number; duration: number; requests?: Request[]; fineLatency?: boolean }): Promise<Measure> {
  const cpu0 = pid ? cpuSeconds(pid) : 0;
  const rss = pid ? rssSampler(pid) : undefined;
  const run = autocannon({ url, connections: opts.connections, duration: opts.duration, ...(opts.requests ? { requests: opts.requests } : {}) });
  // autocannon's percentiles are whole milliseconds; where a p99 of 2 or 3 ms is compared,
  // the latencies of the 2xx answers are kept here in fractions of a millisecond.
  const latencies: number[] = [];
  if (opts.fineLatency) run.on('response', (_c, status, _b, ms) => { if (status >= 200 && status < 300) latencies.push(ms); });
  const r = await run;
  const peak = rss?.stop() ?? 0;
  const cpu = pid ? cpuSeconds(pid) - cpu0 : 0;
  const requests = r.requests.total;
  return {
    rps: r.requests.average, p50: r.latency.p50, p99: opts.fineLatency ? percentile(Float64Array.from(latencies), 99) : r.latency.p99, errors: r.non2xx + r.errors + r.timeouts,
    cpuMsPerRequest: requests ? (cpu * 1000) / requests : 0, peakRssMb: peak / 1048576, requests,
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

/** `fineLatency`: p99 in fractions of a millisecond (a listener per response: for comparisons of p99 only). */
export function runScenario(t: Target, s: Scenario, connections: number, duration: number, fineLatency = false): Promise<Measure> {
  if (s === 'me' || s === 'verify' || s === 'introspect') return drive(t.base, t.pid, { connections, duration, requests: fixedRequests(t, s), fineLatency });
  // Tokens in flight when a run stops are lost with their successors: top the pool up.
  if (s === 'refresh' || s === 'mixed') while (t.refreshPool.length < connections * 2 && t.refreshCursor < t.users) t.refreshPool.push(seedToken(t.secret, t.refreshCursor++));
  const setup = (req: Request, context: Record<string, unknown>): Request => ({ ...req, ...requestOf(t, s === 'mixed' ? mixedKind() : s, context) });
  return drive(t.base, t.pid, { connections, duration, requests: [{ setupRequest: setup, onResponse: onResponse(t) }], fineLatency });
}

export function runBare(url: string, pid: number, connections: number, duration: number): Promise<Measure> {
  return drive(url, pid, { connections, duration });
}
