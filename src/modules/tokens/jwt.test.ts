import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { signJwt, signJwtAsync, verifyJwt, type JwtAlg, type JwtKey } from './jwt.ts';

const now = 1_800_000_000;

function pair(alg: JwtAlg): { signing: JwtKey; verifying: JwtKey } {
  if (alg === 'HS256') {
    const key = randomBytes(32);
    return { signing: { alg, key }, verifying: { alg, key } };
  }
  const kp: { privateKey: KeyObject; publicKey: KeyObject } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  return { signing: { alg, kid: `k-${alg}`, key: kp.privateKey }, verifying: { alg, kid: `k-${alg}`, key: kp.publicKey } };
}

const claims = { sub: 'u1', iat: now, exp: now + 60, iss: 'tessera' };

describe('JWT', () => {
  for (const alg of ['RS256', 'ES256', 'EdDSA', 'HS256'] as const) {
    test(`${alg}: sign then verify; other keys and algorithms are refused`, () => {
      const { signing, verifying } = pair(alg);
      const token = signJwt(claims, signing);
      const opts = { resolveKey: () => verifying, nowSeconds: now, issuer: 'tessera' };
      const ok = verifyJwt(token, opts);
      assert.ok(ok.ok);
      assert.equal(ok.payload.sub, 'u1');
      const other = pair(alg).verifying;
      assert.deepEqual(verifyJwt(token, { ...opts, resolveKey: () => other }), { ok: false, reason: 'bad_signature' });
      const otherAlg = pair(alg === 'RS256' ? 'ES256' : 'RS256').verifying;
      assert.deepEqual(verifyJwt(token, { ...opts, resolveKey: () => otherAlg }), { ok: false, reason: 'bad_signature' });
    });
  }

  for (const alg of ['RS256', 'ES256', 'EdDSA', 'HS256'] as const) {
    test(`${alg}: signJwtAsync (RS256 on the thread pool, the others inline) gives a token that verifies, with the same header and payload`, async () => {
      const { signing, verifying } = pair(alg);
      const token = await signJwtAsync(claims, signing);
      const opts = { resolveKey: () => verifying, nowSeconds: now, issuer: 'tessera' };
      const ok = verifyJwt(token, opts);
      assert.ok(ok.ok);
      assert.deepEqual(ok.payload, claims);
      const sync = signJwt(claims, signing);
      assert.equal(token.split('.').slice(0, 2).join('.'), sync.split('.').slice(0, 2).join('.'));
      // RSA PKCS#1 v1.5, Ed25519 and HMAC are deterministic: the very same signature.
      if (alg !== 'ES256') assert.equal(token, sync);
      assert.deepEqual(verifyJwt(token, { ...opts, resolveKey: () => pair(alg).verifying }), { ok: false, reason: 'bad_signature' });
    });
  }

  test('claims: exp, iat in the future, nbf, iss, aud', () => {
    const { signing, verifying } = pair('HS256');
    const opts = { resolveKey: () => verifying, nowSeconds: now, issuer: 'tessera' };
    const v = (c: Record<string, unknown>, o: Partial<typeof opts & { audience: string }> = {}) => verifyJwt(signJwt(c, signing), { ...opts, ...o });
    assert.deepEqual(v({ ...claims, exp: now }), { ok: false, reason: 'expired' });
    assert.deepEqual(v({ ...claims, iat: now + 120 }), { ok: false, reason: 'not_yet_valid' });
    assert.ok(v({ ...claims, iat: now + 10 }).ok, 'small clock skew tolerated');
    assert.deepEqual(v({ ...claims, nbf: now + 120 }), { ok: false, reason: 'not_yet_valid' });
    assert.deepEqual(v({ ...claims, iss: 'other' }), { ok: false, reason: 'bad_claims' });
    const { exp: _e, ...noExp } = claims;
    assert.deepEqual(v(noExp), { ok: false, reason: 'bad_claims' });
    assert.deepEqual(v(claims, { audience: 'api' }), { ok: false, reason: 'bad_claims' });
    assert.ok(v({ ...claims, aud: ['x', 'api'] }, { audience: 'api' }).ok);
  });

  test('malformed input never throws', () => {
    const { verifying } = pair('HS256');
    const opts = { resolveKey: () => verifying, nowSeconds: now, issuer: 'tessera' };
    for (const t of ['', '.', '..', 'a.b', 'a.b.c.d', '!!.!!.!!', 'e30.e30.', 'W10.e30.c2ln', 'x'.repeat(9000), `${Buffer.from('{"alg":"HS256","crit":["b64"]}').toString('base64url')}.e30.c2ln`]) {
      const r = verifyJwt(t, opts);
      assert.equal(r.ok, false, t.slice(0, 40));
    }
  });
});
