// POST /auth/introspect with a service account's token (client credentials): RFC 7662
// fields (client_id, scope, sub, iat, exp, iss, aud), the scope the token can use now,
// and `{"active": false}` once the account is disabled or deleted or the token expired.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, createTestApp, decodeJwtPart, json, signUp, type TestApp } from './helpers/app.ts';

const SECRET = 'introspection-secret-0123456789-abcdefghijkl';

function introspect(t: TestApp, token: string) {
  return t.app.inject({
    method: 'POST', url: '/auth/introspect',
    headers: { authorization: `Basic ${Buffer.from(`orders-api:${SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
  });
}

async function serviceAccount(t: TestApp, admin: string, permissions: string[]) {
  const created = await t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: bearer(admin), payload: { name: 'orders-sync', permissions } });
  assert.equal(created.statusCode, 201, created.body);
  return json(created) as { serviceAccount: { id: string; clientId: string }; clientSecret: string };
}

async function grant(t: TestApp, clientId: string, secret: string, scope?: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/auth/token', payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, ...(scope ? { scope } : {}) } });
  assert.equal(res.statusCode, 200, res.body);
  return json(res).access_token as string;
}

describe('introspection of service-account tokens', () => {
  test('a live token: RFC 7662 fields; a narrowed scope; the scope it can use now', async () => {
    const t = await createTestApp({ env: { AUTH_INTROSPECTION_SECRET: SECRET } });
    try {
      const admin = (await signUp(t.app)).accessToken;
      const { serviceAccount: sa, clientSecret } = await serviceAccount(t, admin, ['users:read', 'audit:read']);
      const token = await grant(t, sa.clientId, clientSecret);
      const res = await introspect(t, token);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const claims = decodeJwtPart(token, 1);
      assert.deepEqual(json(res), {
        active: true, token_type: 'Bearer', client_id: sa.clientId, scope: 'audit:read users:read', sub: sa.id, exp: claims.exp, iat: claims.iat, iss: 'tessera',
      });
      assert.equal(claims.exp - claims.iat, 3600);

      const narrow = await grant(t, sa.clientId, clientSecret, 'users:read');
      assert.equal(json(await introspect(t, narrow)).scope, 'users:read');

      // A permission taken from the account leaves the scope at once, as on Tessera's own routes.
      const patched = await t.app.inject({ method: 'PATCH', url: `/admin/service-accounts/${sa.id}`, headers: bearer(admin), payload: { permissions: ['audit:read'] } });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(json(await introspect(t, token)).scope, 'audit:read');
      const emptied = json(await introspect(t, narrow));
      assert.deepEqual([emptied.active, emptied.scope], [true, ''], 'still the account\'s token, with nothing it may do');

      // A user's token is answered as before.
      const user = await signUp(t.app);
      const mine = json(await introspect(t, user.accessToken));
      assert.deepEqual([mine.active, mine.sub, mine.username, mine.client_id, mine.scope], [true, user.user.id, user.user.username, undefined, undefined]);
    } finally {
      await t.close();
    }
  });

  test('inactive: a disabled account (active again when re-enabled), a deleted one, an expired or forged token', async () => {
    const clock = new ManualClock(Date.parse('2026-06-01T08:00:00Z'));
    const t = await createTestApp({ clock, env: { AUTH_INTROSPECTION_SECRET: SECRET, AUTH_ACCESS_TOKEN_EXPIRY: '1d', AUTH_REFRESH_TOKEN_EXPIRY: '30d' } });
    try {
      const admin = (await signUp(t.app)).accessToken;
      const { serviceAccount: sa, clientSecret } = await serviceAccount(t, admin, ['users:read']);
      const token = await grant(t, sa.clientId, clientSecret);
      assert.equal(json(await introspect(t, token)).active, true);

      const setActive = (active: boolean) => t.app.inject({ method: 'PATCH', url: `/admin/service-accounts/${sa.id}`, headers: bearer(admin), payload: { active } });
      assert.equal((await setActive(false)).statusCode, 200);
      assert.deepEqual(json(await introspect(t, token)), { active: false }, 'disabled');
      assert.equal((await setActive(true)).statusCode, 200);
      assert.equal(json(await introspect(t, token)).active, true, 'enabled again');

      const [h, p] = token.split('.');
      assert.deepEqual(json(await introspect(t, `${h}.${p}.${'A'.repeat(43)}`)), { active: false }, 'forged');

      clock.advance(3600_000);
      assert.deepEqual(json(await introspect(t, token)), { active: false }, 'expired');

      const fresh = await grant(t, sa.clientId, clientSecret);
      assert.equal(json(await introspect(t, fresh)).active, true);
      assert.equal((await t.app.inject({ method: 'DELETE', url: `/admin/service-accounts/${sa.id}`, headers: bearer(admin) })).statusCode, 200);
      assert.deepEqual(json(await introspect(t, fresh)), { active: false }, 'deleted');
    } finally {
      await t.close();
    }
  });

  test('aud is reported when tokens carry one (AUTH_JWT_AUDIENCE)', async () => {
    const t = await createTestApp({ env: { AUTH_INTROSPECTION_SECRET: SECRET, AUTH_JWT_AUDIENCE: 'https://api.example.test' } });
    try {
      const admin = (await signUp(t.app)).accessToken;
      const { serviceAccount: sa, clientSecret } = await serviceAccount(t, admin, ['users:read']);
      const body = json(await introspect(t, await grant(t, sa.clientId, clientSecret)));
      assert.deepEqual([body.active, body.aud, body.client_id, body.sub], [true, 'https://api.example.test', sa.clientId, sa.id]);
    } finally {
      await t.close();
    }
  });
});
