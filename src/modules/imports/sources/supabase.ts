// Supabase Auth: rows of `auth.users` as CSV (with a header row) or JSON (an array of rows,
// or `{"users": [...]}`), bcrypt hashes in `encrypted_password`. Identities come from an
// `identities` column or field (rows of `auth.identities`, as JSON), when the export has it.
import { createRequire } from 'node:module';

// Loaded by the first CSV import (the CLI), not by every server start.
const parseCsv = (text: string, opts: object): unknown => (createRequire(import.meta.url)('csv-parse/sync') as { parse(t: string, o: object): unknown }).parse(text, opts);
import { acceptedHash, ImportFormatError, isUuid, jsonObject, obj, parseDate, providerName, str, validEmail, type ImportIdentity, type ImportRecord } from '../record.ts';

export function parseSupabase(text: string, format: 'csv' | 'json'): ImportRecord[] {
  const rows = format === 'csv' ? csvRows(text) : jsonRows(text);
  return rows.map((row, i) => fromRow(row, i + 1, format));
}

function csvRows(text: string): Record<string, unknown>[] {
  let rows: Record<string, unknown>[];
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: false }) as Record<string, unknown>[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new ImportFormatError(`not valid CSV${e.lines ? ` at line ${e.lines}` : ''} (${e.message.replace(/^Invalid Record Length: /, '')})`);
  }
  if (rows.length && !('email' in rows[0]! && 'id' in rows[0]!)) throw new ImportFormatError('the CSV header must name at least the columns id and email (an export of auth.users)');
  return rows;
}

function jsonRows(text: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportFormatError(`not valid JSON (${(err as Error).message})`);
  }
  const rows = Array.isArray(doc) ? doc : obj(doc)?.users;
  if (!Array.isArray(rows)) throw new ImportFormatError('expected a JSON array of auth.users rows (or an object with a "users" array)');
  rows.forEach((r, i) => { if (!obj(r)) throw new ImportFormatError('expected an object', i + 1); });
  return rows as Record<string, unknown>[];
}

function fromRow(row: Record<string, unknown>, position: number, format: 'csv' | 'json'): ImportRecord {
  const id = str(row.id);
  if (!id) throw new ImportFormatError('has no id', position);
  const hashText = str(row.encrypted_password);
  const passwordHash = hashText ? acceptedHash(hashText) ?? null : null;
  let rejected: string | undefined;
  if (hashText && !passwordHash) rejected = 'unsupported_password_hash';
  const email = validEmail(row.email);
  if (!email) rejected ??= str(row.email) ? 'invalid_email' : 'no_email';
  if (str(row.deleted_at)) rejected = 'deleted';

  const app = jsonObject(row.raw_app_meta_data) ?? {};
  const user = jsonObject(row.raw_user_meta_data) ?? {};
  const { provider: _p, providers: _ps, ...appRest } = app;
  void _p; void _ps;
  const bannedUntil = parseDate(row.banned_until);
  const identities = identitiesOf(row.identities, position, format);
  return {
    position, sourceId: id, id: isUuid(id) ? id.toLowerCase() : undefined, email: email ?? '',
    emailVerified: Boolean(str(row.email_confirmed_at) ?? str(row.confirmed_at)), passwordHash,
    disabled: bannedUntil !== undefined && bannedUntil.getTime() > Date.now(),
    createdAt: parseDate(row.created_at), lastLogin: parseDate(row.last_sign_in_at),
    metadata: { ...(Object.keys(appRest).length ? { app: appRest } : {}), ...(Object.keys(user).length ? { profile: user } : {}) },
    identities, rejected,
  };
}

function identitiesOf(v: unknown, position: number, format: 'csv' | 'json'): ImportIdentity[] {
  if (v === undefined || v === null || v === '') return [];
  let list: unknown = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      throw new ImportFormatError(`identities is not JSON${format === 'csv' ? ' (in its CSV cell)' : ''}`, position);
    }
  }
  if (!Array.isArray(list)) throw new ImportFormatError('identities is not an array', position);
  const out: ImportIdentity[] = [];
  for (const item of list) {
    const i = obj(item);
    const provider = i ? providerName(str(i.provider) ?? '') : undefined;
    const data = i ? jsonObject(i.identity_data) ?? {} : {};
    const pid = i ? str(i.provider_id) ?? str(data.sub) ?? str(data.provider_id) : undefined;
    if (!provider || !pid) continue;
    out.push({ provider, providerUserId: pid, email: str(data.email) ?? str(i!.email), name: str(data.full_name) ?? str(data.name), avatarUrl: str(data.avatar_url) ?? str(data.picture) });
  }
  return out;
}
