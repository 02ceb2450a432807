import { createHash, hash, randomFillSync, timingSafeEqual } from 'node:crypto';

// Random bytes are drawn from the CSPRNG a few kilobytes at a time and handed out once
// each (as node:crypto does for randomUUID): a refresh or a sign-in then costs a copy
// instead of a call into OpenSSL per secret.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `bytes` bytes from the CSPRNG, in a Buffer of their own. */
export function randomSecret(bytes = 32): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  if (bytes > POOL_SIZE / 8) return randomFillSync(out);
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(out, 0, offset, offset + bytes);
  // Handed-out bytes are overwritten, so that none stays in memory twice.
  pool.fill(0, offset, offset + bytes);
  offset += bytes;
  return out;
}

/** A URL-safe random token of `bytes` bytes of entropy (256 bits by default). */
export function randomToken(bytes = 32): string {
  return randomSecret(bytes).toString('base64url');
}

/** SHA-256 of a token: what is stored in place of the token itself. */
export const sha256: (value: string | Buffer) => Buffer = typeof hash === 'function'
  ? (value) => hash('sha256', value, 'buffer') as unknown as Buffer
  : (value) => createHash('sha256').update(value).digest();

/** Compares two secrets in constant time (hashing first so lengths do not leak). */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}
