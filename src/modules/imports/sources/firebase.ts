// Firebase Auth: the JSON of `firebase auth:export --format=json`, `{"users": [...]}`.
// Password hashes are Firebase's modified scrypt: salt and hash per user, the project's
// parameters given apart (they are in the console, not in the export).
import { formatFirebaseHash } from '../../../core/crypto/index.ts';
import { ImportFormatError, jsonObject, obj, parseDate, providerName, str, validEmail, type ImportIdentity, type ImportRecord } from '../record.ts';

/** Base64 as Firebase writes it (standard, sometimes URL-safe). */
export const FIREBASE_B64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Firebase's base64 as standard base64. */
export const standardB64 = (s: string) => s.replace(/-/g, '+').replace(/_/g, '/');

export function parseFirebase(text: string, paramsId: string | undefined): ImportRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportFormatError(`not valid JSON (${(err as Error).message})`);
  }
  const users = obj(doc)?.users;
  if (!Array.isArray(users)) throw new ImportFormatError('expected the JSON of `firebase auth:export`: an object with a "users" array');
  return users.map((u, i) => fromUser(u, i + 1, paramsId));
}

/** Whether any user of the export has a password hash (the parameters are then needed). */
export function firebaseHasPasswords(records: ImportRecord[]): boolean {
  return records.some((r) => r.passwordHash !== null || r.rejected === 'missing_hash_parameters');
}

function fromUser(raw: unknown, position: number, paramsId: string | undefined): ImportRecord {
  const u = obj(raw);
  if (!u) throw new ImportFormatError('expected an object', position);
  const localId = str(u.localId);
  if (!localId) throw new ImportFormatError('has no localId', position);
  for (const field of ['passwordHash', 'salt'] as const) {
    if (u[field] !== undefined && (typeof u[field] !== 'string' || !FIREBASE_B64.test(u[field] as string))) throw new ImportFormatError(`${field} is not base64`, position);
  }
  if (u.providerUserInfo !== undefined && !Array.isArray(u.providerUserInfo)) throw new ImportFormatError('providerUserInfo is not an array', position);

  let rejected: string | undefined;
  let passwordHash: string | null = null;
  const hash = str(u.passwordHash);
  if (hash) {
    const salt = str(u.salt);
    if (!salt) rejected = 'password_hash_without_salt';
    else if (!paramsId) rejected = 'missing_hash_parameters';
    else passwordHash = formatFirebaseHash(paramsId, standardB64(salt), standardB64(hash));
  }
  const email = validEmail(u.email);
  if (!email) rejected ??= u.email === undefined ? 'no_email' : 'invalid_email';

  const identities: ImportIdentity[] = [];
  for (const p of (u.providerUserInfo as unknown[] | undefined) ?? []) {
    const info = obj(p);
    const provider = info ? providerName(str(info.providerId) ?? '') : undefined;
    const id = info ? str(info.rawId) : undefined;
    if (!info || !provider || !id) continue;
    identities.push({ provider, providerUserId: id, email: str(info.email), name: str(info.displayName), avatarUrl: str(info.photoUrl) });
  }
  const custom = jsonObject(u.customAttributes);
  const profile = { ...(str(u.displayName) ? { name: str(u.displayName) } : {}), ...(str(u.photoUrl) ? { picture: str(u.photoUrl) } : {}), ...(str(u.phoneNumber) ? { phoneNumber: str(u.phoneNumber) } : {}) };
  return {
    position, sourceId: localId, email: email ?? '', emailVerified: u.emailVerified === true, passwordHash, disabled: u.disabled === true,
    createdAt: parseDate(u.createdAt), lastLogin: parseDate(u.lastSignedInAt),
    metadata: { ...(custom ? { app: custom } : {}), ...(Object.keys(profile).length ? { profile } : {}) },
    identities, rejected,
  };
}
