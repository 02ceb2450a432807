import { sql, type Kysely } from 'kysely';

// Multi-factor authentication: a user's factors (TOTP secrets sealed with AES-256-GCM,
// phone numbers for SMS, the email factor), hashed recovery codes, the challenges of a
// sign-in or a phone verification, and when a session last proved its user (step-up).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sessions add column reauthenticated_at timestamptz`.execute(db);
  await sql`update sessions set reauthenticated_at = created_at`.execute(db);
  await sql`
    create table mfa_factors (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      type text not null,
      secret_encrypted text,
      phone text,
      last_time_step bigint,
      verified_at timestamptz,
      last_used_at timestamptz,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index mfa_factors_user_idx on mfa_factors (user_id)`.execute(db);
  await sql`create unique index mfa_factors_one_per_type on mfa_factors (user_id, type) where verified_at is not null`.execute(db);
  await sql`
    create table mfa_recovery_codes (
      id bigserial primary key,
      user_id uuid not null references users (id) on delete cascade,
      code_hash bytea not null,
      used_at timestamptz
    )`.execute(db);
  await sql`create index mfa_recovery_codes_user_idx on mfa_recovery_codes (user_id)`.execute(db);
  await sql`
    create table mfa_challenges (
      id uuid primary key,
      user_id uuid not null references users (id) on delete cascade,
      purpose text not null,
      method text,
      factor_id uuid,
      code_hash bytea,
      token_hash bytea,
      client text,
      first_amr text,
      attempts integer not null default 0,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      consumed_at timestamptz
    )`.execute(db);
  await sql`create unique index mfa_challenges_token_key on mfa_challenges (token_hash) where token_hash is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['mfa_challenges', 'mfa_recovery_codes', 'mfa_factors']) await sql`drop table if exists ${sql.table(t)}`.execute(db);
  await sql`alter table sessions drop column reauthenticated_at`.execute(db);
}
