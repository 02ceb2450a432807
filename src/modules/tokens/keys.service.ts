// Signing keys. By default an asymmetric key is generated on first start and stored with
// its private half encrypted; every instance loads it from the database. With
// AUTH_JWT_SECRET, HS256 with that secret instead (and an empty JWKS).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import type { Encrypter } from '../../core/crypto/index.ts';
import type { Database } from '../../database.ts';
import type { JwtAlg, JwtKey } from './jwt.ts';
import * as repo from './keys.repo.ts';

export type AsymmetricAlg = Exclude<JwtAlg, 'HS256'>;

export interface KeyStoreDeps {
  db: Kysely<Database>;
  clock: Clock;
  encrypter: Encrypter;
  algorithm: AsymmetricAlg;
  hmacSecret?: string | undefined;
}

export interface Jwk extends Record<string, unknown> {
  kid: string;
  alg: string;
  use: 'sig';
  kty: string;
}

function generate(alg: AsymmetricAlg): { privateKey: KeyObject; publicKey: KeyObject } {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('ed25519');
}

/** RFC 7638 thumbprint: a kid every verifier can recompute from the public key. */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
  const canonical = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

export function createKeyStore(deps: KeyStoreDeps) {
  const { db, encrypter } = deps;
  const hmac: JwtKey | undefined = deps.hmacSecret ? { alg: 'HS256', key: Buffer.from(deps.hmacSecret, 'utf8') } : undefined;
  let signing: JwtKey | undefined = hmac;
  let verifiers = new Map<string, JwtKey>();
  let jwks: Jwk[] = [];
  let lastReload = 0;

  async function load(): Promise<void> {
    const rows = await repo.listKeys(db);
    const next = new Map<string, JwtKey>();
    const published: Jwk[] = [];
    for (const row of rows) {
      const jwk = row.public_jwk as Record<string, unknown>;
      next.set(row.kid, { alg: row.alg as JwtAlg, kid: row.kid, key: createPublicKey({ key: jwk as never, format: 'jwk' }) });
      published.push({ ...(jwk as { kty: string }), kid: row.kid, alg: row.alg, use: 'sig' });
    }
    verifiers = next;
    jwks = published;
    if (!hmac) {
      const active = rows.find((r) => r.alg === deps.algorithm && r.retired_at === null);
      if (active) {
        const pem = encrypter.decrypt(active.private_key_encrypted, active.kid).toString('utf8');
        signing = { alg: active.alg as JwtAlg, kid: active.kid, key: createPrivateKey(pem) };
      }
    }
  }

  /** Loads keys, generating the first one (once across instances) when none fits. */
  async function init(): Promise<void> {
    await load();
    if (signing) return;
    await db.transaction().execute(async (trx) => {
      await repo.lockKeys(trx);
      const rows = await repo.listKeys(trx);
      if (rows.some((r) => r.alg === deps.algorithm && r.retired_at === null)) return;
      const { privateKey, publicKey } = generate(deps.algorithm);
      const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
      const kid = jwkThumbprint(jwk);
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
      await repo.insertKey(trx, { kid, alg: deps.algorithm, public_jwk: jwk, private_key_encrypted: encrypter.encrypt(pem, kid), created_at: new Date(deps.clock.now()) });
    });
    await load();
    if (!signing) throw new Error('no signing key could be loaded');
  }

  return {
    init,
    signingKey(): JwtKey {
      if (!signing) throw new Error('key store not initialised');
      return signing;
    },
    /** The verification key named by a token header. HS256 mode knows only its secret. */
    resolve(header: { alg?: unknown; kid?: unknown }): JwtKey | undefined {
      if (hmac) return hmac;
      return typeof header.kid === 'string' ? verifiers.get(header.kid) : undefined;
    },
    /** True when the kid is unknown here but might exist (rotated by another instance). */
    async reloadIfUnknown(kid: unknown): Promise<boolean> {
      if (hmac || typeof kid !== 'string' || verifiers.has(kid)) return false;
      const now = deps.clock.now();
      if (now - lastReload < 5000) return false;
      lastReload = now;
      await load();
      return verifiers.has(kid);
    },
    jwks: (): { keys: Jwk[] } => ({ keys: jwks }),
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
