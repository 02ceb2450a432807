// The password policy wherever a password is set: each rule with its own code, the
// common-password list, user information, history, expiry, and the breach check
// against a local server speaking Have I Been Pwned's range format.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, json, login, register, uniqueCredentials, type TestApp } from './helpers/app.ts';

const signUpWith = (t: TestApp, password: string, extra: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...uniqueCredentials('policy'), password, ...extra } });

describe('password rules', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: {
      AUTH_PASSWORD_MIN_LENGTH: '10', AUTH_PASSWORD_MAX_LENGTH: '40', AUTH_PASSWORD_REQUIRE_UPPERCASE: 'true', AUTH_PASSWORD_REQUIRE_LOWERCASE: 'true',
      AUTH_PASSWORD_REQUIRE_NUMBERS: 'true', AUTH_PASSWORD_REQUIRE_SYMBOLS: 'true',
    } });
  });
  after(async () => { await t.close(); });

  test('each broken rule has its own code; every broken rule is listed', async () => {
    const cases: [string, string][] = [
      ['Ab1!xyz', 'password_too_short'],
      ['Ab1!' + 'x'.repeat(40), 'password_too_long'],
      ['abcdefgh1!', 'password_missing_uppercase'],
      ['ABCDEFGH1!', 'password_missing_lowercase'],
      ['Abcdefghi!', 'password_missing_number'],
      ['Abcdefghi1', 'password_missing_symbol'],
    ];
    for (const [password, code] of cases) {
      const res = await signUpWith(t, password);
      assert.equal(res.statusCode, 400, password);
      assert.equal(json(res).code, code, password);
    }
    const many = json(await signUpWith(t, 'abc'));
    assert.deepEqual(many.details.map((d: { rule: string }) => d.rule), ['password_too_short', 'password_missing_uppercase', 'password_missing_number', 'password_missing_symbol']);
    assert.equal((await signUpWith(t, 'Correct-Horse-7')).statusCode, 201);
  });

  test('GET /auth/password-policy lists the active rules', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/password-policy' });
    assert.equal(res.statusCode, 200);
    const p = json(res);
    assert.equal(p.minLength, 10);
    assert.equal(p.maxLength, 40);
    assert.equal(p.requireSymbols, true);
    assert.equal(p.preventCommon, true);
    assert.ok(p.commonListSize >= 10_000, `${p.commonListSize} common passwords`);
  });
});

describe('common passwords and user information (defaults)', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  test('the most common passwords are refused, whatever their case', async () => {
    for (const password of ['password', 'baseball', 'BASEBALL', 'Qwertyuiop', 'iloveyou', 'trustno1', 'sunshine1']) {
      const res = await signUpWith(t, password);
      assert.equal(json(res).code, 'password_too_common', password);
    }
    assert.equal((await signUpWith(t, 'violet-tangerine-42')).statusCode, 201);
  });

  test('a password holding the username or the email name is refused', async () => {
    const c = uniqueCredentials('marigold');
    const byName = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, password: `x${c.username.toUpperCase()}9` } });
    assert.equal(json(byName).code, 'password_contains_user_info');
    const local = c.email.split('@')[0]!;
    const byEmail = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...c, password: `${local}!!` } });
    assert.equal(json(byEmail).code, 'password_contains_user_info');
  });

  test('the policy applies to a password change too', async () => {
    const s = await (async () => { const r = await register(t.app); return { ...(await login(t.app, r.creds, 'native')), creds: r.creds }; })();
    const res = await t.app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(s.accessToken), payload: { currentPassword: s.creds.password, newPassword: 'football' } });
    assert.equal(json(res).code, 'password_too_common');
  });
});

