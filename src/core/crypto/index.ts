// Crypto primitives: random tokens and their hashes, constant-time comparison, password
// hashing and authenticated encryption of secrets at rest.
export { randomSecret, randomToken, sha256, safeEqual } from './random.ts';
export { createPasswordHasher, type PasswordHasher, type Argon2Params, type LegacyHashOptions } from './password.ts';
export {
  firebaseScrypt, verifyFirebaseScrypt, formatFirebaseHash, parseFirebaseHash, checkFirebaseParams, FIREBASE_SCRYPT_PREFIX, type FirebaseScryptParams,
} from './firebase-scrypt.ts';
export { createEncrypter, type Encrypter } from './encryption.ts';
export { createKeyedHasher, sixDigitCode } from './keyed.ts';
export { generateSigningSecret, signMessage, signedHeaders, verifyMessage, SECRET_PREFIX } from './signature.ts';
