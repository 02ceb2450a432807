// Auth0 and other systems: JSON lines (one user per line), or a JSON array as in Auth0's
// bulk-import format. Password hashes are bcrypt or argon2, in `password_hash` /
// `passwordHash` (Auth0's password export) or `custom_password_hash.hash.value`.
import { acceptedHash, ImportFormatError, isUuid, obj, parseDate, providerName, str, validEmail, type ImportIdentity, type ImportRecord } from '../record.ts';

export function parseJsonLines(text: string): ImportRecord[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      throw new ImportFormatError(`not valid JSON (${(err as Error).message})`);
    }
    return (doc as unknown[]).map((u, i) => fromUser(u, i + 1));
  }
  const out: ImportRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ImportFormatError(`line ${i + 1} is not valid JSON`);
    }
    out.push(fromUser(value, i + 1));
  }
  return out;
}

function hashOf(u: Record<string, unknown>): { hash?: string; given: boolean } {
  const custom = obj(u.custom_password_hash);
  const value = custom ? str(obj(custom.hash)?.value) : str(u.password_hash) ?? str(u.passwordHash);
  return { hash: value, given: value !== undefined };
}

function fromUser(raw: unknown, position: number): ImportRecord {
  const u = obj(raw);
  if (!u) throw new ImportFormatError('expected a JSON object', position);
  const sourceId = str(u.user_id) ?? str(u.id) ?? str(obj(u._id)?.$oid) ?? str(u._id);
  if (!sourceId) throw new ImportFormatError('has no user_id, id or _id', position);
  if (u.identities !== undefined && !Array.isArray(u.identities)) throw new ImportFormatError('identities is not an array', position);

  let rejected: string | undefined;
  const { hash, given } = hashOf(u);
  const passwordHash = hash ? acceptedHash(hash) ?? null : null;
  if (given && !passwordHash) rejected = 'unsupported_password_hash';
  const email = validEmail(u.email);
  if (!email) rejected ??= u.email === undefined ? 'no_email' : 'invalid_email';

  const identities: ImportIdentity[] = [];
  for (const item of (u.identities as unknown[] | undefined) ?? []) {
    const i = obj(item);
    const provider = i ? providerName(str(i.provider) ?? str(i.connection) ?? '') : undefined;
    const pid = i ? str(i.user_id) : undefined;
    if (!provider || !pid) continue;
    const data = obj(i!.profileData) ?? {};
    identities.push({ provider, providerUserId: pid, email: str(data.email), name: str(data.name), avatarUrl: str(data.picture) });
  }
  const profile: Record<string, unknown> = {};
  for (const k of ['name', 'given_name', 'family_name', 'nickname', 'picture', 'phone_number']) if (str(u[k])) profile[k] = str(u[k]);
  const userMeta = obj(u.user_metadata);
  const appMeta = obj(u.app_metadata);
  return {
    position, sourceId, id: isUuid(sourceId) ? sourceId.toLowerCase() : undefined, email: email ?? '', emailVerified: u.email_verified === true,
    username: str(u.username), passwordHash, disabled: u.blocked === true,
    createdAt: parseDate(u.created_at), lastLogin: parseDate(u.last_login),
    metadata: {
      ...(appMeta ? { app: appMeta } : {}),
      ...(Object.keys(profile).length || userMeta ? { profile: { ...profile, ...(userMeta ?? {}) } } : {}),
    },
    identities, rejected,
  };
}
