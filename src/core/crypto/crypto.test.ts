import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { hash as argonHash } from '@node-rs/argon2';
import { createLimiter } from './password.ts';
import {
  createEncrypter, createKeyedHasher, createPasswordHasher, firebaseScrypt, formatFirebaseHash, randomSecret, randomToken, safeEqual, sha256, sixDigitCode, verifyFirebaseScrypt,
} from './index.ts';

const hasher = createPasswordHasher({ memoryCost: 4096, timeCost: 1, parallelism: 1 });

describe('passwords', () => {
  test('argon2id with the configured parameters', async () => {
    const h = await hasher.hash('correct horse battery');
    assert.match(h, /^\$argon2id\$v=19\$m=4096,t=1,p=1\$/);
    assert.deepEqual(await hasher.verify(h, 'correct horse battery'), { ok: true, needsRehash: false });
    assert.deepEqual(await hasher.verify(h, 'wrong'), { ok: false, needsRehash: false });
    const stronger = createPasswordHasher({ memoryCost: 8192, timeCost: 2, parallelism: 1 });
    assert.deepEqual(await stronger.verify(h, 'correct horse battery'), { ok: true, needsRehash: true });
  });

  test('bcrypt $2a$, $2b$ and $2y$ verify and ask for a rehash', async () => {
    const base = bcrypt.hashSync('legacy-password', 4);
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const h = prefix + base.slice(4);
      assert.deepEqual(await hasher.verify(h, 'legacy-password'), { ok: true, needsRehash: true }, prefix);
      assert.deepEqual(await hasher.verify(h, 'other'), { ok: false, needsRehash: false }, prefix);
    }
  });

  test("Firebase's modified scrypt matches Firebase's published test vector", async () => {
    // The example of Firebase's own scrypt tool: project parameters, one user's salt and hash.
    const params = {
      signerKey: Buffer.from('jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==', 'base64'),
      saltSeparator: Buffer.from('Bw==', 'base64'), rounds: 8, memCost: 14,
    };
    const salt = Buffer.from('42xEC+ixf3L2lw==', 'base64');
    const expected = 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==';
    assert.equal((await firebaseScrypt('user1password', salt, params)).toString('base64'), expected);
    assert.equal(await verifyFirebaseScrypt('user1password', salt, Buffer.from(expected, 'base64'), params), true);
    assert.equal(await verifyFirebaseScrypt('user1passwore', salt, Buffer.from(expected, 'base64'), params), false);
    assert.equal(await verifyFirebaseScrypt('user1password', salt, Buffer.from(expected, 'base64'), { ...params, rounds: 4 }), false);

    // Through the hasher: the stored form names its parameters, which are looked up.
    const stored = formatFirebaseHash('p1', '42xEC+ixf3L2lw==', expected);
    const legacy = createPasswordHasher({ memoryCost: 4096, timeCost: 1, parallelism: 1 }, { firebaseParams: async (id) => (id === 'p1' ? params : undefined) });
    assert.deepEqual(await legacy.verify(stored, 'user1password'), { ok: true, needsRehash: true });
    assert.deepEqual(await legacy.verify(stored, 'wrong'), { ok: false, needsRehash: false });
    assert.deepEqual(await legacy.verify(formatFirebaseHash('p2', '42xEC+ixf3L2lw==', expected), 'user1password'), { ok: false, needsRehash: false });
    // Without a way to find the parameters, such a hash fails closed.
    assert.deepEqual(await hasher.verify(stored, 'user1password'), { ok: false, needsRehash: false });
  });

  test('imported argon2i and argon2id hashes with other parameters verify and ask for a rehash', async () => {
    const i = await argonHash('imported-pass', { algorithm: 1, memoryCost: 1024, timeCost: 2, parallelism: 1 });
    assert.match(i, /^\$argon2i\$/);
    assert.deepEqual(await hasher.verify(i, 'imported-pass'), { ok: true, needsRehash: true });
    const id = await argonHash('imported-pass', { memoryCost: 2048, timeCost: 3, parallelism: 2 });
    assert.deepEqual(await hasher.verify(id, 'imported-pass'), { ok: true, needsRehash: true });
    assert.deepEqual(await hasher.verify(id, 'other'), { ok: false, needsRehash: false });
  });

  test('unknown or corrupt stored hashes fail closed without throwing', async () => {
    for (const stored of ['', 'plaintext', '$argon2id$v=19$m=4096,t=1,p=1$broken', '$2b$04$short', '$1$md5$hash', '$firebase-scrypt$x$!!$??']) {
      assert.deepEqual(await hasher.verify(stored, 'plaintext'), { ok: false, needsRehash: false }, stored);
    }
  });

  test('dummyVerify spends a real hash', async () => {
    const started = process.hrtime.bigint();
    await hasher.dummyVerify('anything');
    assert.ok(process.hrtime.bigint() > started);
  });
});

