import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { problemsOf } from '../../../test/helpers/config.ts';
import { knownNames, loadConfig } from './index.ts';
import { ALIASES, activeAliases, closestName, editDistance, OWNED_PREFIXES } from './aliases.ts';


describe('unknown variables stop the start', () => {
  test('a misspelt AUTH_ variable is named with the closest known name', () => {
    assert.deepEqual(problemsOf({ AUTH_REFRESH_TOKEN_EXPIRES: '30d' }), ['AUTH_REFRESH_TOKEN_EXPIRES: not a Tessera setting; did you mean AUTH_REFRESH_TOKEN_EXPIRY?']);
    assert.deepEqual(problemsOf({ AUTH_ACESS_TOKEN_EXPIRY: '5m' }), ['AUTH_ACESS_TOKEN_EXPIRY: not a Tessera setting; did you mean AUTH_ACCESS_TOKEN_EXPIRY?']);
  });

  test('every owned prefix is checked; other variables are not', () => {
    const p = problemsOf({ DATABASE_HOST: 'db', REDIS_PASSWORD: 'x', NATS_CREDS: '/x', TWILIO_FROM: '+1', AWS_SNS_TOPIC: 't', GOTRUE_API_HOST: 'x', JWT_REFRESH_SECRET: 's' });
    assert.deepEqual(p.map((x) => x.split(':')[0]), ['AWS_SNS_TOPIC', 'DATABASE_HOST', 'GOTRUE_API_HOST', 'JWT_REFRESH_SECRET', 'NATS_CREDS', 'REDIS_PASSWORD', 'TWILIO_FROM']);
    assert.match(p.find((x) => x.startsWith('DATABASE_HOST'))!, /did you mean DATABASE_/);
    // The process environment holds unrelated variables, and the test runner's own.
    assert.doesNotThrow(() => loadConfig({ PATH: '/bin', HOME: '/root', CI: 'true', TESSERA_TEST_DB: 'pglite', TESSERA_FUZZ_SEED: '1', AWS_REGION: 'eu-west-1', ADMIN_EMAIL: 'a@b.c' }));
    assert.ok(!OWNED_PREFIXES.some((p) => 'TESSERA_TEST_DB'.startsWith(p)));
  });

  test('social sign-in settings are known for built-in providers and for the OIDC names listed', () => {
    assert.doesNotThrow(() => loadConfig({ AUTH_OAUTH_GITHUB_CLIENT_ID: 'id', AUTH_OAUTH_GITHUB_CLIENT_SECRET: 's' }));
    const env = { AUTH_OIDC_PROVIDERS: 'corp-sso', AUTH_OIDC_CORP_SSO_ISSUER: 'https://sso.example.com', AUTH_OIDC_CORP_SSO_CLIENT_ID: 'c' };
    assert.equal(loadConfig(env).oauthProviders[0]!.name, 'corp-sso');
    assert.match(problemsOf({ ...env, AUTH_OIDC_OTHER_ISSUER: 'https://x.example.com' })[0]!, /^AUTH_OIDC_OTHER_ISSUER: not a Tessera setting/);
  });

  test('the edit distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
    assert.equal(closestName('JWT_EXPIRES', knownNames()), 'AUTH_ACCESS_TOKEN_EXPIRY', 'an alias suggests its canonical name');
  });
});

