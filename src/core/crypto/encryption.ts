// AES-256-GCM for secrets at rest (signing keys now, provider tokens later). The output
// names the key it was sealed with, so the key can rotate: `v1.<kid>.<iv>.<tag>.<data>`.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { sha256 } from './random.ts';

export interface Encrypter {
  readonly keyId: string;
  encrypt(plaintext: string | Buffer, aad?: string): string;
  decrypt(sealed: string, aad?: string): Buffer;
}

/** Derives a 256-bit key from the configured secret (any string of at least 32 characters). */
export function createEncrypter(secret: string): Encrypter {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'tessera/encryption/v1', 32));
  // The key id is a short fingerprint of the derived key: it identifies, it does not reveal.
  const keyId = sha256(key).subarray(0, 6).toString('base64url');
  return {
    keyId,
    encrypt(plaintext, aad = '') {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad));
      const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return ['v1', keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    decrypt(sealed, aad = '') {
      const [version, kid, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised ciphertext format');
      if (kid !== keyId) throw new Error(`ciphertext was sealed with key ${kid}, not the configured key ${keyId}`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
    },
  };
}
