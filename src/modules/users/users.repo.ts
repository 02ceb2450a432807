import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { UserRow } from './users.table.ts';

export interface UserChanges {
  username?: string;
  /** null removes the address (AUTH_EMAIL_REQUIRED=false). */
  email?: string | null;
  email_verified?: boolean;
  metadata?: Record<string, unknown>;
  is_active?: boolean;
  password_reset_required?: boolean;
}

/** Applies administrative changes; returns the row as it was before, or undefined. */
export async function updateUser(db: Db, id: string, changes: UserChanges, at: Date): Promise<UserRow | undefined> {
  const before = await db.selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!before) return undefined;
  const { metadata, ...rest } = changes;
  await db.updateTable('users').set({ ...rest, ...(metadata !== undefined ? { metadata: JSON.stringify(metadata) as never } : {}), updated_at: at }).where('id', '=', id).execute();
  return before;
}

export async function deleteUser(db: Db, id: string): Promise<boolean> {
  const r = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface NewUser {
  id: string;
  username: string;
  email: string | null;
  password_hash: string | null;
  role: string;
  locale: string;
  email_verified?: boolean;
  password_changed_at?: Date | null;
  metadata?: Record<string, unknown>;
}

export async function insertUser(db: Db, row: NewUser): Promise<UserRow> {
  const { metadata, ...rest } = row;
  return db.insertInto('users').values({ ...rest, ...(metadata ? { metadata: JSON.stringify(metadata) as never } : {}) }).returningAll().executeTakeFirstOrThrow();
}

export async function findById(db: Db, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where(sql`lower(email)`, '=', email.toLowerCase()).executeTakeFirst();
}

export async function findByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where(sql`lower(username)`, '=', username.toLowerCase()).executeTakeFirst();
}

export async function emailOrUsernameTaken(db: Db, email: string | null, username: string): Promise<{ email: boolean; username: boolean }> {
  if (email === null) return { email: false, username: (await findByUsername(db, username)) !== undefined };
  const rows = await db
    .selectFrom('users')
    .select([sql<boolean>`lower(email) = ${email.toLowerCase()}`.as('email_hit'), sql<boolean>`lower(username) = ${username.toLowerCase()}`.as('username_hit')])
    .where((eb) => eb.or([eb(sql`lower(email)`, '=', email.toLowerCase()), eb(sql`lower(username)`, '=', username.toLowerCase())]))
    .execute();
  return { email: rows.some((r) => r.email_hit), username: rows.some((r) => r.username_hit) };
}

/** The update of a sign-in: last_login, and the password hash when it was upgraded. */
export function recordLoginQuery(db: Db, id: string, at: Date, newPasswordHash?: string) {
  return db.updateTable('users')
    .set(newPasswordHash ? { last_login: at, password_hash: newPasswordHash, updated_at: at } : { last_login: at })
    .where('id', '=', id);
}

export async function recordLogin(db: Db, id: string, at: Date, newPasswordHash?: string): Promise<Date> {
  const row = await recordLoginQuery(db, id, at, newPasswordHash).returning('last_login').executeTakeFirstOrThrow();
  return row.last_login ?? at;
}

/**
 * Sets a new password. With `keep` > 0 the replaced hash joins the history, of which the
 * newest `keep - 1` are kept (the current password counts as one of the last `keep`).
 */
export async function setPassword(db: Db, id: string, hash: string, at: Date, keep: number): Promise<void> {
  const row = await db.selectFrom('users').select('password_hash').where('id', '=', id).forUpdate().executeTakeFirst();
  await db.updateTable('users').set({ password_hash: hash, password_changed_at: at, password_reset_required: false, updated_at: at }).where('id', '=', id).execute();
  if (keep > 1 && row?.password_hash) await db.insertInto('password_history').values({ user_id: id, password_hash: row.password_hash, created_at: at }).execute();
  // Only the newest keep - 1 earlier hashes are needed; none at all when history is off.
  await sql`
    delete from password_history where user_id = ${id} and id not in (
      select id from password_history where user_id = ${id} order by created_at desc, id desc limit ${Math.max(0, keep - 1)})`.execute(db);
}