describe('history and expiry', () => {
  const clock = new ManualClock(Date.parse('2026-01-10T09:00:00Z'));
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock, env: { AUTH_PASSWORD_HISTORY_COUNT: '3', AUTH_PASSWORD_CHANGE_REQUIRED_DAYS: '30' } }); });
  after(async () => { await t.close(); });

  test('the last N passwords cannot be reused; older ones can', async () => {
    const { creds } = await register(t.app, { ...uniqueCredentials('hist'), password: 'first-Pass-1' });
    const s = await login(t.app, { email: creds.email, password: 'first-Pass-1' }, 'native');
    let current = 'first-Pass-1';
    const change = async (next: string) => {
      const res = await t.app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(s.accessToken), payload: { currentPassword: current, newPassword: next } });
      if (res.statusCode === 200) current = next;
      return res;
    };
    assert.equal(json(await change('first-Pass-1')).code, 'password_reused', 'the current one');
    assert.equal((await change('second-Pass-2')).statusCode, 200);
    assert.equal((await change('third-Pass-3')).statusCode, 200);
    assert.equal(json(await change('first-Pass-1')).code, 'password_reused', 'two changes ago');
    assert.equal(json(await change('second-Pass-2')).code, 'password_reused');
    assert.equal((await change('fourth-Pass-4')).statusCode, 200);
    assert.equal((await change('first-Pass-1')).statusCode, 200, 'four passwords ago: allowed with a history of 3');
    const kept = await t.deps.db.selectFrom('password_history').select('id').where('user_id', '=', s.user.id).execute();
    assert.equal(kept.length, 2, 'only what the rule needs is kept');
  });

  test('after AUTH_PASSWORD_CHANGE_REQUIRED_DAYS, sign-in answers password_expired with a token that only sets a new password', async () => {
    const { creds } = await register(t.app, { ...uniqueCredentials('old'), password: 'ageing-Pass-1' });
    clock.advance(31 * 86_400_000);
    const res = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'ageing-Pass-1' } });
    assert.equal(res.statusCode, 403);
    const body = json(res);
    assert.equal(body.code, 'password_expired');
    const token = body.details.passwordChangeToken as string;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(res.cookies.length, 0, 'no session');
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).code, 'invalid_token', 'the token is no access token');

    const same = await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token, newPassword: 'ageing-Pass-1' } });
    assert.equal(json(same).code, 'password_reused');
    const ok = await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token, newPassword: 'renewed-Pass-2', client: 'native' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.ok(json(ok).accessToken && json(ok).refreshToken);
    assert.equal(json(await t.app.inject({ method: 'POST', url: '/auth/password/expired', payload: { token, newPassword: 'again-Pass-3' } })).code, 'email_token_invalid', 'single use');
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'renewed-Pass-2' } })).statusCode, 200);
  });
});

describe('breach check (Have I Been Pwned range API)', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  const sha1 = (p: string) => createHash('sha1').update(p).digest('hex').toUpperCase();
  const breached = 'Tr0ub4dor&3-breached';
  before(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} padding=${req.headers['add-padding']}`);
      const prefix = (req.url ?? '').split('/').pop() ?? '';
      const lines = ['0018A45C4D1DEF81644B54AB7F969B88D65:1', '00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0'];
      if (sha1(breached).startsWith(prefix)) lines.push(`${sha1(breached).slice(5)}:3861493`);
      // The real service answers CRLF-separated lines, padded with zero counts.
      res.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => { await new Promise((r) => server.close(r)); });

  test('a breached password is refused; only five hex characters of its SHA-1 leave the server', async () => {
    const t = await createTestApp({ env: { AUTH_PASSWORD_BREACH_CHECK: 'true', AUTH_PASSWORD_BREACH_API_URL: base } });
    try {
      const res = await signUpWith(t, breached);
      assert.equal(json(res).code, 'password_breached');
      assert.deepEqual(requests.at(-1), `GET /range/${sha1(breached).slice(0, 5)} padding=true`);
      assert.equal((await signUpWith(t, 'never-breached-Pass-9')).statusCode, 201);
      assert.equal(requests.at(-1), `GET /range/${sha1('never-breached-Pass-9').slice(0, 5)} padding=true`);
    } finally {
      await t.close();
    }
  });

  test('when the service cannot be reached, the local list decides and the log says so', async () => {
    const t = await createTestApp({ logLevel: 'warn', env: { AUTH_PASSWORD_BREACH_CHECK: 'true', AUTH_PASSWORD_BREACH_API_URL: 'http://127.0.0.1:9', AUTH_PASSWORD_PREVENT_COMMON: 'false' } });
    try {
      assert.equal(json(await signUpWith(t, 'baseball1')).code, 'password_too_common');
      assert.equal((await signUpWith(t, 'unlisted-Pass-77')).statusCode, 201);
      assert.ok(t.logs.some((l) => l.includes('password breach check unavailable')));
    } finally {
      await t.close();
    }
  });
});
