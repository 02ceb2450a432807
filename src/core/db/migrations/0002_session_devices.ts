import { sql, type Kysely } from 'kysely';

// Sessions learn about their device: the parsed user agent, a coarse location and the
// authentication methods used. Listing a user's live sessions newest first is indexed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sessions
      add column browser text,
      add column os text,
      add column device_type text,
      add column location jsonb,
      add column amr text[] not null default '{}'`.execute(db);
  await sql`drop index if exists sessions_user_active_idx`.execute(db);
  await sql`create index sessions_user_active_idx on sessions (user_id, created_at desc) where revoked_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists sessions_user_active_idx`.execute(db);
  await sql`create index sessions_user_active_idx on sessions (user_id) where revoked_at is null`.execute(db);
  await sql`alter table sessions drop column browser, drop column os, drop column device_type, drop column location, drop column amr`.execute(db);
}
