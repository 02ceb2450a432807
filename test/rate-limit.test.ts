// Per-IP limits on the credential endpoints, X-Forwarded-For only from trusted proxies,
// and counters shared by two instances through Redis.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { createTestApp, json, register, uniqueCredentials, type TestApp } from './helpers/app.ts';

/** A random client address, so that runs sharing one Redis never share counters. Sign-in
 * attempts name a fresh address each time, so that only the per-IP limit is at work. */
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function attempt(t: TestApp, url: string, ip: string, headers: Record<string, string> = {}) {
  const payload = url === '/auth/register' ? uniqueCredentials() : url === '/auth/login' ? { email: uniqueCredentials('nobody').email, password: 'wrong-password' } : { refreshToken: 'unknown-token' };
  return t.app.inject({ method: 'POST', url, payload, remoteAddress: ip, headers });
}

describe('rate limits (in memory)', () => {
  for (const url of ['/auth/login', '/auth/register', '/auth/refresh']) {
    test(`${url}: AUTH_RATE_LIMIT_MAX requests per window, then 429 with Retry-After`, async () => {
      const t = await createTestApp({ env: { AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_WINDOW: '60' } });
      try {
        const ip = randomIp();
        for (let i = 0; i < 3; i++) assert.notEqual((await attempt(t, url, ip)).statusCode, 429);
        const limited = await attempt(t, url, ip);
        assert.equal(limited.statusCode, 429);
        assert.equal(json(limited).error, 'Too many attempts, try again later');
        assert.equal(json(limited).code, 'rate_limited');
        const retry = Number(limited.headers['retry-after']);
        assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`);
        // Another client is not affected.
        assert.notEqual((await attempt(t, url, randomIp())).statusCode, 429);
      } finally {
        await t.close();
      }
    });
  }

  test('the limit applies even to correct credentials, and groups count apart', async () => {
    const t = await createTestApp({ env: { AUTH_RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_WINDOW: '60' } });
    try {
      const ip = randomIp();
      const { creds } = await register(t.app);
      for (let i = 0; i < 2; i++) assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds, remoteAddress: ip })).statusCode, 200);
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: creds, remoteAddress: ip })).statusCode, 429);
      assert.notEqual((await attempt(t, '/auth/refresh', ip)).statusCode, 429, 'refresh has its own counter');
      // Endpoints that check no credential are not limited.
      for (let i = 0; i < 5; i++) assert.equal((await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: ip })).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('X-Forwarded-For is ignored when no proxy is trusted', async () => {
    const t = await createTestApp({ env: { AUTH_RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_WINDOW: '60' } });
    try {
      const ip = randomIp();
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await attempt(t, '/auth/login', ip, { 'x-forwarded-for': randomIp() })).statusCode);
      assert.deepEqual(codes, [401, 401, 429, 429]);
    } finally {
      await t.close();
    }
  });

  test('X-Forwarded-For is believed only from a trusted proxy', async () => {
    const t = await createTestApp({ env: { AUTH_RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_WINDOW: '60', AUTH_TRUST_PROXY: '192.168.7.0/24' } });
    try {
      const proxy = '192.168.7.10';
      // Through the proxy, clients are told apart by X-Forwarded-For.
      const a = randomIp();
      const viaProxy = [];
      for (let i = 0; i < 3; i++) viaProxy.push((await attempt(t, '/auth/login', proxy, { 'x-forwarded-for': a })).statusCode);
      assert.deepEqual(viaProxy, [401, 401, 429]);
      assert.equal((await attempt(t, '/auth/login', proxy, { 'x-forwarded-for': randomIp() })).statusCode, 401, 'another client behind the proxy');
      // An untrusted peer cannot choose its address.
      const direct = randomIp();
      const spoofed = [];
      for (let i = 0; i < 3; i++) spoofed.push((await attempt(t, '/auth/login', direct, { 'x-forwarded-for': randomIp() })).statusCode);
      assert.deepEqual(spoofed, [401, 401, 429]);
    } finally {
      await t.close();
    }
  });
});

const redisUrl = process.env.TESSERA_TEST_REDIS_URL;

describe('rate limits shared through Redis', { skip: redisUrl ? false : 'no TESSERA_TEST_REDIS_URL (npm test starts redis-server when it is installed)' }, () => {
  test('two instances on one Redis share the counters', async () => {
    const env = { REDIS_URL: redisUrl!, AUTH_RATE_LIMIT_MAX: '4', AUTH_RATE_LIMIT_WINDOW: '60' };
    const a = await createTestApp({ env });
    const b = await createTestApp({ env });
    try {
      assert.ok(a.deps.redis && b.deps.redis, 'both use Redis');
      const ip = randomIp();
      const codes = [];
      for (const t of [a, b, a, b, a, b]) codes.push((await attempt(t, '/auth/login', ip)).statusCode);
      assert.deepEqual(codes, [401, 401, 401, 401, 429, 429]);
      // The counter is in Redis, not in either process.
      const keys = await a.deps.redis.keys(`*login:${ip}`);
      assert.equal(keys.length, 1);
      const ready = json(await a.app.inject({ method: 'GET', url: '/readyz' }));
      assert.equal(ready.checks.redis, 'ok');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('when Redis stops answering, each instance falls back to its own in-memory limit', async () => {
    const t = await createTestApp({ env: { REDIS_URL: redisUrl!, AUTH_RATE_LIMIT_MAX: '2', AUTH_RATE_LIMIT_WINDOW: '60' } });
    try {
      t.deps.redis!.disconnect();
      const ip = randomIp();
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await attempt(t, '/auth/login', ip)).statusCode);
      assert.deepEqual(codes, [401, 401, 429]);
      // The service keeps answering; readiness says it runs degraded.
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(json(ready).status, 'degraded');
      assert.equal(json(ready).checks.redis, 'degraded');
    } finally {
      await t.close();
    }
  });
});
