import { sql, type Kysely } from 'kysely';

// Password protection: when each password was set (for expiry) and the hashes of earlier
// passwords (so that they cannot be reused).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column password_changed_at timestamptz`.execute(db);
  await sql`update users set password_changed_at = created_at where password_hash is not null`.execute(db);
  await sql`
    create table password_history (
      id bigserial primary key,
      user_id uuid not null references users (id) on delete cascade,
      password_hash text not null,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index password_history_user_idx on password_history (user_id, created_at desc)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists password_history`.execute(db);
  await sql`alter table users drop column password_changed_at`.execute(db);
}
