import { sql, type Kysely } from 'kysely';

// Accounts without an email address (AUTH_EMAIL_REQUIRED=false: a username and a
// password). The unique index on lower(email) already lets any number of rows hold NULL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users alter column email drop not null`.execute(db);
}

// Going back needs every account to have an address: the rollback refuses otherwise.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users alter column email set not null`.execute(db);
}
