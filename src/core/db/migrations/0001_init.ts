import { sql, type Kysely } from 'kysely';

// The foundation: users, sessions with their refresh-token families, signing keys and
// one-time system flags. Plain SQL that PostgreSQL 15 and PGlite (PostgreSQL 18) accept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key,
      username text not null,
      email text not null,
      password_hash text,
      role text not null,
      is_active boolean not null default true,
      email_verified boolean not null default false,
      last_login timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index users_email_lower_key on users (lower(email))`.execute(db);
  await sql`create unique index users_username_lower_key on users (lower(username))`.execute(db);

  await sql`
    create table sessions (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      client text not null default 'web',
      ip text,
      user_agent text,
      created_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz,
      revoked_reason text
    )`.execute(db);
  await sql`create index sessions_user_active_idx on sessions (user_id) where revoked_at is null`.execute(db);

  // A session's refresh tokens form one family; only SHA-256 hashes are stored.
  await sql`
    create table refresh_tokens (
      id bigserial primary key,
      session_id uuid not null references sessions (id) on delete cascade,
      token_hash bytea not null,
      parent_id bigint,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      spent_at timestamptz
    )`.execute(db);
  await sql`create unique index refresh_tokens_hash_key on refresh_tokens (token_hash)`.execute(db);
  await sql`create index refresh_tokens_session_idx on refresh_tokens (session_id)`.execute(db);

  await sql`
    create table signing_keys (
      kid text primary key,
      alg text not null,
      public_jwk jsonb not null,
      private_key_encrypted text not null,
      created_at timestamptz not null default now(),
      retired_at timestamptz
    )`.execute(db);

  await sql`
    create table system_flags (
      name text primary key,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['system_flags', 'signing_keys', 'refresh_tokens', 'sessions', 'users']) {
    await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  }
}
