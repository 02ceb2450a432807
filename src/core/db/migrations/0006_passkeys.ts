import { sql, type Kysely } from 'kysely';

// Passkeys (WebAuthn credentials) and the challenges of their ceremonies, single-use and
// short-lived. Only public keys are stored.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table passkeys (
      id text primary key,
      user_id uuid not null references users (id) on delete cascade,
      name text not null,
      public_key bytea not null,
      counter bigint not null default 0,
      transports text[] not null default '{}',
      device_type text,
      backed_up boolean not null default false,
      aaguid text,
      created_at timestamptz not null,
      last_used_at timestamptz
    )`.execute(db);
  await sql`create index passkeys_user_idx on passkeys (user_id)`.execute(db);
  await sql`
    create table passkey_challenges (
      challenge text primary key,
      purpose text not null,
      user_id uuid references users (id) on delete cascade,
      mfa_challenge_id uuid,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      consumed_at timestamptz
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists passkey_challenges`.execute(db);
  await sql`drop table if exists passkeys`.execute(db);
}
