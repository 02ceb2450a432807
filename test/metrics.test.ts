// GET /metrics: absent unless configured, behind its token on the API port, open on its
// own port; the counters follow what happened (sign-ins by outcome, reuse detections,
// rate-limit and lockout hits), the queue gauges read the database, and request
// histograms are keyed by route pattern, never by raw URL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseEnv, bearer, createTestApp, json, login, register, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { createTestDatabase, testDbMode, type TestDatabase } from './helpers/db.ts';
import { freePort, run, waitHealthy } from './helpers/process.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one sample; labels match whatever their order. undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  test('is not served when neither AUTH_METRICS_TOKEN nor AUTH_METRICS_PORT is set', async () => {
    const t = await createTestApp();
    try {
      const res = await t.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(res.statusCode, 404);
      assert.equal(json(res).code, 'not_found');
    } finally {
      await t.close();
    }
  });

  describe('with a token', () => {
    let t: TestApp;
    const scrape = async () => {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(TOKEN) });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return res.body;
    };
    before(async () => {
      t = await createTestApp({
        env: {
          AUTH_METRICS_TOKEN: TOKEN, AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '2', AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
          AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS: '3',
        },
      });
    });
    after(async () => { await t.close(); });

    test('refuses a missing or wrong token with 401 unauthorized', async () => {
      for (const headers of [{}, bearer('metrics-token-0123456789abcdeX'), { authorization: TOKEN }]) {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
        assert.equal(res.statusCode, 401);
        assert.equal(json(res).code, 'unauthorized');
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="metrics"');
        assert.doesNotMatch(res.body, /tessera_/);
      }
    });

    test('counts sign-ins by outcome, reuse detections, lockouts and requests by route pattern', async () => {
      const before = await scrape();
      const base = (name: string, labels: Record<string, string> = {}) => sample(before, name, labels) ?? 0;
      const { creds } = await register(t.app);
      const signedIn = await login(t.app, creds, 'native');
      await login(t.app, creds, 'native');
      const wrong = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password' } });
      assert.equal(wrong.statusCode, 401);
      // The same refresh token twice: the second use is a reuse.
      const first = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: signedIn.refreshToken } });
      assert.equal(first.statusCode, 200, first.body);
      const again = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: signedIn.refreshToken } });
      assert.equal(json(again).code, 'refresh_token_reused');
      // Two failures lock the address; the right password is then refused.
      const victim = (await register(t.app)).creds;
      for (let i = 0; i < 2; i++) {
        assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: victim.email, password: 'wrong-wrong-wrong' } })).statusCode, 401);
      }
      const locked = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: victim.email, password: victim.password } });
      assert.equal(locked.statusCode, 429);
      // Unknown URLs share one series.
      await t.app.inject({ method: 'GET', url: '/no/such/path-1' });
      await t.app.inject({ method: 'GET', url: '/no/such/path-2' });

      const text = await scrape();
      const delta = (name: string, labels: Record<string, string> = {}) => (sample(text, name, labels) ?? 0) - base(name, labels);
      assert.equal(delta('tessera_sign_ins_total', { method: 'password', outcome: 'success' }), 2);
      assert.equal(delta('tessera_sign_ins_total', { method: 'password', outcome: 'wrong_password' }), 3);
      assert.equal(delta('tessera_refresh_token_reuse_total'), 1);
      assert.equal(delta('tessera_lockout_total', { event: 'locked' }), 1);
      assert.equal(delta('tessera_lockout_total', { event: 'refused' }), 1);
      assert.equal(delta('tessera_http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status: '200' }), 2);
      assert.equal(delta('tessera_http_request_duration_seconds_count', { method: 'POST', route: '/auth/login', status: '401' }), 3);
      assert.equal(delta('tessera_http_request_duration_seconds_count', { method: 'POST', route: '/auth/refresh', status: '401' }), 1);
      assert.equal(delta('tessera_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }), 2);
      assert.doesNotMatch(text, /path-1|path-2/, 'raw URLs never become labels');
      assert.ok((sample(text, 'tessera_http_request_duration_seconds_sum', { method: 'POST', route: '/auth/login', status: '200' }) ?? 0) > 0);
      // The process figures come along.
      assert.ok((sample(text, 'tessera_process_resident_memory_bytes') ?? 0) > 10_000_000);
      assert.ok(sample(text, 'tessera_nodejs_eventloop_lag_p99_seconds') !== undefined);
    });

    test('counts rate-limit hits by limiter', async () => {
      const before = sample(await scrape(), 'tessera_rate_limit_hits_total', { limiter: 'signup' }) ?? 0;
      let refused = 0;
      for (let i = 0; i < 5; i++) {
        const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials('limited'), remoteAddress: '192.0.2.77' });
        if (res.statusCode === 429) refused++;
      }
      assert.ok(refused >= 2, `${refused} registrations refused`);
      assert.equal((sample(await scrape(), 'tessera_rate_limit_hits_total', { limiter: 'signup' }) ?? 0) - before, refused);
    });

    test('reads queue depth and lag from the database, and the pool from the driver', async () => {
      // With the mail worker stopped, a reset request waits in the outbox.
      await t.deps.outbox.stop();
      const { creds } = await register(t.app);
      const before = sample(await scrape(), 'tessera_queue_depth', { queue: 'mail' }) ?? 0;
      const res = await t.app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: creds.email } });
      assert.ok(res.statusCode < 300, res.body);
      await t.deps.settle();
      const text = await scrape();
      assert.equal((sample(text, 'tessera_queue_depth', { queue: 'mail' }) ?? 0) - before, 1);
      assert.ok((sample(text, 'tessera_queue_lag_seconds', { queue: 'mail' }) ?? -1) >= 0);
      assert.equal(sample(text, 'tessera_queue_depth', { queue: 'webhooks' }), 0);
      assert.equal(sample(text, 'tessera_queue_depth', { queue: 'events' }), 0, 'without NATS nothing waits for it');
      assert.equal(sample(text, 'tessera_db_pool_connections', { state: 'max' }), testDbMode() === 'pglite' ? 1 : t.config.databasePoolMax);
      assert.ok((sample(text, 'tessera_db_pool_connections', { state: 'total' }) ?? 0) >= 1);
    });
  });

  describe('on AUTH_METRICS_PORT', () => {
    let db: TestDatabase;
    before(async () => { db = await createTestDatabase(); });
    after(async () => { await db.drop(); });

    test('the real server answers /metrics without a token on its own port only', async () => {
      const port = await freePort();
      const metricsPort = await freePort();
      const proc = run('src/main.ts', { ...baseEnv(), ...db.env, PORT: String(port), AUTH_METRICS_PORT: String(metricsPort) });
      try {
        await waitHealthy(`http://127.0.0.1:${port}`, proc);
        const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.ok((sample(text, 'tessera_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status: '200' }) ?? 0) >= 1);
        assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 404, 'not on the API port without a token');
        const other = await fetch(`http://127.0.0.1:${metricsPort}/auth/me`);
        assert.equal(other.status, 404);
        assert.equal(((await other.json()) as { code: string }).code, 'not_found');
      } finally {
        proc.child.kill('SIGTERM');
        await proc.exited;
      }
    });
  });
});
