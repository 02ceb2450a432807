import { sql, type Kysely } from 'kysely';

// The event outbox: an event is a row written in the transaction of the change it
// describes; the dispatcher publishes unpublished rows in `seq` order and marks them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table events (
      seq bigserial primary key,
      id uuid not null unique,
      type text not null,
      subject text not null,
      envelope jsonb not null,
      occurred_at timestamptz not null,
      published_at timestamptz
    )`.execute(db);
  await sql`create index events_unpublished_idx on events (seq) where published_at is null`.execute(db);
  await sql`create index events_occurred_idx on events (occurred_at)`.execute(db);
  // One dispatcher at a time across instances (so that order holds): a renewable lease.
  await sql`
    create table event_dispatch_lease (
      name text primary key,
      holder text not null,
      expires_at timestamptz not null
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists event_dispatch_lease`.execute(db);
  await sql`drop table if exists events`.execute(db);
}
