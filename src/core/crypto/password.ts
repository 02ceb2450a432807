// Password hashing: argon2id for every new hash. Hashes of users imported from other
// systems are verified too and replaced by argon2id at their next successful sign-in:
// bcrypt ($2a$/$2b$/$2y$), argon2i/argon2d/argon2id with other parameters, and
// Firebase's modified scrypt (whose project parameters are looked up by id).
import { availableParallelism } from 'node:os';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { parseFirebaseHash, verifyFirebaseScrypt, FIREBASE_SCRYPT_PREFIX, type FirebaseScryptParams } from './firebase-scrypt.ts';

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `needsRehash` is true when the stored hash is legacy or uses other parameters. */
  verify(stored: string, password: string): Promise<{ ok: boolean; needsRehash: boolean }>;
  /** Spends the time a real verification would, for unknown users (no enumeration by timing). */
  dummyVerify(password: string): Promise<void>;
}

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

export interface LegacyHashOptions {
  /** The project parameters of imported Firebase hashes, by their stored id. */
  firebaseParams?: (id: string) => Promise<FirebaseScryptParams | undefined>;
}

/**
 * Runs at most `limit` tasks at once, the others waiting in arrival order. argon2id is
 * CPU- and memory-bound: more hashes at once than cores only slows each of them, starves
 * the event loop and the database of CPU, and makes the hashes evict each other's memory
 * from the caches.
 */
export function createLimiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

export function createPasswordHasher(params: Argon2Params, legacy: LegacyHashOptions = {}): PasswordHasher {
  // argon2 runs on libuv's thread pool: the event loop stays free while it hashes. At most
  // one hash per core at a time.
  const limited = createLimiter(Math.max(1, availableParallelism()));
  const argonHash = (password: string, o: typeof options) => limited(() => argon2Hash(password, o));
  const argonVerify = (stored: string, password: string) => limited(() => argon2Verify(stored, password));
  const options = { memoryCost: params.memoryCost, timeCost: params.timeCost, parallelism: params.parallelism, outputLen: 32 };
  const paramTag = `m=${params.memoryCost},t=${params.timeCost},p=${params.parallelism}`;
  let dummy: Promise<string> | undefined;

  return {
    hash: (password) => argonHash(password, options),
    async verify(stored, password) {
      if (stored.startsWith('$argon2')) {
        let ok = false;
        try {
          ok = await argonVerify(stored, password);
        } catch {
          ok = false;
        }
        return { ok, needsRehash: ok && (!stored.startsWith('$argon2id$') || !stored.includes(paramTag)) };
      }
      if (BCRYPT.test(stored)) {
        // bcryptjs understands $2y$ (PHP) hashes, which the native binding rejects.
        const ok = await bcrypt.compare(password, stored);
        return { ok, needsRehash: ok };
      }
      if (stored.startsWith(FIREBASE_SCRYPT_PREFIX)) {
        const parsed = parseFirebaseHash(stored);
        const p = parsed && legacy.firebaseParams ? await legacy.firebaseParams(parsed.paramsId) : undefined;
        if (!parsed || !p) return { ok: false, needsRehash: false };
        const ok = await verifyFirebaseScrypt(password, parsed.salt, parsed.hash, p);
        return { ok, needsRehash: ok };
      }
      return { ok: false, needsRehash: false };
    },
    async dummyVerify(password) {
      dummy ??= argonHash('tessera-dummy-password', options);
      try {
        await argonVerify(await dummy, password);
      } catch {
        /* the result is thrown away either way */
      }
    },
  };
}
