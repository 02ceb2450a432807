import { sql, type Kysely } from 'kysely';

// Tessera as an OpenID Connect provider: the clients an administrator registers (only the
// hash of a confidential client's secret), the authorization requests waiting for the
// browser's sign-in or consent, the authorization codes (hashed, single use, short-lived,
// bound to client, redirect URI, PKCE challenge and the browser session), the consents
// users gave (per client and scope set), and the grants: one session per code exchange
// (its refresh-token family is the session's), linked to the browser session it came from.
// Two permissions guard the admin API.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table oidc_clients (
      id uuid primary key,
      client_id text not null unique,
      name text not null,
      logo_url text,
      confidential boolean not null,
      secret_hash bytea,
      secret_rotated_at timestamptz,
      redirect_uris text[] not null,
      post_logout_redirect_uris text[] not null default '{}',
      allowed_scopes text[] not null,
      first_party boolean not null default false,
      backchannel_logout_uri text,
      active boolean not null default true,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      check (confidential = (secret_hash is not null))
    )`.execute(db);
  await sql`
    create table oidc_auth_requests (
      id_hash bytea primary key,
      client_id text not null references oidc_clients (client_id) on delete cascade on update cascade,
      params jsonb not null,
      created_at timestamptz not null,
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index oidc_auth_requests_expires_idx on oidc_auth_requests (expires_at)`.execute(db);
  await sql`
    create table oidc_codes (
      code_hash bytea primary key,
      client_id text not null references oidc_clients (client_id) on delete cascade on update cascade,
      user_id uuid not null references users (id) on delete cascade,
      sso_session_id uuid not null,
      grant_session_id uuid not null,
      redirect_uri text not null,
      code_challenge text not null,
      nonce text,
      scopes text[] not null,
      auth_time timestamptz not null,
      amr text[] not null,
      acr text not null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db);
  await sql`create index oidc_codes_expires_idx on oidc_codes (expires_at)`.execute(db);
  await sql`
    create table oidc_consents (
      user_id uuid not null references users (id) on delete cascade,
      client_id text not null references oidc_clients (client_id) on delete cascade on update cascade,
      scopes text[] not null,
      granted_at timestamptz not null,
      primary key (user_id, client_id)
    )`.execute(db);
  await sql`
    create table oidc_grants (
      session_id uuid primary key references sessions (id) on delete cascade,
      client_id text not null references oidc_clients (client_id) on delete cascade on update cascade,
      user_id uuid not null references users (id) on delete cascade,
      sso_session_id uuid,
      scopes text[] not null,
      auth_time timestamptz not null,
      amr text[] not null,
      acr text not null,
      created_at timestamptz not null,
      logout_notified_at timestamptz
    )`.execute(db);
  await sql`create index oidc_grants_sso_idx on oidc_grants (sso_session_id)`.execute(db);
  await sql`create index oidc_grants_user_client_idx on oidc_grants (user_id, client_id)`.execute(db);
  await sql`
    insert into permissions (name, description, built_in) values
    ('oauth_clients:read', 'See the OpenID Connect clients (applications that sign users in with Tessera)', true),
    ('oauth_clients:manage', 'Register, change and delete OpenID Connect clients; rotate their secrets', true)
    on conflict (name) do nothing`.execute(db);
  await sql`
    insert into role_permissions (role, permission)
    select 'admin', p from unnest(array['oauth_clients:read', 'oauth_clients:manage']) as p where exists (select 1 from roles where name = 'admin')
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from role_permissions where permission in ('oauth_clients:read', 'oauth_clients:manage')`.execute(db);
  await sql`delete from permissions where name in ('oauth_clients:read', 'oauth_clients:manage')`.execute(db);
  for (const t of ['oidc_grants', 'oidc_consents', 'oidc_codes', 'oidc_auth_requests', 'oidc_clients']) await sql`drop table if exists ${sql.table(t)}`.execute(db);
}
