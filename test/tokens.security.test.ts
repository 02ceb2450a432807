// GET /auth/me and /auth/verify, and the access token itself: claims, JWKS, and every
// forgery a resource server must refuse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../src/core/clock.ts';
import { createEncrypter } from '../src/core/crypto/index.ts';
import { bearer, createTestApp, decodeJwtPart, json, login, signUp, TEST_ENCRYPTION_KEY, type TestApp } from './helpers/app.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A JWT signed with `key` as its kind signs: RS256 for RSA, ES256 for P-256 (whatever the header says). */
function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signer = key.asymmetricKeyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' as const } : key;
  return `${input}.${cryptoSign('sha256', Buffer.from(input), signer).toString('base64url')}`;
}

/** The server's signing key (ES256 by default), its kid and alg. */
async function realSigningKey(t: TestApp): Promise<{ kid: string; alg: string; key: KeyObject }> {
  const row = await t.deps.db.selectFrom('signing_keys').selectAll().executeTakeFirstOrThrow();
  const pem = createEncrypter(TEST_ENCRYPTION_KEY).decrypt(row.private_key_encrypted, row.kid).toString('utf8');
  return { kid: row.kid, alg: row.alg, key: createPrivateKey(pem) };
}

describe('GET /auth/me and /auth/verify', () => {
  const clock = new ManualClock();
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock }); });
  after(async () => { await t.close(); });

  test('/auth/me returns the exact user shape', async () => {
    const s = await signUp(t.app);
    const res = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) });
    assert.equal(res.statusCode, 200);
    const body = json(res);
    assert.deepEqual(Object.keys(body).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'lastLogin', 'locale', 'metadata', 'role', 'username']);
    assert.equal(body.emailVerified, false);
    assert.equal(body.locale, 'en');
    assert.deepEqual({ id: body.id, username: body.username, email: body.email, role: body.role }, s.user);
    assert.equal(new Date(body.lastLogin).toISOString(), body.lastLogin);
  });

  test('/auth/verify returns valid and the user', async () => {
    const s = await signUp(t.app);
    const res = await t.app.inject({ method: 'GET', url: '/auth/verify', headers: bearer(s.accessToken) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(json(res), { valid: true, user: s.user });
  });

  test('the token carries the specified claims and a kid published in the JWKS', async () => {
    const s = await signUp(t.app);
    const header = decodeJwtPart(s.accessToken, 0);
    const claims = decodeJwtPart(s.accessToken, 1);
    assert.equal(header.alg, 'ES256', 'ES256 by default (AUTH_JWT_ALGORITHM)');
    assert.equal(header.typ, 'JWT');
    assert.deepEqual(Object.keys(claims).sort(), ['aal', 'amr', 'email', 'exp', 'https://hasura.io/jwt/claims', 'iat', 'iss', 'role', 'roles', 'sid', 'sub', 'username'].sort());
    assert.deepEqual(claims.roles, [s.user.role], 'every role of the user, the default first');
    assert.deepEqual(claims.amr, ['pwd'], 'how the user authenticated (RFC 8176)');
    assert.equal(claims.aal, 'aal1');
    assert.equal(claims.sub, s.user.id);
    assert.equal(claims.iss, 'tessera');
    assert.equal(claims.exp - claims.iat, 15 * 60);
    assert.equal(claims.role, s.user.role);
    assert.deepEqual(claims['https://hasura.io/jwt/claims'], { 'x-hasura-allowed-roles': [s.user.role], 'x-hasura-default-role': s.user.role, 'x-hasura-user-id': s.user.id });

    // A resource server verifies it with nothing but the JWKS.
    const jwksRes = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    assert.equal(jwksRes.statusCode, 200);
    assert.match(String(jwksRes.headers['cache-control']), /max-age=\d+/);
    const jwk = (json(jwksRes).keys as Record<string, string>[]).find((k) => k.kid === header.kid);
    assert.ok(jwk, 'kid is published');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.d, undefined, 'no private member');
    const [h, p, sig] = s.accessToken.split('.');
    assert.equal(jwk.alg, 'ES256');
    assert.equal(jwk.crv, 'P-256');
    assert.ok(cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: createPublicKey({ key: jwk as never, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig!, 'base64url')));
  });

  test('the private key is stored encrypted', async () => {
    const rows = await t.deps.db.selectFrom('signing_keys').selectAll().execute();
    assert.equal(rows.length, 1);
    assert.match(rows[0]!.private_key_encrypted, /^v1\./);
    assert.ok(!rows[0]!.private_key_encrypted.includes('PRIVATE KEY'));
  });

  const bad: [string, (s: { accessToken: string }) => Promise<Record<string, string>> | Record<string, string>][] = [
    ['no Authorization header', () => ({})],
    ['Basic credentials', () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['Bearer without a token', () => ({ authorization: 'Bearer' })],
    ['Bearer with two tokens', (s) => ({ authorization: `Bearer ${s.accessToken} ${s.accessToken}` })],
    ['a random string', () => bearer('not-a-jwt')],
    ['two segments', (s) => bearer(s.accessToken.split('.').slice(0, 2).join('.'))],
    ['garbage base64 header', () => bearer('!!!.eyJzdWIiOiJ4In0.c2ln')],
    ['alg none', (s) => bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${s.accessToken.split('.')[1]}.`)],
    ['alg none with the kid', (s) => bearer(`${b64({ ...decodeJwtPart(s.accessToken, 0), alg: 'none' })}.${s.accessToken.split('.')[1]}.`)],
    ['tampered payload (role: admin)', (s) => {
      const [h, , sig] = s.accessToken.split('.');
      return bearer(`${h}.${b64({ ...decodeJwtPart(s.accessToken, 1), role: 'admin' })}.${sig}`);
    }],
    ['signature of another token', async (s) => {
      const other = await signUp(t.app);
      const [h, p] = s.accessToken.split('.');
      return bearer(`${h}.${p}.${other.accessToken.split('.')[2]}`);
    }],
    ['signed by another P-256 key under the real kid', (s) => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return bearer(signJwt(decodeJwtPart(s.accessToken, 0), decodeJwtPart(s.accessToken, 1), privateKey));
    }],
    ['HS256 keyed with the public key (algorithm confusion)', async (s) => {
      const jwk = (json(await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).keys as Record<string, string>[])[0]!;
      const pem = createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: jwk.kid })}.${b64(decodeJwtPart(s.accessToken, 1))}`;
      return bearer(`${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`);
    }],
    ['RS256 header and RSA signature on the real (ES256) kid', (s) => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return bearer(signJwt({ ...decodeJwtPart(s.accessToken, 0), alg: 'RS256' }, decodeJwtPart(s.accessToken, 1), privateKey));
    }],
    ['unknown kid', (s) => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return bearer(signJwt({ ...decodeJwtPart(s.accessToken, 0), kid: 'someone-elses-key' }, decodeJwtPart(s.accessToken, 1), privateKey));
    }],
    ['a crit header the server does not understand (real key)', async (s) => {
      const { kid, alg, key } = await realSigningKey(t);
      return bearer(signJwt({ alg, typ: 'JWT', kid, crit: ['x-must'], 'x-must': true }, decodeJwtPart(s.accessToken, 1), key));
    }],
    ['another issuer (real key)', async (s) => {
      const { kid, alg, key } = await realSigningKey(t);
      return bearer(signJwt({ alg, typ: 'JWT', kid }, { ...decodeJwtPart(s.accessToken, 1), iss: 'evil' }, key));
    }],
    ['no session id (real key)', async (s) => {
      const { kid, alg, key } = await realSigningKey(t);
      const { sid: _sid, ...claims } = decodeJwtPart(s.accessToken, 1);
      return bearer(signJwt({ alg, typ: 'JWT', kid }, claims, key));
    }],
    ['a session id that does not exist (real key)', async (s) => {
      const { kid, alg, key } = await realSigningKey(t);
      return bearer(signJwt({ alg, typ: 'JWT', kid }, { ...decodeJwtPart(s.accessToken, 1), sid: '00000000-0000-4000-8000-000000000000' }, key));
    }],
    ["another user's session id (real key)", async (s) => {
      const { kid, alg, key } = await realSigningKey(t);
      const other = await signUp(t.app);
      return bearer(signJwt({ alg, typ: 'JWT', kid }, { ...decodeJwtPart(s.accessToken, 1), sid: decodeJwtPart(other.accessToken, 1).sid }, key));
    }],
    ['not valid before a future time (real key)', async (s) => {
      const { kid, alg, key } = await realSigningKey(t);
      return bearer(signJwt({ alg, typ: 'JWT', kid }, { ...decodeJwtPart(s.accessToken, 1), nbf: Math.floor(clock.now() / 1000) + 3600 }, key));
    }],
  ];
  for (const [name, make] of bad) {
    for (const url of ['/auth/me', '/auth/verify']) {
      test(`401 on ${url}: ${name}`, async () => {
        const s = await signUp(t.app);
        const res = await t.app.inject({ method: 'GET', url, headers: await make(s) });
        assert.equal(res.statusCode, 401, res.body);
        const body = json(res);
        assert.match(body.code, /^(unauthorized|invalid_token|session_revoked)$/);
        assert.ok(!('user' in body));
      });
    }
  }

  test('an expired token gets 401 token_expired, also after it was accepted (and cached) before', async () => {
    const s = await signUp(t.app);
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
    const sig = s.accessToken.split('.')[2]!;
    const flipped = `${s.accessToken.slice(0, -sig.length)}${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    assert.equal(json(await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(flipped) })).code, 'invalid_token', 'a cached token does not vouch for a changed one');
    clock.advance(15 * 60 * 1000 + 1000);
    const res = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'token_expired');
  });

  test('a token whose session was revoked gets 401 session_revoked', async () => {
    const s = await signUp(t.app);
    await t.deps.db.updateTable('sessions').set({ revoked_at: new Date(clock.now()) }).where('id', '=', decodeJwtPart(s.accessToken, 1).sid).execute();
    const res = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) });
    assert.equal(res.statusCode, 401);
    assert.equal(json(res).code, 'session_revoked');
  });

  test('a disabled user gets 403 account_disabled with a still-valid token', async () => {
    const s = await signUp(t.app);
    await t.deps.db.updateTable('users').set({ is_active: false }).where('id', '=', s.user.id).execute();
    const res = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) });
    assert.equal(res.statusCode, 403);
    assert.equal(json(res).code, 'account_disabled');
  });

  test('401 responses carry WWW-Authenticate when no credentials were sent', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/auth/me' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer');
  });
});

describe('signing configuration', () => {
  for (const alg of ['RS256', 'EdDSA'] as const) {
    test(`AUTH_JWT_ALGORITHM=${alg} signs with a generated ${alg} key`, async () => {
      const t = await createTestApp({ env: { AUTH_JWT_ALGORITHM: alg } });
      try {
        const s = await signUp(t.app);
        assert.equal(decodeJwtPart(s.accessToken, 0).alg, alg);
        assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
        const keys = json(await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).keys as { alg: string }[];
        assert.deepEqual(keys.map((k) => k.alg), [alg]);
      } finally {
        await t.close();
      }
    });
  }

  test('AUTH_JWT_SECRET switches to HS256 with that secret, and tokens of the generated key are refused', async () => {
    const secret = 'a-seed-style-shared-secret-of-40-characters!';
    const t = await createTestApp({ env: { AUTH_JWT_SECRET: secret } });
    try {
      const s = await signUp(t.app);
      const header = decodeJwtPart(s.accessToken, 0);
      assert.equal(header.alg, 'HS256');
      const [h, p, sig] = s.accessToken.split('.');
      assert.equal(createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url'), sig);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
      const forged = `${h}.${p}.${createHmac('sha256', 'another-secret-of-at-least-32-characters').update(`${h}.${p}`).digest('base64url')}`;
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(forged) })).statusCode, 401);
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const rsa = signJwt({ alg: 'RS256', typ: 'JWT' }, decodeJwtPart(s.accessToken, 1), privateKey);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(rsa) })).statusCode, 401);
    } finally {
      await t.close();
    }
  });

  test('AUTH_JWT_HASURA_CLAIMS=false leaves the Hasura claims out; AUTH_JWT_ISSUER and AUTH_ACCESS_TOKEN_EXPIRY apply', async () => {
    const t = await createTestApp({ env: { AUTH_JWT_HASURA_CLAIMS: 'false', AUTH_JWT_ISSUER: 'https://auth.example.test', AUTH_ACCESS_TOKEN_EXPIRY: '2s' } });
    try {
      const s = await signUp(t.app);
      const claims = decodeJwtPart(s.accessToken, 1);
      assert.equal(claims['https://hasura.io/jwt/claims'], undefined);
      assert.equal(claims.iss, 'https://auth.example.test');
      assert.equal(claims.exp - claims.iat, 2);
    } finally {
      await t.close();
    }
  });

  test('AUTH_JWT_AUDIENCE adds aud and refuses tokens without it', async () => {
    const t = await createTestApp({ env: { AUTH_JWT_AUDIENCE: 'my-api' } });
    try {
      const s = await signUp(t.app);
      assert.equal(decodeJwtPart(s.accessToken, 1).aud, 'my-api');
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
      const { kid, alg, key } = await realSigningKey(t);
      const { aud: _aud, ...claims } = decodeJwtPart(s.accessToken, 1);
      const noAud = signJwt({ alg, typ: 'JWT', kid }, claims, key);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(noAud) })).statusCode, 401);
    } finally {
      await t.close();
    }
  });

  test('the signing key survives a restart: old tokens stay valid and the JWKS is unchanged', async () => {
    const first = await createTestApp();
    let second: TestApp | undefined;
    try {
      const s = await signUp(first.app);
      const jwks = json(await first.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
      await first.app.close();
      await first.deps.close();
      second = await createTestApp({ database: first.database });
      assert.deepEqual(json(await second.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })), jwks);
      assert.equal((await second.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
      assert.equal((await login(second.app, s.creds)).user.id, s.user.id);
    } finally {
      await second?.close();
      await first.close();
      await first.database.drop();
    }
  });

  test('without AUTH_ENCRYPTION_KEY: embedded mode creates a 0600 key file in DATA_DIR; PostgreSQL mode refuses to start', async () => {
    if (process.env.TESSERA_TEST_DB === 'postgres') {
      await assert.rejects(createTestApp({ env: { AUTH_ENCRYPTION_KEY: '' } }), /AUTH_ENCRYPTION_KEY: required when DATABASE_URL is set/);
      return;
    }
    const t = await createTestApp({ env: { AUTH_ENCRYPTION_KEY: '' } });
    try {
      const file = join(t.config.dataDir, 'encryption.key');
      assert.ok(existsSync(file));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const s = await signUp(t.app);
      assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});
