// Firebase Auth's modified scrypt, so that users exported from Firebase keep their
// passwords. Firebase derives a key with standard scrypt over (salt || salt separator),
// then encrypts the project's signer key with AES-256-CTR under it (zero IV); the export
// holds that ciphertext as the password hash. The project-wide parameters (signer key,
// salt separator, rounds, memory cost) come from the Firebase console, not the export.
import { createCipheriv, scrypt, timingSafeEqual } from 'node:crypto';

export interface FirebaseScryptParams {
  /** The project's signer key (base64 in the console). */
  signerKey: Buffer;
  /** The salt separator (base64 in the console, usually `Bw==`). */
  saltSeparator: Buffer;
  /** scrypt r. */
  rounds: number;
  /** log2 of scrypt N. */
  memCost: number;
}

/** Tessera's stored form: `$firebase-scrypt$<params id>$<salt b64>$<hash b64>`. */
export const FIREBASE_SCRYPT_PREFIX = '$firebase-scrypt$';
const STORED = /^\$firebase-scrypt\$([A-Za-z0-9_-]{1,64})\$([A-Za-z0-9+/=]{1,200})\$([A-Za-z0-9+/=]{1,400})$/;

export function checkFirebaseParams(p: { rounds: number; memCost: number }): string | undefined {
  if (!Number.isInteger(p.rounds) || p.rounds < 1 || p.rounds > 32) return 'rounds must be an integer from 1 to 32';
  if (!Number.isInteger(p.memCost) || p.memCost < 1 || p.memCost > 20) return 'mem cost must be an integer from 1 to 20';
  return undefined;
}

/** The hash Firebase would store for this password and salt. */
export async function firebaseScrypt(password: string, salt: Buffer, p: FirebaseScryptParams): Promise<Buffer> {
  const N = 2 ** p.memCost;
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(Buffer.from(password, 'utf8'), Buffer.concat([salt, p.saltSeparator]), 32, { N, r: p.rounds, p: 1, maxmem: 256 * N * p.rounds + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
  const cipher = createCipheriv('aes-256-ctr', derived, Buffer.alloc(16));
  return Buffer.concat([cipher.update(p.signerKey), cipher.final()]);
}

export function formatFirebaseHash(paramsId: string, saltB64: string, hashB64: string): string {
  return `${FIREBASE_SCRYPT_PREFIX}${paramsId}$${saltB64}$${hashB64}`;
}

export function parseFirebaseHash(stored: string): { paramsId: string; salt: Buffer; hash: Buffer } | undefined {
  const m = STORED.exec(stored);
  if (!m) return undefined;
  return { paramsId: m[1]!, salt: Buffer.from(m[2]!, 'base64'), hash: Buffer.from(m[3]!, 'base64') };
}

/** Constant-time check of a password against an exported Firebase hash. */
export async function verifyFirebaseScrypt(password: string, salt: Buffer, expected: Buffer, p: FirebaseScryptParams): Promise<boolean> {
  const actual = await firebaseScrypt(password, salt, p);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