describe('aliases of the replaced services', () => {
  test('a rename alias sets its canonical variable', () => {
    assert.equal(loadConfig({ AUTH_REFRESH_TOKEN_EXPIRES_IN: '30d' }).refreshTokenExpiry, 30 * 86400);
    assert.equal(loadConfig({ JWT_EXPIRY: '5m' }).accessTokenExpiry, 300);
    assert.equal(loadConfig({ JWT_SECRET: 'j'.repeat(40) }).jwtSecret, 'j'.repeat(40));
    assert.equal(loadConfig({ GOTRUE_JWT_EXP: '3600' }).accessTokenExpiry, 3600);
    assert.equal(loadConfig({ GOTRUE_MAILER_AUTOCONFIRM: 'true' }).emailVerificationRequired, false);
    assert.equal(loadConfig({ GOTRUE_MAILER_AUTOCONFIRM: 'false' }).emailVerificationRequired, true);
  });

  test('an alias and its canonical name with different values stop the start; equal values do not', () => {
    const [p] = problemsOf({ AUTH_REFRESH_TOKEN_EXPIRY: '7d', AUTH_REFRESH_TOKEN_EXPIRES_IN: '30d' });
    assert.match(p!, /^AUTH_REFRESH_TOKEN_EXPIRES_IN: set together with AUTH_REFRESH_TOKEN_EXPIRY to a different value/);
    assert.equal(loadConfig({ AUTH_REFRESH_TOKEN_EXPIRY: '7d', AUTH_REFRESH_TOKEN_EXPIRES_IN: '168h' }).refreshTokenExpiry, 7 * 86400, 'the same duration written differently');
    assert.match(problemsOf({ JWT_EXPIRY: '5m', JWT_EXPIRES_IN: '10m' })[0]!, /^JWT_EXPIRES_IN: set together with JWT_EXPIRY/);
    const secret = problemsOf({ JWT_SECRET: 'a'.repeat(40), AUTH_JWT_SECRET: 'b'.repeat(40) })[0]!;
    assert.ok(!secret.includes('a'.repeat(40)) && !secret.includes('b'.repeat(40)), 'secrets are not echoed');
  });

  test('a bad value of an alias names both names', () => {
    assert.match(problemsOf({ JWT_EXPIRY: 'soon' })[0]!, /^AUTH_ACCESS_TOKEN_EXPIRY \(set as JWT_EXPIRY\): expected a duration/);
  });

  test('on/off switches map to the real behaviour or are refused with the reason', () => {
    assert.doesNotThrow(() => loadConfig({ AUTH_MFA_ENABLED: 'true', AUTH_RATE_LIMIT_ENABLED: 'true', AUTH_HSTS_ENABLED: 'true', AUTH_CORS_ENABLED: 'false' }));
    assert.match(problemsOf({ AUTH_MFA_ENABLED: 'false' })[0]!, /^AUTH_MFA_ENABLED=false: Tessera cannot turn second factors off/);
    assert.match(problemsOf({ AUTH_RATE_LIMIT_ENABLED: 'false' })[0]!, /^AUTH_RATE_LIMIT_ENABLED=false: .*raise AUTH_RATE_LIMIT_MAX/);
    assert.match(problemsOf({ AUTH_CORS_ENABLED: 'true' })[0]!, /^AUTH_CORS_ENABLED=true: true requires AUTH_CORS_ORIGINS/);
    assert.deepEqual(loadConfig({ AUTH_CORS_ENABLED: 'true', AUTH_CORS_ORIGINS: 'https://app.example' }).corsOrigins, ['https://app.example']);
    assert.match(problemsOf({ AUTH_CORS_ENABLED: 'off', AUTH_CORS_ORIGINS: 'https://app.example' })[0]!, /^AUTH_CORS_ENABLED=off: false contradicts AUTH_CORS_ORIGINS/);
    assert.match(problemsOf({ AUTH_HSTS_ENABLED: 'false' })[0]!, /^AUTH_HSTS_ENABLED=false: .*AUTH_SESSION_SECURE_COOKIES/);
    assert.equal(loadConfig({ AUTH_HSTS_ENABLED: 'false', AUTH_SESSION_SECURE_COOKIES: 'false' }).secureCookies, false);
    assert.match(problemsOf({ AUTH_MFA_ENABLED: 'maybe' })[0]!, /^AUTH_MFA_ENABLED: expected true or false/);
    // AUTH_DEBUG_MODE is a Tessera variable itself.
    assert.equal(loadConfig({ AUTH_DEBUG_MODE: 'true' }).debugMode, true);
  });

  test('every alias is outside the schema, and every canonical name is a schema variable or a pending one', () => {
    const known = knownNames();
    const names = ALIASES.map((a) => a.name);
    assert.equal(new Set(names).size, names.length, 'each alias once');
    for (const a of ALIASES) assert.ok(!known.has(a.name), `${a.name} is not also a canonical name`);
    const pending = ALIASES.filter((a) => !known.has(a.canonical)).map((a) => a.canonical);
    for (const c of pending) assert.ok(['AUTH_EMAIL_REQUIRED', 'AUTH_REFRESH_TOKEN_ROTATION'].includes(c), `${c} is pending`);
    for (const a of ALIASES.filter((x) => !known.has(x.canonical))) {
      assert.match(problemsOf({ [a.name]: 'true' })[0]!, new RegExp(`^${a.name}: an alias of ${a.canonical}, which this version`));
    }
    assert.ok(activeAliases(known).length >= 20);
  });
});
