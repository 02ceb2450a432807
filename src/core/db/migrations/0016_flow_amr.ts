import { sql, type Kysely } from 'kysely';

// A password-change token (a sign-in stopped by an expired or administrator-rejected
// password) remembers what its flow had proven (the amr values, space-separated), so that
// the session started after the change carries the assurance actually reached and a
// second factor answered before the change is not asked again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table email_tokens add column amr text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table email_tokens drop column amr`.execute(db);
}
