import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createRefreshTokenCodec, FAMILY_TOKEN_LENGTH } from './refresh-token.ts';

const codec = createRefreshTokenCodec('refresh-token-codec-test-secret-0123456789');

describe('refresh-token codec', () => {
  test('a minted token reads back as its session, generation and secret hash, and is authentic', () => {
    const sid = randomUUID();
    const { token, hash } = codec.mint(sid, 7);
    assert.equal(token.length, FAMILY_TOKEN_LENGTH);
    assert.match(token, /^[A-Za-z0-9_-]{91}$/);
    const t = codec.parse(token)!;
    assert.equal(t.sessionId, sid);
    assert.equal(t.generation, 7);
    assert.deepEqual(t.hash, hash);
    // The hash is the secret's SHA-256, and the secret is what sits after id and generation.
    const secret = Buffer.from(token, 'base64url').subarray(20, 52);
    assert.deepEqual(hash, createHash('sha256').update(secret).digest());
    assert.ok(codec.authentic(t));
    // Two tokens of the same session and generation differ (fresh secrets).
    assert.notEqual(codec.mint(sid, 7).token, token);
  });

  test('format makes the same token from the same secret; the highest generation round-trips', () => {
    const sid = randomUUID();
    const secret = randomBytes(32);
    assert.equal(codec.format(sid, 2147483647, secret), codec.format(sid, 2147483647, secret));
    assert.equal(codec.parse(codec.format(sid, 2147483647, secret))!.generation, 2147483647);
    assert.throws(() => codec.format(sid, 1, randomBytes(31)), RangeError);
  });

  test('any changed bit, or another server secret, makes the token inauthentic', () => {
    const { token } = codec.mint(randomUUID(), 3);
    const bytes = Buffer.from(token, 'base64url');
    for (const at of [0, 15, 16, 19, 20, 51, 52, 67]) {
      const altered = Buffer.from(bytes);
      altered[at]! ^= 0x01;
      const t = codec.parse(altered.toString('base64url'));
      assert.ok(t, `byte ${at}: still of the form`);
      assert.equal(codec.authentic(t), false, `byte ${at}`);
    }
    const other = createRefreshTokenCodec('another-server-secret-0123456789abcdefgh');
    assert.equal(other.authentic(other.parse(token)!), false);
  });

  test('anything not of the form is left to the legacy lookup', () => {
    const { token } = codec.mint(randomUUID(), 1);
    for (const t of [
      '', 'x', randomBytes(32).toString('base64url'), // a token from before families: 43 characters
      token.slice(0, -1), `${token}A`, // one character short or long
      `${token.slice(0, -1)}=`, `${token.slice(0, -1)}+`, `${token.slice(0, 45)}.${token.slice(46)}`, // outside base64url
      `${token.slice(0, -1)}B`.replace(/^./, '\u00e9'), // not ASCII
    ]) assert.equal(codec.parse(t), undefined, JSON.stringify(t));
  });
});
