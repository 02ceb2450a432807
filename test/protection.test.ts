// Lockout per identifier, per-group and per-identifier limits, client addresses behind
// proxies and IPv6 /64s, CSRF on the cookie endpoints, CAPTCHA, and limits that survive
// Redis going away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { clientKey } from '../src/core/http/index.ts';
import { freePort } from '../scripts/services.ts';
import { bearer, createTestApp, json, login, register, SAME_ORIGIN, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { SmtpSink } from './helpers/smtp.ts';
import { testDbMode } from './helpers/db.ts';

const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const loginAs = (t: TestApp, payload: Record<string, unknown>, ip = randomIp(), headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload, remoteAddress: ip, headers });

describe('lockout per identifier', () => {
  let t: TestApp;
  let sink: SmtpSink;
  before(async () => {
    sink = await new SmtpSink().start();
    t = await createTestApp({ env: { ...sink.env(), AUTH_ACCOUNT_LOCKOUT_ATTEMPTS: '3', AUTH_ACCOUNT_LOCKOUT_DURATION: '600' } });
  });
  after(async () => { await t.close(); await sink.stop(); });

  test('known and unknown identifiers behave the same: status, body, Retry-After and timing', async () => {
    await signUp(t.app); // the first user is the admin; these are not
    const { creds } = await register(t.app);
    const unknown = uniqueCredentials('ghost').email;
    const run = async (email: string, password: string) => {
      const started = process.hrtime.bigint();
      const res = await loginAs(t, { email, password });
      return { status: res.statusCode, body: res.body, retry: res.headers['retry-after'], ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const known: Awaited<ReturnType<typeof run>>[] = [];
    const ghost: Awaited<ReturnType<typeof run>>[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await run(creds.email, 'wrong-password-1'));
      ghost.push(await run(unknown, 'wrong-password-1'));
    }
    // Locked: even the right password gets the rate-limit answer, without a hash. Fifteen
    // interleaved pairs, so that a burst of load on a shared machine cannot sway the medians.
    for (let i = 0; i < 15; i++) {
      known.push(await run(creds.email, creds.password));
      ghost.push(await run(unknown, creds.password));
    }
    assert.deepEqual(known.map((r) => r.status), [401, 401, 401, ...Array<number>(15).fill(429)]);
    assert.deepEqual(ghost.map((r) => r.status), known.map((r) => r.status));
    assert.deepEqual(ghost.map((r) => r.body), known.map((r) => r.body));
    assert.equal(JSON.parse(known[3]!.body).code, 'rate_limited');
    for (const r of [...known.slice(3), ...ghost.slice(3)]) assert.ok(Number(r.retry) > 590 && Number(r.retry) <= 600, `Retry-After ${r.retry}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const k = median(known.slice(3).map((r) => r.ms));
    const g = median(ghost.slice(3).map((r) => r.ms));
    assert.ok(g < k * 3 + 2 && k < g * 3 + 2, `locked answers: known ${k.toFixed(2)} ms, unknown ${g.toFixed(2)} ms`);
    // The owner of the account is told once.
    const mail = await sink.latest(creds.email, /is locked/);
    assert.match(mail.text, /too many failed attempts/);
    assert.equal(sink.to(unknown).length, 0);
  });

  test('a success resets the count; by username the same account locks too', async () => {
    const { creds } = await register(t.app);
    for (let i = 0; i < 2; i++) assert.equal((await loginAs(t, { email: creds.email, password: 'nope-nope-1' })).statusCode, 401);
    assert.equal((await loginAs(t, { email: creds.email, password: creds.password })).statusCode, 200);
    for (let i = 0; i < 2; i++) assert.equal((await loginAs(t, { email: creds.email, password: 'nope-nope-1' })).statusCode, 401);
    assert.equal((await loginAs(t, { username: creds.username, password: 'nope-nope-1' })).statusCode, 401, 'third failure, through the username');
    assert.equal((await loginAs(t, { email: creds.email, password: creds.password })).statusCode, 429, 'the account is locked whichever identifier is used');
  });

  test('an admin can unlock; others cannot', async () => {
    const admin = await (async () => {
      const row = await t.deps.db.selectFrom('users').select(['id', 'email']).where('role', '=', 'admin').executeTakeFirstOrThrow();
      await t.deps.db.updateTable('users').set({ password_hash: await t.deps.passwords.hash('admin-Pass-123') }).where('id', '=', row.id).execute();
      await t.deps.users.changed(row.id);
      return login(t.app, { email: row.email!, password: 'admin-Pass-123' }, 'native');
    })();
    const { creds, user } = await register(t.app);
    for (let i = 0; i < 3; i++) await loginAs(t, { email: creds.email, password: 'nope-nope-1' });
    assert.equal((await loginAs(t, { email: creds.email, password: creds.password })).statusCode, 429);

    const other = await signUp(t.app);
    const refused = await t.app.inject({ method: 'POST', url: `/admin/users/${user.id}/unlock`, headers: bearer(other.accessToken) });
    assert.equal(refused.statusCode, 403);
    assert.equal(json(refused).code, 'forbidden');
    assert.equal((await t.app.inject({ method: 'POST', url: `/admin/users/${user.id}/unlock` })).statusCode, 401);
    assert.equal((await t.app.inject({ method: 'POST', url: '/admin/users/00000000-0000-4000-8000-000000000000/unlock', headers: bearer(admin.accessToken) })).statusCode, 404);
    const ok = await t.app.inject({ method: 'POST', url: `/admin/users/${user.id}/unlock`, headers: bearer(admin.accessToken) });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await loginAs(t, { email: creds.email, password: creds.password })).statusCode, 200);
  });
});

describe('per-group and per-identifier limits', () => {
  test('sign-in and sign-up have their own limits; sign-in also counts per identifier across addresses', async () => {
    const t = await createTestApp({ env: {
      AUTH_RATE_LIMIT_MAX: '100', AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '3', AUTH_RATE_LIMIT_LOGIN_WINDOW: '60',
      AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS: '2', AUTH_RATE_LIMIT_SIGNUP_WINDOW: '60', AUTH_ACCOUNT_LOCKOUT_ENABLED: 'false',
    } });
    try {
      const ip = randomIp();
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await loginAs(t, { email: uniqueCredentials().email, password: 'x' }, ip)).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 429]);
      const signups = [];
      for (let i = 0; i < 3; i++) signups.push((await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials(), remoteAddress: ip })).statusCode);
      assert.deepEqual(signups, [201, 201, 429]);
      // One identifier tried from many addresses.
      const target = uniqueCredentials().email;
      const spread = [];
      for (let i = 0; i < 4; i++) spread.push((await loginAs(t, { email: target, password: 'x' }, randomIp())).statusCode);
      assert.deepEqual(spread, [401, 401, 401, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('client addresses', () => {
  test('IPv6 clients share a limit per /64; IPv4 per address', () => {
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(clientKey('192.0.2.7'), '192.0.2.7');
  });

  test('over HTTP: two addresses of one /64 share the counter, another /64 does not', async () => {
    const t = await createTestApp({ env: { AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '2', AUTH_RATE_LIMIT_LOGIN_WINDOW: '60' } });
    try {
      const a = await loginAs(t, { email: uniqueCredentials().email, password: 'x' }, '2001:db8:7:7::1');
      const b = await loginAs(t, { email: uniqueCredentials().email, password: 'x' }, '2001:db8:7:7:dead:beef:0:2');
      const c = await loginAs(t, { email: uniqueCredentials().email, password: 'x' }, '2001:db8:7:7::3');
      const d = await loginAs(t, { email: uniqueCredentials().email, password: 'x' }, '2001:db8:7:8::1');
      assert.deepEqual([a, b, c, d].map((r) => r.statusCode), [401, 401, 429, 401]);
    } finally {
      await t.close();
    }
  });

  test('behind trusted proxies the right-most untrusted address is the client; a spoofed left part does not escape', async () => {
    const t = await createTestApp({ env: { AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '2', AUTH_RATE_LIMIT_LOGIN_WINDOW: '60', AUTH_TRUST_PROXY: '192.168.7.0/24,10.9.0.0/16' } });
    try {
      const client = randomIp();
      const codes = [];
      for (let i = 0; i < 3; i++) {
        // The client writes anything it likes on the left; the proxies append what they saw.
        const xff = `${randomIp()}, ${client}, 10.9.1.1`;
        codes.push((await loginAs(t, { email: uniqueCredentials().email, password: 'x' }, '192.168.7.10', { 'x-forwarded-for': xff })).statusCode);
      }
      assert.deepEqual(codes, [401, 401, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('CSRF on endpoints the refresh cookie authenticates', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { AUTH_CORS_ORIGINS: 'https://app.example.test' } }); });
  after(async () => { await t.close(); });

  test('refresh and logout by cookie need an allowed Origin (or Sec-Fetch-Site: same-origin)', async () => {
    const s = await signUp(t.app, 'web');
    const refresh = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: s.refreshToken }, headers });
    for (const headers of <Record<string, string>[]>[{}, { origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://app.example.test.evil.example' }]) {
      const res = await refresh(headers);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.equal(json(res).code, 'csrf_rejected');
    }
    const logout = await t.app.inject({ method: 'POST', url: '/auth/logout', cookies: { refresh_token: s.refreshToken }, headers: { origin: 'https://evil.example' } });
    assert.equal(json(logout).code, 'csrf_rejected');
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200, 'the refused logout signed nothing out');

    const first = await refresh({ 'sec-fetch-site': 'same-origin' });
    assert.equal(first.statusCode, 200);
    const rotated = first.cookies.find((c) => c.name === 'refresh_token')!.value;
    const fromApp = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: rotated }, headers: { origin: 'https://app.example.test' } });
    assert.equal(fromApp.statusCode, 200);
    const third = fromApp.cookies.find((c) => c.name === 'refresh_token')!.value;
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: third }, headers: SAME_ORIGIN })).statusCode, 200);
  });

  test('native clients, which send the token in the body, need no Origin', async () => {
    const s = await signUp(t.app, 'native');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } })).statusCode, 200);
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) })).statusCode, 200);
  });
});

describe('CAPTCHA', () => {
  let server: Server;
  let url = '';
  const seen: Record<string, string>[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => { body += d.toString(); });
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        seen.push({ ...form, contentType: String(req.headers['content-type']) });
        const success = form.secret === 'captcha-secret-value' && form.response === 'human-token';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(success
          ? { success: true, challenge_ts: new Date().toISOString(), hostname: 'localhost' }
          : { success: false, 'error-codes': ['invalid-input-response'] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/siteverify`;
  });
  after(async () => { await new Promise((r) => server.close(r)); });

  for (const provider of ['turnstile', 'hcaptcha']) {
    test(`${provider}: required on sign-up, and on sign-in after failures`, async () => {
      const t = await createTestApp({ env: { AUTH_CAPTCHA_PROVIDER: provider, AUTH_CAPTCHA_SECRET: 'captcha-secret-value', AUTH_CAPTCHA_VERIFY_URL: url, AUTH_CAPTCHA_LOGIN_AFTER_FAILURES: '2' } });
      try {
        const c = uniqueCredentials('bot');
        const reg = (extra: Record<string, string>) => t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, ...extra }, remoteAddress: '10.1.2.3' });
        assert.equal(json(await reg({})).code, 'captcha_required');
        assert.equal(json(await reg({ captchaToken: 'robot-token' })).code, 'captcha_invalid');
        assert.equal((await reg({ captchaToken: 'human-token' })).statusCode, 201);
        assert.deepEqual(seen.at(-1), { secret: 'captcha-secret-value', response: 'human-token', remoteip: '10.1.2.3', contentType: 'application/x-www-form-urlencoded' });

        assert.equal((await loginAs(t, { email: c.email, password: c.password })).statusCode, 200, 'no CAPTCHA before failures');
        for (let i = 0; i < 2; i++) assert.equal((await loginAs(t, { email: c.email, password: 'wrong-one-1' })).statusCode, 401);
        assert.equal(json(await loginAs(t, { email: c.email, password: c.password })).code, 'captcha_required');
        assert.equal((await loginAs(t, { email: c.email, password: c.password, captchaToken: 'human-token' })).statusCode, 200);
      } finally {
        await t.close();
      }
    });
  }
});

