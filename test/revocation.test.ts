// Instant revocation everywhere: two instances on one PostgreSQL, each caching session
// state; a revocation on one is refused by the other within a second, through
// PostgreSQL LISTEN/NOTIFY, or through Redis pub/sub when REDIS_URL is set.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { bearer, createTestApp, decodeJwtPart, json, signUp, type TestApp } from './helpers/app.ts';
import { createTestDatabase, testDbMode } from './helpers/db.ts';

const postgres = testDbMode() === 'postgres';
const redisUrl = process.env.TESSERA_TEST_REDIS_URL;

async function refusedWithin(t: TestApp, token: string, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if ((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) })).statusCode === 401) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Infinity;
}

async function twoInstances(env: Record<string, string>, body: (a: TestApp, b: TestApp) => Promise<void>): Promise<void> {
  const database = await createTestDatabase();
  const a = await createTestApp({ database, env });
  const b = await createTestApp({ database, env });
  try {
    await body(a, b);
  } finally {
    await a.close();
    await b.close();
    await database.drop();
  }
}

const variants: [string, Record<string, string>, string | false][] = [
  ['PostgreSQL LISTEN/NOTIFY', {}, postgres ? false : 'needs PostgreSQL (runs in the PostgreSQL suite)'],
  ['Redis pub/sub', { REDIS_URL: redisUrl ?? '' }, !postgres ? 'needs PostgreSQL (runs in the PostgreSQL suite)' : redisUrl ? false : 'no TESSERA_TEST_REDIS_URL'],
];

for (const [name, env, skip] of variants) {
  describe(`revocation across instances through ${name}`, { skip }, () => {
    test('revoke on instance A: instance B refuses the old token within a second', async () => {
      await twoInstances(env, async (a, b) => {
        assert.equal(b.deps.bus.transport, name.startsWith('Redis') ? 'redis' : 'postgres');
        const s = await signUp(a.app, 'native');
        const other = await signUp(a.app, 'native');
        // B has seen both sessions and caches their state.
        for (const tok of [s.accessToken, other.accessToken]) assert.equal((await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(tok) })).statusCode, 200);
        assert.ok(b.deps.sessions.cacheSize() >= 2, 'B serves the check from its cache');

        // One session revoked on A.
        await a.app.inject({ method: 'DELETE', url: `/auth/sessions/${decodeJwtPart(s.accessToken, 1).sid}`, headers: bearer(s.accessToken) });
        const took = await refusedWithin(b, s.accessToken, 1000);
        assert.ok(took < 1000, `B refused the revoked token after ${took} ms`);
        assert.equal((await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(other.accessToken) })).statusCode, 200, 'other sessions unaffected');

        // Logout everywhere on A (a per-user invalidation).
        await a.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(other.accessToken) });
        assert.ok((await refusedWithin(b, other.accessToken, 1000)) < 1000);
      });
    });

    test('a user change announced on A is seen by B within a second', async () => {
      await twoInstances(env, async (a, b) => {
        const s = await signUp(a.app, 'native');
        const role = async () => json(await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).role as string;
        assert.equal(await role(), s.user.role);
        await a.deps.db.updateTable('users').set({ role: 'moderator' }).where('id', '=', s.user.id).execute();
        await a.deps.users.changed(s.user.id);
        let seen = '';
        for (const until = Date.now() + 1000; seen !== 'moderator' && Date.now() < until;) {
          seen = await role();
          if (seen !== 'moderator') await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(seen, 'moderator');
      });
    });

    test('reuse detection on A is seen by B within a second', async () => {
      await twoInstances({ ...env, AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0' }, async (a, b) => {
        const s = await signUp(a.app, 'native');
        const next = json(await a.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } }));
        assert.equal((await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(next.accessToken) })).statusCode, 200);
        assert.equal((await a.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } })).statusCode, 401);
        assert.ok((await refusedWithin(b, next.accessToken, 1000)) < 1000);
      });
    });
  });
}

describe('losing the invalidation connection', { skip: postgres ? false : 'needs PostgreSQL (runs in the PostgreSQL suite)' }, () => {
  test('while the LISTEN connection is down the cache is bypassed, and it reconnects', async () => {
    await twoInstances({}, async (a, b) => {
      const s = await signUp(a.app, 'native');
      assert.equal((await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
      // Cut every instance's listener: notifications sent now would be lost.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'tessera-invalidation' and datname = current_database()`.execute(a.deps.db);
      const until = Date.now() + 2000;
      while (b.deps.bus.connected() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      await a.app.inject({ method: 'DELETE', url: `/auth/sessions/${decodeJwtPart(s.accessToken, 1).sid}`, headers: bearer(s.accessToken) });
      assert.equal((await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 401, 'no stale answer while disconnected');
      const back = Date.now() + 5000;
      while (!b.deps.bus.connected() && Date.now() < back) await new Promise((r) => setTimeout(r, 50));
      assert.ok(b.deps.bus.connected(), 'reconnected');
      assert.equal((await b.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    });
  });
});
