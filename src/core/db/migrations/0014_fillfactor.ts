import { sql, type Kysely } from 'kysely';

// Room for updates on the pages of the two tables every refresh writes. A refresh token
// row is inserted once and updated once (spent); a session row is updated on every
// refresh (last use). With free space on its page, such an update stays on the page as a
// HOT update: no new entry in any of the table's indexes, and no growth of them. At 100%
// (PostgreSQL's default) the page of a row is usually full by the time the row is
// updated, so the new version goes elsewhere and every index gets a new entry. Applies to
// pages written from now on.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table refresh_tokens set (fillfactor = 70)`.execute(db);
  await sql`alter table sessions set (fillfactor = 80)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table refresh_tokens reset (fillfactor)`.execute(db);
  await sql`alter table sessions reset (fillfactor)`.execute(db);
}
