import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { PasswordHashParamsRow } from './imports.table.ts';

export async function saveHashParams(db: Db, row: { id: string; algorithm: string; params: Record<string, unknown>; secret_encrypted: string | null }): Promise<void> {
  await db.insertInto('password_hash_params').values({ ...row, params: JSON.stringify(row.params) as never })
    .onConflict((oc) => oc.column('id').doNothing()).execute();
}

export async function findHashParams(db: Db, id: string): Promise<PasswordHashParamsRow | undefined> {
  return db.selectFrom('password_hash_params').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface ExistingUser { id: string; email: string; username: string; origin: { source?: unknown; id?: unknown } | null }

/** Users that hold one of these emails (case-insensitively) or ids. */
export async function existingUsers(db: Db, emails: string[], ids: string[]): Promise<ExistingUser[]> {
  if (!emails.length && !ids.length) return [];
  const rows = await db.selectFrom('users')
    .select(['id', 'username', sql<string>`lower(email)`.as('email'), sql<ExistingUser['origin']>`metadata -> 'import'`.as('origin')])
    .where((eb) => eb.or([
      ...(emails.length ? [eb(sql`lower(email)`, 'in', emails)] : []),
      ...(ids.length ? [eb('id', 'in', ids)] : []),
    ]))
    .execute();
  return rows;
}

export async function takenUsernames(db: Db, lowered: string[]): Promise<Set<string>> {
  if (!lowered.length) return new Set();
  const rows = await db.selectFrom('users').select(sql<string>`lower(username)`.as('u')).where(sql`lower(username)`, 'in', lowered).execute();
  return new Set(rows.map((r) => r.u));
}

/** `provider provider_user_id` of the identities among these that exist already. */
export async function takenIdentities(db: Db, pairs: { provider: string; providerUserId: string }[]): Promise<Set<string>> {
  if (!pairs.length) return new Set();
  const rows = await db.selectFrom('user_identities').select(['provider', 'provider_user_id'])
    .where('provider_user_id', 'in', [...new Set(pairs.map((p) => p.providerUserId))]).execute();
  return new Set(rows.map((r) => `${r.provider} ${r.provider_user_id}`));
}

export interface NewImportedUser {
  id: string; username: string; email: string | null; password_hash: string | null; role: string; is_active: boolean; email_verified: boolean;
  last_login: Date | null; password_changed_at: Date | null; metadata: Record<string, unknown>; created_at: Date; updated_at: Date;
}

/** The users an earlier run imported from these records of `source` (records without an address). */
export async function importedFrom(db: Db, source: string, sourceIds: string[]): Promise<Set<string>> {
  if (!sourceIds.length) return new Set();
  const rows = await db.selectFrom('users').select(sql<string>`metadata -> 'import' ->> 'id'`.as('sid'))
    .where(sql`metadata -> 'import' ->> 'source'`, '=', source).where(sql`metadata -> 'import' ->> 'id'`, 'in', sourceIds).execute();
  return new Set(rows.map((r) => r.sid));
}

/** Inserts what no unique index refuses; returns the ids that went in. */
export async function insertUsers(db: Db, rows: NewImportedUser[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const inserted = await db.insertInto('users').values(rows.map((r) => ({ ...r, metadata: JSON.stringify(r.metadata) as never })))
    .onConflict((oc) => oc.doNothing()).returning('id').execute();
  return new Set(inserted.map((r) => r.id));
}

export interface NewImportedIdentity {
  id: string; user_id: string; provider: string; provider_user_id: string; email: string | null; name: string | null; avatar_url: string | null;
  created_at: Date; updated_at: Date;
}

export async function insertIdentities(db: Db, rows: NewImportedIdentity[]): Promise<number> {
  if (!rows.length) return 0;
  const inserted = await db.insertInto('user_identities')
    .values(rows.map((r) => ({ ...r, email_verified: false, profile: JSON.stringify({ imported: true }) as never, scopes: [], refresh_attempts: 0, needs_reconsent: false })))
    .onConflict((oc) => oc.doNothing()).returning('id').execute();
  return inserted.length;
}
