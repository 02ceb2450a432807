// Logs carry request ids and authentication decisions, and never a password or token.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, refreshCookie, uniqueCredentials, SAME_ORIGIN } from './helpers/app.ts';

describe('logging', () => {
  test('passwords and tokens never reach the log, at trace level with AUTH_DEBUG_MODE', async () => {
    const t = await createTestApp({ logLevel: 'trace', env: { AUTH_DEBUG_MODE: 'true' } });
    const secrets: string[] = [];
    try {
      const c = uniqueCredentials('logged');
      secrets.push(c.password);
      await t.app.inject({ method: 'POST', url: '/auth/register', payload: c, headers: { 'x-request-id': 'req-register-1' } });
      await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: c.email, password: 'wrong-password-value' } });
      secrets.push('wrong-password-value');

      const web = await t.app.inject({ method: 'POST', url: '/auth/login', payload: c });
      const webAccess = json(web).accessToken as string;
      const webRefresh = refreshCookie(web)!.value;
      const native = json(await t.app.inject({ method: 'POST', url: '/auth/login', payload: { ...c, client: 'native' } }));
      secrets.push(webAccess, webRefresh, native.accessToken, native.refreshToken);

      const rotated = json(await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: native.refreshToken } }));
      secrets.push(rotated.accessToken, rotated.refreshToken);
      const viaCookie = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: webRefresh }, headers: SAME_ORIGIN });
      secrets.push(refreshCookie(viaCookie)!.value, json(viaCookie).accessToken);

      await t.app.inject({ method: 'GET', url: `/auth/me?token=${webAccess}`, headers: bearer(webAccess) });
      await t.app.inject({ method: 'GET', url: '/auth/verify', headers: bearer(`${webAccess}tampered`) });
      await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...uniqueCredentials(), email: 'bad', password: 'secret-in-invalid-body' } });
      secrets.push('secret-in-invalid-body');
      await t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(rotated.accessToken) });

      const text = t.logs.join('\n');
      assert.ok(t.logs.length > 10, 'the requests were logged');
      for (const secret of secrets) {
        assert.ok(!text.includes(secret), `a secret (${secret.length} chars) appeared in the log`);
        // Neither may a JWT's signature on its own.
        const sig = secret.split('.')[2];
        if (sig) assert.ok(!text.includes(sig), 'a JWT signature appeared in the log');
      }

      const lines = t.logs.map((l) => JSON.parse(l) as Record<string, any>);
      assert.ok(lines.some((l) => l.requestId === 'req-register-1'), 'request ids are logged');
      const decisions = lines.filter((l) => typeof l.auth === 'string').map((l) => l.auth as string);
      for (const d of ['login_failed', 'login_succeeded', 'refresh_succeeded', 'logout']) assert.ok(decisions.includes(d), `decision ${d} logged`);
      const failed = lines.find((l) => l.auth === 'login_failed');
      assert.equal(failed?.reason, 'wrong_password');
      assert.equal(failed?.level, 30, 'AUTH_DEBUG_MODE logs decisions at info');
      assert.ok(lines.some((l) => String(l.req?.url ?? '').includes('token=[Redacted]')), 'token query parameters are masked');
    } finally {
      await t.close();
    }
  });

  test('without AUTH_DEBUG_MODE, decisions are debug-level and absent at info', async () => {
    const t = await createTestApp({ logLevel: 'info' });
    try {
      const c = uniqueCredentials();
      await t.app.inject({ method: 'POST', url: '/auth/register', payload: c });
      await t.app.inject({ method: 'POST', url: '/auth/login', payload: c });
      const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.ok(lines.length > 0);
      assert.equal(lines.filter((l) => 'auth' in l).length, 0);
    } finally {
      await t.close();
    }
  });
});
