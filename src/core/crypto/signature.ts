// Signed HTTP messages in the Standard Webhooks style, for webhooks and synchronous hooks:
// `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
// (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, space-separated when a secret is
// being rotated). A secret is `whsec_` followed by the base64 of the key bytes, so that
// the Standard Webhooks libraries of every language verify these messages as they are.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';

/** A new signing secret (`whsec_` + 32 random bytes in base64). */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The key bytes of a secret; a secret without the prefix is used as raw UTF-8 bytes. */
function keyOf(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** The `webhook-signature` value of one message. */
export function signMessage(secret: string, id: string, timestamp: number, body: string): string {
  return 'v1,' + createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/** The three headers of a signed message sent now (`nowMs`). */
export function signedHeaders(secret: string, id: string, nowMs: number, body: string): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signMessage(secret, id, timestamp, body) };
}

/**
 * Checks a received message: a matching `v1` signature (constant-time) and a timestamp
 * within `toleranceSeconds` of `nowMs`. What a receiver does; Tessera's tests use it.
 */
export function verifyMessage(secret: string, headers: Record<string, string | string[] | undefined>, body: string, nowMs: number, toleranceSeconds = 300): boolean {
  const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
  const id = one(headers['webhook-id']);
  const ts = one(headers['webhook-timestamp']);
  const sig = one(headers['webhook-signature']);
  if (!id || !ts || !sig || !/^\d+$/.test(ts)) return false;
  const timestamp = Number(ts);
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signMessage(secret, id, timestamp, body).slice(3), 'base64');
  return sig.split(' ').some((part) => {
    const [version, value] = part.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const got = Buffer.from(value, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
