import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { problemsOf } from '../../../test/helpers/config.ts';
import { describeConfig, insecureSettings, loadConfig, publicUrl } from './index.ts';


describe('loadConfig', () => {
  test('defaults are those of the specification', () => {
    const c = loadConfig({});
    assert.equal(c.port, 4000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.dataDir, './data');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.jwtAlgorithm, 'ES256');
    assert.equal(c.accessTokenExpiry, 15 * 60);
    assert.equal(c.refreshTokenExpiry, 7 * 86400);
    assert.equal(c.refreshReuseInterval, 10);
    assert.equal(c.rateLimitMax, 20);
    assert.equal(c.rateLimitWindow, 900);
    assert.equal(c.trustProxy, false);
    assert.deepEqual(c.corsOrigins, []);
    assert.equal(c.secureCookies, true);
    assert.equal(c.sameSite, 'strict');
    assert.equal(c.defaultRole, 'viewer');
    assert.equal(c.jwtHasuraClaims, true);
    assert.deepEqual([c.argon2Memory, c.argon2Iterations, c.argon2Parallelism], [19456, 2, 1]);
  });

  test('durations accept 2s, 5m, 1h and 7d', () => {
    for (const [raw, seconds] of [['2s', 2], ['5m', 300], ['1h', 3600], ['7d', 604800], ['90', 90]] as const) {
      assert.equal(loadConfig({ AUTH_ACCESS_TOKEN_EXPIRY: raw }).accessTokenExpiry, seconds);
    }
  });

  test('a bad value names the variable and what is allowed', () => {
    const [p] = problemsOf({ AUTH_ACCESS_TOKEN_EXPIRY: '15 minutes' });
    assert.match(p!, /^AUTH_ACCESS_TOKEN_EXPIRY: expected a duration such as 30s, 15m, 1h or 7d \(got "15 minutes"\)$/);
    assert.match(problemsOf({ PORT: 'http' })[0]!, /^PORT: expected a whole number from 0 to 65535/);
    assert.match(problemsOf({ AUTH_SESSION_SAME_SITE: 'sometimes' })[0]!, /^AUTH_SESSION_SAME_SITE: expected one of strict, lax, none/);
    assert.match(problemsOf({ AUTH_TRUST_PROXY: '10.0.0.0/99' })[0]!, /^AUTH_TRUST_PROXY:/);
    assert.match(problemsOf({ DATABASE_URL: 'mysql://x', AUTH_ENCRYPTION_KEY: 'k'.repeat(32) })[0]!, /^DATABASE_URL: expected a URL with scheme postgres or postgresql$/);
  });

  test('every problem is reported at once', () => {
    const problems = problemsOf({ PORT: '-1', AUTH_RATE_LIMIT_MAX: '0', AUTH_LOG_LEVEL: 'loud' });
    assert.deepEqual(problems.map((p) => p.split(':')[0]), ['PORT', 'AUTH_RATE_LIMIT_MAX', 'AUTH_LOG_LEVEL']);
  });

  test('a short AUTH_JWT_SECRET stops the start without echoing the secret', () => {
    const [p] = problemsOf({ AUTH_JWT_SECRET: 'too-short-secret' });
    assert.match(p!, /^AUTH_JWT_SECRET: must be at least 32 characters/);
    assert.ok(!p!.includes('too-short-secret'));
    assert.equal(loadConfig({ AUTH_JWT_SECRET: 's'.repeat(32) }).jwtSecret, 's'.repeat(32));
  });

  test('cross-checks between variables', () => {
    assert.match(problemsOf({ AUTH_SESSION_SAME_SITE: 'none', AUTH_SESSION_SECURE_COOKIES: 'false' })[0]!, /^AUTH_SESSION_SAME_SITE: `none` requires/);
    assert.match(problemsOf({ DATABASE_URL: 'postgres://db/tessera' })[0]!, /^AUTH_ENCRYPTION_KEY: required when DATABASE_URL is set/);
    assert.match(problemsOf({ AUTH_REFRESH_TOKEN_EXPIRY: '10s', AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '10' })[0]!, /^AUTH_REFRESH_TOKEN_REUSE_INTERVAL: must be shorter/);
  });

  test('AUTH_TRUST_PROXY takes false, true, a hop count or a list of addresses and CIDRs', () => {
    assert.equal(loadConfig({ AUTH_TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ AUTH_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ AUTH_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ AUTH_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', '::1']);
    assert.match(problemsOf({ AUTH_TRUST_PROXY: 'proxy.local' })[0]!, /^AUTH_TRUST_PROXY:/);
  });

  test('AUTH_CORS_ORIGINS is a comma list', () => {
    assert.deepEqual(loadConfig({ AUTH_CORS_ORIGINS: 'https://a.test, https://b.test,' }).corsOrigins, ['https://a.test', 'https://b.test']);
  });

  test('the result is frozen', () => {
    const c = loadConfig({});
    assert.ok(Object.isFrozen(c));
    assert.throws(() => { (c as { port: number }).port = 1; }, TypeError);
  });

  test('describeConfig masks secrets; insecureSettings lists risky choices', () => {
    const c = loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(40), AUTH_SESSION_SECURE_COOKIES: 'false', AUTH_TRUST_PROXY: 'true' });
    const d = describeConfig(c);
    assert.equal(d.AUTH_JWT_SECRET, '********');
    assert.equal(d.PORT, 4000);
    assert.ok(!JSON.stringify(d).includes('x'.repeat(40)));
    const w = insecureSettings(c).join('\n');
    assert.match(w, /AUTH_SESSION_SECURE_COOKIES/);
    assert.match(w, /AUTH_TRUST_PROXY/);
    assert.match(w, /AUTH_JWT_SECRET/);
    assert.deepEqual(insecureSettings(loadConfig({})), ['AUTH_SMTP_HOST is not set: emails are written to the log, links and codes included, instead of being sent']);
    assert.deepEqual(insecureSettings(loadConfig({ AUTH_SMTP_HOST: 'smtp.example.com' })), []);
  });

  test('the public URL is AUTH_PUBLIC_URL, else follows HOST and PORT', () => {
    assert.equal(publicUrl(loadConfig({})), 'http://localhost:4000');
    assert.equal(publicUrl(loadConfig({ PORT: '4555', HOST: '0.0.0.0' })), 'http://localhost:4555');
    assert.equal(publicUrl(loadConfig({ HOST: 'auth.internal' })), 'http://auth.internal:4000');
    assert.equal(publicUrl(loadConfig({ HOST: 'fd00::5' })), 'http://[fd00::5]:4000');
    assert.equal(publicUrl(loadConfig({ AUTH_PUBLIC_URL: 'https://id.example.com/' })), 'https://id.example.com');
    assert.throws(() => loadConfig({ AUTH_PUBLIC_URL: 'https://id.example.com/?x=1' }), /AUTH_PUBLIC_URL/);
    assert.throws(() => loadConfig({ AUTH_REDIRECT_ALLOWLIST: 'https://ok.example, not a url' }), /AUTH_REDIRECT_ALLOWLIST/);
    assert.throws(() => loadConfig({ AUTH_SMTP_PASS: 'x' }), /AUTH_SMTP_PASS: set AUTH_SMTP_USER/);
  });
});
