import { sql, type Kysely } from 'kysely';

// Imports from other systems: the project-wide parameters of imported password hashes
// (Firebase's scrypt signer key, sealed with AUTH_ENCRYPTION_KEY), referenced by id from
// each imported hash until the user's next sign-in replaces it with argon2id.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table password_hash_params (
      id text primary key,
      algorithm text not null,
      params jsonb not null default '{}',
      secret_encrypted text,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table password_hash_params`.execute(db);
}
