// Crypto primitives: random tokens and their hashes, constant-time comparison, password
// hashing and authenticated encryption of secrets at rest.
export { randomToken, sha256, safeEqual } from './random.ts';
export { createPasswordHasher, type PasswordHasher, type Argon2Params } from './password.ts';
export { createEncrypter, type Encrypter } from './encryption.ts';
export { createKeyedHasher, sixDigitCode } from './keyed.ts';
export { generateSigningSecret, signMessage, signedHeaders, verifyMessage, SECRET_PREFIX } from './signature.ts';
