// Keyed hashes of short secrets and identifiers (6-digit codes, recovery codes, email
// addresses, phone numbers): HMAC-SHA-256 under a key derived from the server secret for
// one purpose, so that a database dump can neither brute-force a code nor list who was
// asked about, and purposes never share a key.
import { createHmac, hkdfSync, randomInt } from 'node:crypto';

/** `hash(scope, value)` under a key derived for `label` (e.g. `tessera/mfa-codes/v1`). */
export function createKeyedHasher(secret: string, label: string): (scope: string, value: string) => Buffer {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), label, 32));
  return (scope, value) => createHmac('sha256', key).update(`${scope}:${value}`).digest();
}

/** A uniformly random 6-digit code, leading zeros kept. */
export function sixDigitCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}
