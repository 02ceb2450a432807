// The refresh tokens of a session's family, in the form that lets a refresh write one row.
//
// A token is base64url of: the session's id (16 bytes), its generation in the family
// (4 bytes), a random secret (32 bytes) and a tag (16 bytes), an HMAC-SHA-256 of the
// first three under a key derived from the server secret for this purpose alone.
//
// The session's row keeps the family's current generation and the SHA-256 of its
// secret (and of the siblings a retry got within the reuse interval); nothing else is
// stored. The current token is proven by its secret's hash, as before. An older token
// cannot be looked up (its hash is gone), but its tag proves that this server issued it,
// so presenting it is a genuine reuse and revokes the family; a token with a wrong tag
// was never issued and changes nothing. The tag is not what grants access: without the
// current secret, whose only trace is a hash, no token refreshes.
import { createHmac, createSecretKey, hkdfSync, timingSafeEqual } from 'node:crypto';
import { randomSecret, sha256 } from '../../core/crypto/index.ts';

const ID = 16;
const GEN = 4;
const SECRET = 32;
const TAG = 16;
const BODY = ID + GEN + SECRET;
/** Length of a token as text: 68 bytes in unpadded base64url. */
export const FAMILY_TOKEN_LENGTH = Math.ceil(((BODY + TAG) * 4) / 3);
/** The highest generation a family reaches (the column is a PostgreSQL integer). */
export const MAX_GENERATION = 0x7fffffff;

export interface FamilyToken {
  sessionId: string;
  generation: number;
  /** SHA-256 of the secret: what the session's row holds for the current generation. */
  hash: Buffer;
  /** What the tag covers (id, generation, secret), and the tag. */
  body: Buffer;
  tag: Buffer;
}

export interface RefreshTokenCodec {
  /** A new token of `sessionId` at `generation`, with the hash to store. */
  mint(sessionId: string, generation: number): { token: string; hash: Buffer };
  /** The token of a given 32-byte secret (mint draws a random one); the hash to store is its SHA-256. */
  format(sessionId: string, generation: number, secret: Buffer): string;
  /**
   * The parts of a token of this form; undefined when it is not of this form (a token
   * issued before families were kept in the session's row, or garbage: looked up as such).
   */
  parse(token: string): FamilyToken | undefined;
  /**
   * Whether this server issued the token (its tag). An earlier generation has nothing
   * stored to match, so only a genuine tag lets it count as a reuse; a token is checked
   * before anything else, so that a token altered in any way is refused as a whole.
   */
  authentic(t: FamilyToken): boolean;
}

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const uuidText = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Tokens under the key derived from `serverSecret` (AUTH_ENCRYPTION_KEY). */
export function createRefreshTokenCodec(serverSecret: string): RefreshTokenCodec {
  const key = createSecretKey(Buffer.from(hkdfSync('sha256', Buffer.from(serverSecret, 'utf8'), Buffer.alloc(0), 'tessera/refresh-token-tags/v1', 32)));
  const tagOf = (body: Buffer) => createHmac('sha256', key).update(body).digest().subarray(0, TAG);

  const format = (sessionId: string, generation: number, secret: Buffer) => {
    if (secret.length !== SECRET) throw new RangeError(`a refresh token's secret has ${SECRET} bytes`);
    const buf = Buffer.allocUnsafe(BODY + TAG);
    uuidBytes(sessionId).copy(buf, 0);
    buf.writeUInt32BE(generation, ID);
    secret.copy(buf, ID + GEN);
    tagOf(buf.subarray(0, BODY)).copy(buf, BODY);
    return buf.toString('base64url');
  };
  return {
    format,
    mint(sessionId, generation) {
      const secret = randomSecret(SECRET);
      return { token: format(sessionId, generation, secret), hash: sha256(secret) };
    },
    parse(token) {
      if (token.length !== FAMILY_TOKEN_LENGTH) return undefined;
      const buf = Buffer.from(token, 'base64url');
      // Node's decoder skips characters outside the alphabet: a round trip proves the text.
      if (buf.length !== BODY + TAG || buf.toString('base64url') !== token) return undefined;
      return {
        sessionId: uuidText(buf.subarray(0, ID)), generation: buf.readUInt32BE(ID), hash: sha256(buf.subarray(ID + GEN, BODY)),
        body: buf.subarray(0, BODY), tag: buf.subarray(BODY),
      };
    },
    authentic: (t) => timingSafeEqual(tagOf(t.body), t.tag),
  };
}
