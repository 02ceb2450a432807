import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { UserRow } from './users.table.ts';

export async function insertUser(db: Db, row: { id: string; username: string; email: string; password_hash: string | null; role: string }): Promise<UserRow> {
  return db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();
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

export async function emailOrUsernameTaken(db: Db, email: string, username: string): Promise<{ email: boolean; username: boolean }> {
  const rows = await db
    .selectFrom('users')
    .select([sql<boolean>`lower(email) = ${email.toLowerCase()}`.as('email_hit'), sql<boolean>`lower(username) = ${username.toLowerCase()}`.as('username_hit')])
    .where((eb) => eb.or([eb(sql`lower(email)`, '=', email.toLowerCase()), eb(sql`lower(username)`, '=', username.toLowerCase())]))
    .execute();
  return { email: rows.some((r) => r.email_hit), username: rows.some((r) => r.username_hit) };
}

export async function recordLogin(db: Db, id: string, at: Date, newPasswordHash?: string): Promise<Date> {
  const row = await db
    .updateTable('users')
    .set(newPasswordHash ? { last_login: at, password_hash: newPasswordHash, updated_at: at } : { last_login: at })
    .where('id', '=', id)
    .returning('last_login')
    .executeTakeFirstOrThrow();
  return row.last_login ?? at;
}

/** Inserts a once-only flag; true for exactly one caller ever, however many race. */
export async function claimFlag(db: Db, name: string): Promise<boolean> {
  const row = await db.insertInto('system_flags').values({ name }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst();
  return row !== undefined;
}