/** The current hash and the newest history hashes, newest first. */
export async function previousHashes(db: Db, id: string, n: number): Promise<string[]> {
  const current = await db.selectFrom('users').select('password_hash').where('id', '=', id).executeTakeFirst();
  const history = n > 1 ? await db.selectFrom('password_history').select('password_hash').where('user_id', '=', id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(n - 1).execute() : [];
  return [current?.password_hash, ...history.map((h) => h.password_hash)].filter((h): h is string => !!h);
}

/** Removes the password (the account then signs in by other means until a new one is set). */
export async function clearPassword(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ password_hash: null, password_reset_required: false, password_changed_at: at, updated_at: at }).where('id', '=', id).execute();
  await db.deleteFrom('password_history').where('user_id', '=', id).execute();
}

export async function markEmailVerified(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ email_verified: true, updated_at: at }).where('id', '=', id).where('email_verified', '=', false).execute();
}

export async function updateEmail(db: Db, id: string, email: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ email, email_verified: true, updated_at: at }).where('id', '=', id).execute();
}

/** Inserts a once-only flag; true for exactly one caller ever, however many race. */
export async function claimFlag(db: Db, name: string): Promise<boolean> {
  const row = await db.insertInto('system_flags').values({ name }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
  return row !== undefined;
}

export async function flagSet(db: Db, name: string): Promise<boolean> {
  return Boolean(await db.selectFrom('system_flags').select('name').where('name', '=', name).executeTakeFirst());
}

/** True when the flag was set before. */
export async function clearFlag(db: Db, name: string): Promise<boolean> {
  return Boolean(await db.deleteFrom('system_flags').where('name', '=', name).returning('name').executeTakeFirst());
}

// ---- what other modules read and change of users (through index.ts) ------------------------

export async function userExists(db: Db, id: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst());
}

/** Locks a user's row for the rest of the transaction; false for an unknown user. */
export async function lockUser(db: Db, id: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('id', '=', id).forUpdate().executeTakeFirst());
}

/** A user's primary (default) role; undefined for an unknown user. */
export async function primaryRoleOf(db: Db, id: string): Promise<string | undefined> {
  return (await db.selectFrom('users').select('role').where('id', '=', id).executeTakeFirst())?.role;
}

/** Sets a user's primary role. RBAC decides whether it may, and announces the change. */
export async function setPrimaryRoleIn(db: Db, id: string, role: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ role, updated_at: at }).where('id', '=', id).execute();
}

/** Whether some user has `role` as primary role. */
export async function primaryRoleInUse(db: Db, role: string): Promise<boolean> {
  return Boolean(await db.selectFrom('users').select('id').where('role', '=', role).limit(1).executeTakeFirst());
}

/**
 * Active users, but `except`, whose primary role is one of `roles` or who are among `ids`
 * (RBAC passes the holders of those roles as extra roles).
 */
export async function countActiveHolders(db: Db, roles: string[], ids: string[], except: string | null): Promise<number> {
  if (!roles.length) return 0;
  const r = await sql<{ n: string }>`
    select count(*) as n from users u
    where u.is_active and u.id <> ${except ?? '00000000-0000-0000-0000-000000000000'}
      and (u.role in (${sql.join(roles)})${ids.length ? sql` or u.id in (${sql.join(ids)})` : sql``})`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** Usernames and addresses of users, by id (unknown ids are left out). */
export async function namesOf(db: Db, ids: string[]): Promise<{ id: string; username: string; email: string | null }[]> {
  if (!ids.length) return [];
  return db.selectFrom('users').select(['id', 'username', 'email']).where('id', 'in', ids).execute();
}

// ---- imports (`tessera import` writes users in batches) -------------------------------------

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
export async function insertImportedUsers(db: Db, rows: NewImportedUser[]): Promise<Set<string>> {
  if (!rows.length) return new Set();
  const inserted = await db.insertInto('users').values(rows.map((r) => ({ ...r, metadata: JSON.stringify(r.metadata) as never })))
    .onConflict((oc) => oc.doNothing()).returning('id').execute();
  return new Set(inserted.map((r) => r.id));
}