const redisBin = process.env.TESSERA_TEST_REDIS_URL ? 'redis-server' : undefined;
describe('limits shared through Redis, which dies and comes back', { skip: redisBin ? false : 'no redis-server (npm test starts one when it is installed)' }, () => {
  test('two instances share counters; without Redis each falls back to memory and /readyz says degraded; then sharing resumes', async () => {
    const port = await freePort();
    let redis: ChildProcess | undefined;
    const startRedis = async () => {
      redis = spawn(redisBin!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
        redis!.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('Ready to accept connections')) { clearTimeout(timer); resolve(); } });
      });
    };
    await startRedis();
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: '4', AUTH_RATE_LIMIT_LOGIN_WINDOW: '60' };
    const a = await createTestApp({ env });
    const b = await createTestApp({ env, database: a.database });
    try {
      const attempt = (t: TestApp, ip: string) => loginAs(t, { email: uniqueCredentials().email, password: 'x' }, ip);
      const ip1 = randomIp();
      const shared = [];
      for (const t of [a, b, a, b, a]) shared.push((await attempt(t, ip1)).statusCode);
      assert.deepEqual(shared, [401, 401, 401, 401, 429], 'one counter for both instances');

      redis!.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      const ip2 = randomIp();
      const alone = [];
      for (let i = 0; i < 5; i++) alone.push((await attempt(a, ip2)).statusCode);
      assert.deepEqual(alone, [401, 401, 401, 401, 429], 'instance a counts in memory and keeps answering');
      assert.equal((await attempt(b, ip2)).statusCode, 401, 'instance b has its own memory');
      const ready = await a.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(json(ready).status, 'degraded');
      assert.equal(json(ready).checks.redis, 'degraded');
      // Sign-in, sign-out and revocation keep working; on PostgreSQL the other instance
      // (on PGlite, each app has its own copy of the data) reads the session from the
      // database while its subscription is down.
      const other = testDbMode() === 'postgres' ? b : a;
      const { creds } = await register(a.app);
      const signedIn = await login(a.app, creds, 'native');
      const seen = await other.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(signedIn.accessToken) });
      assert.equal(seen.statusCode, 200, seen.body);
      const out = await a.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(signedIn.accessToken), payload: { refreshToken: signedIn.refreshToken } });
      assert.equal(out.statusCode, 200, out.body);
      assert.equal(json(await other.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(signedIn.accessToken) })).code, 'session_revoked');

      await startRedis();
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        const r = json(await a.app.inject({ method: 'GET', url: '/readyz' }));
        const r2 = json(await b.app.inject({ method: 'GET', url: '/readyz' }));
        if (r.status === 'ok' && r2.status === 'ok') break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(json(await a.app.inject({ method: 'GET', url: '/readyz' })).status, 'ok', 'Redis is used again');
      const ip3 = randomIp();
      const again = [];
      for (const t of [b, a, b, a, b]) again.push((await attempt(t, ip3)).statusCode);
      assert.deepEqual(again, [401, 401, 401, 401, 429], 'shared again');
    } finally {
      await b.close();
      await a.close();
      redis?.kill('SIGKILL');
    }
  });
});
