import { sql, type Kysely } from 'kysely';

// Email flows: a user's locale, the outbox that delivers mail from a background worker,
// the single-use tokens and codes of the email flows (only their hashes), and the log of
// requests that send mail to an address (per-address limits, whether or not it has an
// account).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column locale text not null default 'en'`.execute(db);

  // The message itself is sealed (AES-256-GCM): it holds live links and codes until it is
  // delivered, and is erased once it has been.
  await sql`
    create table mail_outbox (
      id uuid primary key,
      kind text not null,
      payload_encrypted text,
      attempts integer not null default 0,
      next_attempt_at timestamptz not null,
      locked_until timestamptz,
      last_error text,
      created_at timestamptz not null,
      sent_at timestamptz,
      failed_at timestamptz
    )`.execute(db);
  await sql`create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where sent_at is null and failed_at is null`.execute(db);

  await sql`
    create table email_tokens (
      id uuid primary key,
      purpose text not null,
      user_id uuid references users (id) on delete cascade,
      email text not null,
      token_hash bytea not null,
      code_hash bytea not null,
      attempts integer not null default 0,
      redirect_to text,
      locale text,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      consumed_at timestamptz
    )`.execute(db);
  await sql`create unique index email_tokens_token_hash_key on email_tokens (token_hash)`.execute(db);
  await sql`create index email_tokens_live_idx on email_tokens (purpose, email, created_at desc) where consumed_at is null`.execute(db);
  await sql`create index email_tokens_user_idx on email_tokens (user_id)`.execute(db);

  await sql`
    create table mail_requests (
      id bigserial primary key,
      address_hash bytea not null,
      purpose text not null,
      created_at timestamptz not null
    )`.execute(db);
  await sql`create index mail_requests_address_idx on mail_requests (address_hash, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['mail_requests', 'email_tokens', 'mail_outbox']) await sql`drop table if exists ${sql.table(t)}`.execute(db);
  await sql`alter table users drop column locale`.execute(db);
}
