import { sql, type Kysely } from 'kysely';

// Social sign-in: provider identities linked to users, with the provider's tokens sealed
// (AES-256-GCM) and the refresh schedule of the background worker; the single-use state
// of each sign-in in flight; providers configured in the database (by the CLI or the
// admin API), their secrets sealed. Two permissions guard provider management.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table user_identities (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      provider text not null,
      provider_user_id text not null,
      email text,
      email_verified boolean not null default false,
      name text,
      avatar_url text,
      profile jsonb not null default '{}',
      access_token_encrypted text,
      refresh_token_encrypted text,
      id_token_encrypted text,
      token_type text,
      scopes text[] not null default '{}',
      access_token_expires_at timestamptz,
      refresh_due_at timestamptz,
      refresh_attempts integer not null default 0,
      refresh_locked_until timestamptz,
      last_refresh_error text,
      last_refreshed_at timestamptz,
      needs_reconsent boolean not null default false,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      last_sign_in_at timestamptz,
      unique (provider, provider_user_id),
      unique (user_id, provider)
    )`.execute(db);
  await sql`create index user_identities_refresh_due_idx on user_identities (refresh_due_at) where refresh_due_at is not null`.execute(db);
  await sql`
    create table oauth_states (
      state_hash bytea primary key,
      provider text not null,
      browser_hash bytea,
      code_verifier_encrypted text,
      nonce text,
      redirect_to text not null,
      link_user_id uuid references users (id) on delete cascade,
      client text not null default 'web',
      created_at timestamptz not null,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index oauth_states_expires_idx on oauth_states (expires_at)`.execute(db);
  await sql`
    create table oauth_providers (
      name text primary key,
      kind text not null,
      client_id text not null,
      client_secret_encrypted text,
      private_key_encrypted text,
      settings jsonb not null default '{}',
      enabled boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null
    )`.execute(db);
  await sql`insert into permissions (name, description, built_in) values
    ('oauth:read', 'View social sign-in providers and users'' linked identities', true),
    ('oauth:manage', 'Configure social sign-in providers; merge users'' identities', true)
    on conflict (name) do nothing`.execute(db);
  await sql`insert into role_permissions (role, permission)
    select 'admin', p from unnest(array['oauth:read', 'oauth:manage']) as p where exists (select 1 from roles where name = 'admin')
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from role_permissions where permission in ('oauth:read', 'oauth:manage')`.execute(db);
  await sql`delete from permissions where name in ('oauth:read', 'oauth:manage')`.execute(db);
  await sql`drop table oauth_providers`.execute(db);
  await sql`drop table oauth_states`.execute(db);
  await sql`drop table user_identities`.execute(db);
}
