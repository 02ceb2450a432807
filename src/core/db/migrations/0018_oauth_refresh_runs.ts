import { sql, type Kysely } from 'kysely';

// The provider-token refresh worker's last run (any instance's), for `tessera oauth
// refresh status`: when it ran, how many tokens it refreshed, how many failed and the
// first errors. One row, replaced by each run that had work.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table oauth_refresh_runs (
      id smallint primary key default 1 check (id = 1),
      started_at timestamptz not null,
      finished_at timestamptz not null,
      refreshed integer not null,
      failed integer not null,
      errors jsonb not null default '[]'
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists oauth_refresh_runs`.execute(db);
}
