import { sql, type Kysely } from 'kysely';

// Pruning: the hourly housekeeping deletes sessions (and their refresh tokens) by their
// absolute expiry, so sessions get an index on it. `expires_at` is written once, at
// sign-in, so the index costs one entry per sign-in and nothing per refresh (rotation
// updates `last_used_at` only, which stays a HOT update). Audit entries, events and
// webhook deliveries are pruned on indexes they already have. One instance at a time runs
// the housekeeping: a lease row, renewed while it runs.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index sessions_expires_idx on sessions (expires_at)`.execute(db);
  await sql`
    create table job_leases (
      name text primary key,
      holder text not null,
      expires_at timestamptz not null
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists job_leases`.execute(db);
  await sql`drop index if exists sessions_expires_idx`.execute(db);
}