describe('the password-hash limiter', () => {
  test('runs at most `limit` tasks at once, the rest in arrival order, and passes results and errors through', async () => {
    const run = createLimiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => { let open!: () => void; const p = new Promise<void>((r) => { open = r; }); return { p, open }; });
    const results = gates.map((g, i) => run(async () => {
      started.push(i);
      running++;
      peak = Math.max(peak, running);
      await g.p;
      running--;
      if (i === 3) throw new Error('task 3 failed');
      return i * 10;
    }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1], 'two start, three wait');
    gates[1]!.open();
    await results[1];
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(started, [0, 1, 2], 'a finished task lets the next in line start');
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.allSettled(results), [
      { status: 'fulfilled', value: 0 }, { status: 'fulfilled', value: 10 }, { status: 'fulfilled', value: 20 },
      { status: 'rejected', reason: new Error('task 3 failed') }, { status: 'fulfilled', value: 40 },
    ]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
    // A failure frees its place: the limiter still runs two at once afterwards.
    let concurrent = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 4 }, () => run(async () => { concurrent++; most = Math.max(most, concurrent); await new Promise((r) => setTimeout(r, 5)); concurrent--; })));
    assert.equal(most, 2);
  });
});

describe('tokens and comparison', () => {
  test('randomToken is 256-bit base64url by default and never repeats', () => {
    const a = randomToken();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a, 'base64url').length, 32);
    assert.equal(new Set(Array.from({ length: 1000 }, () => randomToken())).size, 1000);
  });

  test('randomSecret hands out pooled bytes once: own buffers, no repeats across pool refills, any size', () => {
    // 4096-byte pool: 1000 secrets of 32 bytes span several refills.
    const secrets = Array.from({ length: 1000 }, () => randomSecret());
    assert.ok(secrets.every((b) => b.length === 32 && b.buffer.byteLength >= 32));
    assert.equal(new Set(secrets.map((b) => b.toString('hex'))).size, 1000);
    // Each is a copy: changing one changes no other, and the next one is not affected.
    const [a, b] = [randomSecret(16), randomSecret(16)];
    const before = b.toString('hex');
    a.fill(0);
    assert.equal(b.toString('hex'), before);
    // Sizes from 1 byte to more than the pool holds.
    for (const n of [1, 7, 33, 511, 513, 5000]) assert.equal(randomSecret(n).length, n);
    assert.notDeepEqual(randomSecret(5000), randomSecret(5000));
    // Not all zeros (the pool is zeroed behind what it hands out).
    assert.ok(secrets.slice(0, 50).every((x) => x.some((byte) => byte !== 0)));
  });

  test('sha256 and safeEqual', () => {
    assert.equal(sha256('abc').toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal(sha256(Buffer.from('abc')).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.ok(safeEqual('same', 'same'));
    assert.ok(!safeEqual('same', 'samf'));
    assert.ok(!safeEqual('short', 'longer value'));
  });
});

describe('encryption at rest', () => {
  const enc = createEncrypter('an encryption key of at least thirty-two characters');

  test('round trip, fresh IV each time', () => {
    const a = enc.encrypt('private key material', 'kid-1');
    const b = enc.encrypt('private key material', 'kid-1');
    assert.notEqual(a, b);
    assert.match(a, /^v1\.[A-Za-z0-9_-]+\./);
    assert.equal(enc.decrypt(a, 'kid-1').toString(), 'private key material');
  });

  test('tampering, another AAD or another key is refused', () => {
    const sealed = enc.encrypt('secret', 'kid-1');
    const parts = sealed.split('.');
    const data = Buffer.from(parts[4]!, 'base64url');
    data[0] = data[0]! ^ 1;
    parts[4] = data.toString('base64url');
    assert.throws(() => enc.decrypt(parts.join('.'), 'kid-1'));
    assert.throws(() => enc.decrypt(sealed, 'kid-2'));
    assert.throws(() => createEncrypter('another key that is also thirty-two chars long').decrypt(sealed, 'kid-1'), /sealed with key/);
    assert.throws(() => enc.decrypt('garbage', 'kid-1'), /unrecognised/);
  });
});

describe('keyed hashes and codes', () => {
  test('deterministic per secret, label and scope; different otherwise', () => {
    const a = createKeyedHasher('a server secret of at least thirty-two chars', 'tessera/test/v1');
    assert.deepEqual(a('s', 'v'), a('s', 'v'));
    assert.equal(a('s', 'v').length, 32);
    assert.notDeepEqual(a('s', 'v'), a('t', 'v'));
    assert.notDeepEqual(a('s', 'v'), createKeyedHasher('a server secret of at least thirty-two chars', 'tessera/other/v1')('s', 'v'));
    assert.notDeepEqual(a('s', 'v'), createKeyedHasher('another secret of at least thirty-two chars', 'tessera/test/v1')('s', 'v'));
    assert.notDeepEqual(a('s', 'v'), sha256('s:v'), 'keyed, not a plain hash');
  });

  test('six-digit codes keep leading zeros and vary', () => {
    const codes = Array.from({ length: 2000 }, () => sixDigitCode());
    assert.ok(codes.every((c) => /^\d{6}$/.test(c)));
    assert.ok(codes.some((c) => c.startsWith('0')), 'leading zeros appear');
    assert.ok(new Set(codes).size > 1900);
  });
});
