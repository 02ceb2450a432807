// Signing keys. By default an asymmetric key is generated on first start and stored with
// its private half encrypted; every instance loads it from the database. With
// AUTH_JWT_SECRET, HS256 with that secret instead (and an empty JWKS).
//
// Rotation (`tessera keys rotate`) inserts a new key and retires the active one in one
// transaction, then tells every instance through the invalidation bus (and each instance
// also reloads once a minute, should a message be lost). A retired key stays published
// and accepted for as long as a token it signed can live (the longest token lifetime,
// plus the time instances may take to switch), then it is left out and later deleted.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import type { Encrypter } from '../../core/crypto/index.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { JwtAlg, JwtKey } from './jwt.ts';
import * as repo from './keys.repo.ts';
import type { SigningKeyRow } from './keys.table.ts';

export type AsymmetricAlg = Exclude<JwtAlg, 'HS256'>;

export interface KeyStoreDeps {
  db: Kysely<Database>;
  clock: Clock;
  encrypter: Encrypter;
  algorithm: AsymmetricAlg;
  hmacSecret?: string | undefined;
  /** Longest lifetime of a token signed by these keys, in seconds (access and service tokens). */
  maxTokenLifetime: number;
  /** Where rotations are announced to every instance. */
  bus?: InvalidationBus | undefined;
}

/** How long instances may keep signing with a retired key before they have reloaded. */
export const ROTATION_PROPAGATION_S = 120;
const RELOAD_INTERVAL_MS = 60_000;

export interface RotationResult { active: KeyInfo; retired: KeyInfo[]; deleted: string[] }

export interface KeyInfo {
  kid: string;
  alg: string;
  status: 'active' | 'retired' | 'expired';
  createdAt: string;
  retiredAt: string | null;
  /** Until when a retired key stays in the JWKS (null while active). */
  publishedUntil: string | null;
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
  let timer: NodeJS.Timeout | undefined;
  const graceMs = (deps.maxTokenLifetime + ROTATION_PROPAGATION_S) * 1000;

  /** Until when a retired key must still verify what it signed. */
  const publishedUntil = (row: SigningKeyRow): Date | null => (row.retired_at ? new Date(row.retired_at.getTime() + graceMs) : null);
  const statusOf = (row: SigningKeyRow): KeyInfo['status'] =>
    row.retired_at === null ? 'active' : publishedUntil(row)!.getTime() > deps.clock.now() ? 'retired' : 'expired';

  function generateRow(created: Date) {
    const { privateKey, publicKey } = generate(deps.algorithm);
    const jwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const kid = jwkThumbprint(jwk);
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    return { kid, alg: deps.algorithm, public_jwk: jwk, private_key_encrypted: encrypter.encrypt(pem, kid), created_at: created };
  }

  async function load(): Promise<void> {
    const rows = (await repo.listKeys(db)).filter((r) => statusOf(r) !== 'expired');
    lastReload = deps.clock.now();
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
    if (!signing) await createFirst();
    if (!hmac) {
      deps.bus?.subscribe((m) => { if (m.kind === 'keys') void load().catch(() => undefined); });
      deps.bus?.onReset(() => { void load().catch(() => undefined); });
      timer = setInterval(() => { void load().catch(() => undefined); }, RELOAD_INTERVAL_MS);
      timer.unref();
    }
  }

  async function createFirst(): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await repo.lockKeys(trx);
      const rows = await repo.listKeys(trx);
      if (rows.some((r) => r.alg === deps.algorithm && r.retired_at === null)) return;
      await repo.insertKey(trx, generateRow(new Date(deps.clock.now())));
    });
    await load();
    if (!signing) throw new Error('no signing key could be loaded');
  }

  function describe(row: SigningKeyRow): KeyInfo {
    return {
      kid: row.kid, alg: row.alg, status: statusOf(row), createdAt: row.created_at.toISOString(),
      retiredAt: row.retired_at?.toISOString() ?? null, publishedUntil: publishedUntil(row)?.toISOString() ?? null,
    };
  }

  /**
   * Makes a new key the signing key and retires the active ones, which stay published
   * until every token they signed has expired. Keys past that are deleted.
   */
  async function rotate(onRotated?: (trx: Db, result: RotationResult) => Promise<void>): Promise<RotationResult> {
    if (hmac) throw new AppError('keys_managed_by_secret');
    const out = await db.transaction().execute(async (trx) => {
      await repo.lockKeys(trx);
      const now = new Date(deps.clock.now());
      const before = await repo.listKeys(trx);
      const expired = before.filter((r) => statusOf(r) === 'expired').map((r) => r.kid);
      await repo.deleteKeys(trx, expired);
      const retired = await repo.retireActive(trx, now);
      // A thumbprint kid could only repeat with the same key; generation never repeats one.
      const row = generateRow(now);
      await repo.insertKey(trx, row);
      const result = { active: describe({ ...row, retired_at: null }), retired: retired.map(describe), deleted: expired };
      await onRotated?.(trx, result);
      return result;
    });
    await load();
    await deps.bus?.publish({ kind: 'keys', id: '*' });
    return out;
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
    rotate,
    /** Every stored key, newest first, with its state. */
    list: async (): Promise<KeyInfo[]> => (await repo.listKeys(db)).map(describe),
    /** Whether tokens are signed with AUTH_JWT_SECRET (no stored keys, nothing to rotate). */
    usesSecret: () => Boolean(hmac),
    /** Re-reads the keys now (the bus does it on rotation; tests and the CLI may too). */
    reload: load,
    stop(): void {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
