// GET /metrics passes `promtool check metrics`, Prometheus' own linter of the exposition
// format (naming, suffixes, help and type lines), on a scrape where every family has
// samples: sign-ins by outcome, a reuse detection, rate-limit and lockout hits, request
// histograms, queue and pool gauges, and the process figures.
//
// promtool comes from Debian's `prometheus` package. Without it the file is skipped (set
// TESSERA_TEST_PROMTOOL to point at one elsewhere); with CI=true a missing promtool is a
// failure, as for the other services (.ci/run installs it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, login, register, uniqueCredentials, type TestApp } from './helpers/app.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const ci = process.env.CI === 'true' || process.env.CI === '1';
const PROMTOOL = process.env.TESSERA_TEST_PROMTOOL ?? (spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim() || undefined);

function promtoolSkip(): string | false {
  if (PROMTOOL && existsSync(PROMTOOL)) return false;
  if (ci) throw new Error(`CI=true but no promtool${PROMTOOL ? ` at ${PROMTOOL}` : ''} (apt-get install prometheus, or TESSERA_TEST_PROMTOOL)`);
  return 'needs promtool (apt-get install prometheus, or TESSERA_TEST_PROMTOOL)';
}

/** promtool's verdict on an exposition: its exit status and what it complained about. */
function check(text: string): { status: number | null; problems: string } {
  const r = spawnSync(PROMTOOL!, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, problems: `${r.stdout}${r.stderr}`.trim() };
}

describe('GET /metrics and promtool check metrics', { skip: promtoolSkip() }, () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({
      env: { AUTH_METRICS_TOKEN: TOKEN, AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '2', AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS: '1' },
    });
  });
  after(async () => { await t.close(); });

  test('promtool refuses a misnamed series (the check is live)', () => {
    const bad = '# HELP tessera_demo_total A gauge with a counter suffix\n# TYPE tessera_demo_total gauge\ntessera_demo_total 1\n';
    const verdict = check(bad);
    assert.notEqual(verdict.status, 0);
    assert.match(verdict.problems, /tessera_demo_total/);
  });

  test('a scrape with every family populated has no complaint', async () => {
    // Activity, so that the labelled families have samples and not only HELP/TYPE lines.
    const { creds } = await register(t.app);
    const signedIn = await login(t.app, creds, 'native');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: signedIn.refreshToken } })).statusCode, 200);
    assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: signedIn.refreshToken } })).code, 'refresh_token_reused');
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password' } });
    for (let i = 0; i < 2; i++) await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials('limited'), remoteAddress: '192.0.2.78' });
    await t.app.inject({ method: 'GET', url: '/no/such/path' });

    const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(TOKEN) });
    assert.equal(res.statusCode, 200, res.body);
    for (const family of ['tessera_sign_ins_total{', 'tessera_refresh_token_reuse_total ', 'tessera_lockout_total{', 'tessera_rate_limit_hits_total{', 'tessera_http_request_duration_seconds_bucket{', 'tessera_queue_depth{', 'tessera_db_pool_connections{', 'tessera_nodejs_active_handles{', 'tessera_process_cpu_seconds_total ']) {
      assert.ok(res.body.includes(`\n${family}`), `the scrape has samples of ${family}`);
    }
    const verdict = check(res.body);
    assert.equal(verdict.problems, '', 'promtool complains');
    assert.equal(verdict.status, 0);
  });
});
