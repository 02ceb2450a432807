import { sql, type Kysely } from 'kysely';

// Webhooks: endpoints registered by administrators, one delivery per (event, endpoint)
// written in the event's transaction, and every attempt of a delivery. The secret is
// sealed with AUTH_ENCRYPTION_KEY; a rotated-out secret keeps signing beside the new one
// for a grace period. Two permissions guard the admin API.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table webhook_endpoints (
      id uuid primary key,
      url text not null,
      description text not null default '',
      event_types text[] not null default '{}',
      active boolean not null default true,
      secret_encrypted text not null,
      previous_secret_encrypted text,
      previous_secret_expires_at timestamptz,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`
    create table webhook_deliveries (
      id uuid primary key,
      seq bigserial not null,
      endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
      event_id uuid not null,
      event_type text not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'succeeded', 'dead')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      locked_until timestamptz,
      last_status_code integer,
      last_error text,
      replay_of uuid,
      created_at timestamptz not null,
      completed_at timestamptz
    )`.execute(db);
  await sql`create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  await sql`create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, seq desc)`.execute(db);
  await sql`create index webhook_deliveries_completed_idx on webhook_deliveries (completed_at) where completed_at is not null`.execute(db);
  await sql`
    create table webhook_attempts (
      id bigserial primary key,
      delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
      attempted_at timestamptz not null,
      duration_ms integer not null,
      status_code integer,
      error text,
      succeeded boolean not null
    )`.execute(db);
  await sql`create index webhook_attempts_delivery_idx on webhook_attempts (delivery_id, id)`.execute(db);
  await sql`insert into permissions (name, description, built_in) values
    ('webhooks:read', 'View webhook endpoints and their deliveries', true),
    ('webhooks:manage', 'Create, change and delete webhook endpoints; rotate their secrets; replay deliveries', true)
    on conflict (name) do nothing`.execute(db);
  await sql`insert into role_permissions (role, permission)
    select 'admin', p from unnest(array['webhooks:read', 'webhooks:manage']) as p where exists (select 1 from roles where name = 'admin')
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from permissions where name in ('webhooks:read', 'webhooks:manage')`.execute(db);
  await sql`drop table if exists webhook_attempts`.execute(db);
  await sql`drop table if exists webhook_deliveries`.execute(db);
  await sql`drop table if exists webhook_endpoints`.execute(db);
}
