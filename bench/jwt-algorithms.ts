// Measures node:crypto sign and verify rates for the JWT algorithms Tessera supports,
// the figures behind the default of AUTH_JWT_ALGORITHM (docs/operations.md).
// Run: node --import tsx bench/jwt-algorithms.ts
import { createHmac, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

const data = Buffer.from('eyJhbGciOiJSUzI1NiJ9.' + Buffer.from(JSON.stringify({ sub: 'x'.repeat(36), iat: 1, exp: 2, email: 'someone@example.com' })).toString('base64url'));
const ms = Number(process.env.BENCH_MS ?? 1000);

function rate(fn: () => void): number {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) { for (let i = 0; i < 20; i++) fn(); n += 20; }
  return Math.round((n * 1000) / ms);
}

type Alg = { name: string; priv: KeyObject; pub: KeyObject; digest: string | null; opts?: object };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const algs: Alg[] = [
  { name: 'RS256', priv: rsa.privateKey, pub: rsa.publicKey, digest: 'sha256' },
  { name: 'ES256', priv: ec.privateKey, pub: ec.publicKey, digest: 'sha256', opts: { dsaEncoding: 'ieee-p1363' } },
  { name: 'EdDSA', priv: ed.privateKey, pub: ed.publicKey, digest: null },
];
const rows: Record<string, { 'sign/s': number; 'verify/s': number }> = {};
for (const a of algs) {
  const key = { key: a.priv, ...a.opts };
  const pub = { key: a.pub, ...a.opts };
  const sig = sign(a.digest, data, key as never);
  rows[a.name] = { 'sign/s': rate(() => sign(a.digest, data, key as never)), 'verify/s': rate(() => verify(a.digest, data, pub as never, sig)) };
}
const secret = 'x'.repeat(48);
rows.HS256 = { 'sign/s': rate(() => createHmac('sha256', secret).update(data).digest()), 'verify/s': rate(() => createHmac('sha256', secret).update(data).digest()) };
console.table(rows);
