import { sql, type Kysely } from 'kysely';

// A session's refresh-token family moves into the session's own row: the current
// generation, the SHA-256 of its secret, those of the siblings handed out within the
// reuse interval, and when the family last rotated. A refresh then updates that one row
// (a HOT update: none of these columns is indexed) instead of spending one row and
// inserting another, and a session keeps one row however often it refreshes. Sessions
// started before keep their tokens in refresh_tokens (refresh_generation is null there)
// until they end.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sessions
      add column refresh_generation integer,
      add column refresh_hash bytea,
      add column refresh_siblings bytea[] not null default '{}',
      add column refresh_rotated_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sessions
      drop column refresh_generation, drop column refresh_hash, drop column refresh_siblings, drop column refresh_rotated_at`.execute(db);
}
