// Same-origin for the CSRF check and the cross-site guard: besides AUTH_PUBLIC_URL and
// AUTH_CORS_ORIGINS, the origin the request was addressed to (scheme and Host, or the
// forwarded ones from a trusted proxy). With the defaults (HOST=127.0.0.1, no public
// URL) a page on http://127.0.0.1:4000 and one on http://localhost:4000 both work; an
// Origin that differs in scheme, host or port, and forwarded headers from an untrusted
// peer, are still refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, json, signUp, type TestApp } from './helpers/app.ts';

async function refreshWith(t: TestApp, headers: Record<string, string>) {
  const s = await signUp(t.app, 'web');
  return t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: s.refreshToken }, headers });
}

const login = (t: TestApp, headers: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: '/auth/login', headers, payload: { email: `nobody.${Math.random().toString(36).slice(2)}@example.test`, password: 'wrong-password' } });

describe('the origin a request was addressed to is same-origin', () => {
  test('defaults: the loopback address and localhost, each as addressed; anything else refused', async () => {
    const t = await createTestApp({ env: { PORT: '4000' } });
    try {
      assert.equal(t.config.publicUrl, undefined);
      const allowed: Record<string, string>[] = [
        { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000' },
        { host: 'localhost:4000', origin: 'http://localhost:4000' },
        { host: '[::1]:4000', origin: 'http://[::1]:4000' },
        { host: 'LOCALHOST:4000', origin: 'http://localhost:4000' },
        // AUTH_PUBLIC_URL's default, whatever the Host.
        { host: '127.0.0.1:4000', origin: 'http://localhost:4000' },
      ];
      for (const headers of allowed) {
        const res = await refreshWith(t, headers);
        assert.equal(res.statusCode, 200, `${JSON.stringify(headers)}: ${res.body}`);
        assert.equal(json(await login(t, headers)).code, 'invalid_credentials', JSON.stringify(headers));
      }
      const refused: Record<string, string>[] = [
        { host: '127.0.0.1:4000', origin: 'https://127.0.0.1:4000' }, // another scheme
        { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4001' }, // another port
        { host: '127.0.0.1:4000', origin: 'http://127.0.0.1' },
        { host: '127.0.0.2:4000', origin: 'http://127.0.0.1:4000' },
        { host: 'localhost:4000', origin: 'http://evil.example' },
        { host: '127.0.0.1:4000', origin: 'http://127.0.0.1:4000.evil.example' },
        { host: '127.0.0.1:4000', origin: 'null' },
        { host: 'evil.example@127.0.0.1:4000', origin: 'http://127.0.0.1:4000' }, // not a host
        // A name as addressed is not enough (DNS rebinding: an attacker's name pointed at
        // this server would be same-origin to its own pages); names are configured.
        { host: 'auth.example.test', origin: 'http://auth.example.test' },
        { host: 'rebind.evil.example:4000', origin: 'http://rebind.evil.example:4000' },
        // Forwarded headers count only from a trusted proxy (AUTH_TRUST_PROXY is off).
        { host: '127.0.0.1:4000', 'x-forwarded-host': 'auth.example.test', 'x-forwarded-proto': 'https', origin: 'https://auth.example.test' },
        { host: '127.0.0.1:4000', 'x-forwarded-proto': 'https', origin: 'https://127.0.0.1:4000' },
      ];
      for (const headers of refused) {
        const res = await refreshWith(t, headers);
        assert.equal(res.statusCode, 403, JSON.stringify(headers));
        assert.equal(json(res).code, 'csrf_rejected');
        assert.equal(json(await login(t, headers)).code, 'csrf_rejected', JSON.stringify(headers));
      }
    } finally {
      await t.close();
    }
  });

  test('behind a trusted proxy: the forwarded scheme and host, and no longer the proxy\'s own', async () => {
    // light-my-request's peer is 127.0.0.1: the proxy.
    const t = await createTestApp({ env: { PORT: '4000', AUTH_TRUST_PROXY: '127.0.0.1' } });
    try {
      const forwarded = { host: '127.0.0.1:4000', 'x-forwarded-host': 'auth.example.test', 'x-forwarded-proto': 'https' };
      assert.equal((await refreshWith(t, { ...forwarded, origin: 'https://auth.example.test' })).statusCode, 200);
      assert.equal(json(await login(t, { ...forwarded, origin: 'https://auth.example.test' })).code, 'invalid_credentials');
      for (const origin of ['http://auth.example.test', 'https://evil.example', 'https://127.0.0.1:4000']) {
        assert.equal(json(await refreshWith(t, { ...forwarded, origin })).code, 'csrf_rejected', origin);
      }
      // A proxy that forwards only the scheme: the Host it passed on, with that scheme.
      assert.equal((await refreshWith(t, { host: 'auth.example.test', 'x-forwarded-proto': 'https', origin: 'https://auth.example.test' })).statusCode, 200);
      assert.equal(json(await refreshWith(t, { host: 'auth.example.test', 'x-forwarded-proto': 'https', origin: 'http://auth.example.test' })).code, 'csrf_rejected');
      assert.equal(json(await refreshWith(t, { host: 'auth.example.test', 'x-forwarded-proto': 'javascript', origin: 'javascript://auth.example.test' })).code, 'csrf_rejected');
    } finally {
      await t.close();
    }
  });
});
