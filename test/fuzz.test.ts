// Fuzzed requests against every endpoint: whatever a client sends, the answer is a coded
// JSON 4xx (or a success), never a 5xx, a stack trace or SQL. The seed is printed so that
// a failure can be replayed with TESSERA_FUZZ_SEED.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, signUp, type TestApp } from './helpers/app.ts';

const seed = Number(process.env.TESSERA_FUZZ_SEED ?? Date.now() % 1_000_000);
const ROUNDS = Number(process.env.TESSERA_FUZZ_ROUNDS ?? 300);

/** mulberry32: small, seedable, good enough to pick shapes. */
function prng(s: number) {
  return () => {
    s |= 0; s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rnd = prng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (n: number) => Math.floor(rnd() * n);

const STRINGS = ['', ' ', 'a', 'admin', 'a@b', 'x@example.test', '\u0000', '\ud800', '🙂🙂', "' OR 1=1 --", '"; drop table users; --', '<script>alert(1)</script>',
  '../../../etc/passwd', '%00', 'null', 'true', '{}', '[]', 'Bearer x', 'x'.repeat(300), 'é'.repeat(60), '\u202e', 'NaN', '__proto__', '${jndi:ldap://x}'];
const KEYS = ['username', 'email', 'password', 'refreshToken', 'client', 'role', '__proto__', 'constructor', 'prototype', 'is_active', 'id', '', 'a.b', '$where',
  'token', 'code', 'newEmail', 'currentPassword', 'newPassword', 'redirectTo', 'locale', 'captchaToken',
  'verification_id', 'method', 'phone', 'enrollmentToken', 'response', 'name',
  'permission', 'permissions', 'includes', 'description', 'metadata', 'roles', 'active', 'emailVerified', 'secretExpiresAt', 'sendPasswordSetup',
  'grant_type', 'client_id', 'client_secret', 'scope'];

function value(depth: number): unknown {
  switch (int(depth > 3 ? 6 : 9)) {
    case 0: return pick(STRINGS);
    case 1: return rnd() * 1e12 * (rnd() < 0.5 ? -1 : 1);
    case 2: return pick([0, -1, 1.5, 2 ** 53 + 1, Number.MAX_VALUE]);
    case 3: return rnd() < 0.5;
    case 4: return null;
    case 5: return pick(STRINGS) + pick(STRINGS);
    case 6: return Array.from({ length: int(4) }, () => value(depth + 1));
    case 7: case 8: return object(depth + 1);
  }
  return null;
}

function object(depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = int(5); i > 0; i--) Object.defineProperty(o, pick(KEYS), { value: value(depth), enumerable: true, configurable: true, writable: true });
  return o;
}

function body(): { payload: string | Buffer; contentType: string | undefined } {
  switch (int(8)) {
    case 0: return { payload: JSON.stringify(value(0)), contentType: 'application/json' };
    case 1: return { payload: Buffer.from(Array.from({ length: int(64) }, () => int(256))), contentType: pick(['application/json', 'application/octet-stream', undefined]) };
    case 2: return { payload: JSON.stringify(object(0)).slice(0, -int(3)), contentType: 'application/json' };
    case 3: return { payload: '{"username":' + '['.repeat(2000) + ']'.repeat(2000) + '}', contentType: 'application/json' };
    case 4: return { payload: JSON.stringify(object(0)), contentType: pick(['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/JSON']) };
    default: {
      const o = object(0);
      // Shapes close to valid ones find the deeper paths.
      Object.assign(o, { email: pick([...STRINGS, 'fuzz@example.test']), password: pick([...STRINGS, 'long-enough-password']) });
      if (rnd() < 0.3) Object.assign(o, { verification_id: pick(['00000000-0000-4000-8000-000000000000', ...STRINGS]), method: pick(['totp', 'email', 'sms', 'recovery', ...STRINGS]), code: pick(['000000', ...STRINGS]) });
      if (rnd() < 0.5) Object.assign(o, pick([{ code: pick(['000000', '123456', ...STRINGS]) }, { token: pick(STRINGS) }, { id: pick(['00000000-0000-4000-8000-000000000000', ...STRINGS]), code: '000000' }, { newEmail: pick([...STRINGS, 'new@example.test']) }]));
      return { payload: JSON.stringify(o), contentType: 'application/json' };
    }
  }
}

const NO_ID = '00000000-0000-4000-8000-000000000000';

const ENDPOINTS = [
  ['POST', '/auth/register'], ['POST', '/auth/login'], ['POST', '/auth/refresh'], ['POST', '/auth/logout'],
  ['GET', '/auth/me'], ['GET', '/auth/verify'], ['GET', '/.well-known/jwks.json'], ['GET', '/readyz'],
  ['GET', '/auth/sessions'], ['GET', '/auth/sessions/current'], ['DELETE', '/auth/sessions'], ['DELETE', '/auth/sessions/00000000-0000-4000-8000-000000000000'],
  ['POST', '/auth/introspect'],
  ['POST', '/auth/verify-email'], ['GET', '/auth/verify-email'], ['POST', '/auth/verify-email/resend'], ['POST', '/auth/password/forgot'],
  ['POST', '/auth/password/reset'], ['POST', '/auth/password/change'], ['POST', '/auth/magic-link'], ['GET', '/auth/magic-link/verify'],
  ['POST', '/auth/magic-link/verify'], ['POST', '/auth/email-code'], ['POST', '/auth/email-code/verify'], ['POST', '/auth/email/change'],
  ['POST', '/auth/email/change/confirm'], ['GET', '/auth/email/change/confirm'],
  ['POST', '/auth/passkeys/register/options'], ['POST', '/auth/passkeys/register/verify'], ['POST', '/auth/passkeys/login/options'], ['POST', '/auth/passkeys/login/verify'],
  ['GET', '/auth/passkeys'], ['PATCH', '/auth/passkeys/abc'], ['DELETE', '/auth/passkeys/abc'],
  ['DELETE', '/auth/me'], ['GET', '/auth/mfa'], ['POST', '/auth/mfa/totp/setup'], ['POST', '/auth/mfa/totp/verify'], ['POST', '/auth/mfa/email'], ['POST', '/auth/mfa/sms/enroll'],
  ['POST', '/auth/mfa/sms/verify'], ['POST', '/auth/mfa/recovery-codes'], ['DELETE', '/auth/mfa/00000000-0000-4000-8000-000000000000'], ['POST', '/auth/login/mfa'],
  ['POST', '/auth/login/mfa/send'], ['POST', '/auth/reauthenticate'], ['POST', '/auth/reauthenticate/send'],
  ['POST', '/auth/password/expired'], ['GET', '/auth/password-policy'], ['POST', '/admin/users/00000000-0000-4000-8000-000000000000/unlock'], ['POST', '/admin/users/x/unlock'],
  ['GET', '/auth/permissions'], ['POST', '/auth/authorize'], ['POST', '/auth/token'],
  ['GET', '/admin/users'], ['POST', '/admin/users'], ['GET', `/admin/users/${NO_ID}`], ['PATCH', `/admin/users/${NO_ID}`], ['DELETE', '/admin/users/x'],
  ['PUT', `/admin/users/${NO_ID}/roles/moderator`], ['DELETE', `/admin/users/${NO_ID}/roles/%00`], ['DELETE', `/admin/users/${NO_ID}/sessions/x`],
  ['POST', `/admin/users/${NO_ID}/password-reset`], ['POST', `/admin/users/${NO_ID}/mfa/reset`],
  ['GET', '/admin/roles'], ['POST', '/admin/roles'], ['PATCH', '/admin/roles/fuzz'], ['PUT', '/admin/roles/fuzz/permissions/a:b'], ['PUT', '/admin/roles/fuzz/includes/fuzz'],
  ['DELETE', '/admin/roles/%20'], ['POST', '/admin/permissions'], ['DELETE', '/admin/permissions/..'],
  ['POST', '/admin/service-accounts'], ['PATCH', `/admin/service-accounts/${NO_ID}`], ['POST', `/admin/service-accounts/${NO_ID}/secret`], ['GET', '/admin/audit'],
  ['GET', '/admin/webhooks'], ['POST', '/admin/webhooks'], ['PATCH', `/admin/webhooks/${NO_ID}`], ['POST', `/admin/webhooks/${NO_ID}/secret`], ['DELETE', '/admin/webhooks/x'],
  ['GET', `/admin/webhooks/${NO_ID}/deliveries`], ['GET', `/admin/webhooks/${NO_ID}/deliveries/x`], ['POST', `/admin/webhooks/${NO_ID}/deliveries/${NO_ID}/replay`],
] as const;

describe(`fuzzed requests (seed ${seed})`, () => {
  let t: TestApp;
  let validToken = '';
  before(async () => {
    t = await createTestApp({ logLevel: 'error', env: { AUTH_INTROSPECTION_SECRET: 'fuzz-introspection-secret-0123456789abcdef' } });
    validToken = (await signUp(t.app)).accessToken;
  });
  after(async () => { await t.close(); });

  for (const [method, url] of ENDPOINTS) {
    test(`${method} ${url}: ${ROUNDS} random requests, never a 5xx`, async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const headers: Record<string, string> = {};
        if (rnd() < 0.5) headers.authorization = pick([`Bearer ${pick(STRINGS)}`, pick(STRINGS), `Bearer ${validToken.slice(0, -int(10) - 1)}`, `bearer ${validToken}x`, `Bearer ${validToken.replace(/\./g, '..')}`]);
        if (url === '/auth/introspect' && rnd() < 0.6) headers.authorization = 'Bearer fuzz-introspection-secret-0123456789abcdef';
        if (rnd() < 0.3) headers.cookie = pick(['refresh_token=', 'refresh_token=%E0%A4%A', `refresh_token=${pick(STRINGS)}`, ';;;=', 'refresh_token="unterminated']);
        if (rnd() < 0.2) headers['x-forwarded-for'] = pick(STRINGS);
        const b = method === 'POST' || method === 'PATCH' || (method === 'DELETE' && rnd() < 0.3) ? body() : undefined;
        if (b?.contentType) headers['content-type'] = b.contentType;
        const res = await t.app.inject({ method, url: url + pick(['', '', '?x=1', '?token=abc', '/', '//', `?token=${encodeURIComponent(pick(STRINGS).replace(/[\ud800-\udfff]/g, '?'))}`, '?token=%ED%A0%80%ff', '?token=a&token=b', '?limit=-1&cursor=%00', '?sort=__proto__&active=maybe', `?type=${encodeURIComponent(pick(STRINGS).replace(/[\ud800-\udfff]/g, '?'))}&from=2026-13-45`]), headers, ...(b ? { payload: b.payload } : {}) });
        const where = `seed ${seed} round ${i}: ${method} ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
        // On a 5xx the server's own error line says why.
        assert.ok(res.statusCode < 500, `${where} | ${res.statusCode >= 500 ? (t.logs.at(-1) ?? '').slice(0, 400) : ''}`);
        if (res.statusCode >= 400) {
          const parsed = JSON.parse(res.body) as { code?: unknown; error?: unknown };
          assert.equal(typeof parsed.code, 'string', where);
          assert.equal(typeof parsed.error, 'string', where);
          assert.doesNotMatch(res.body, /\bat .*\.(ts|js):\d+|select |insert into|syntax error|node_modules/i, where);
        }
      }
    });
  }

  test('prototype pollution through bodies has no effect', async () => {
    await t.app.inject({ method: 'POST', url: '/auth/register', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"role":"admin","polluted":true},"constructor":{"prototype":{"polluted":true}},"username":"proto_user","email":"proto@example.test","password":"long-enough-password"}' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    const row = await t.deps.db.selectFrom('users').select('role').where('email', '=', 'proto@example.test').executeTakeFirst();
    if (row) assert.notEqual(row.role, 'admin');
  });
});
