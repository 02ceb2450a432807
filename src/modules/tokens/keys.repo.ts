import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { SigningKeyRow } from './keys.table.ts';

export async function listKeys(db: Db): Promise<SigningKeyRow[]> {
  return db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();
}

export async function insertKey(db: Db, row: { kid: string; alg: string; public_jwk: Record<string, unknown>; private_key_encrypted: string; created_at: Date }): Promise<void> {
  await db.insertInto('signing_keys').values({ ...row, public_jwk: JSON.stringify(row.public_jwk) as never }).execute();
}

/** Serialises key creation across instances for the rest of the transaction. */
export async function lockKeys(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(7318001)`.execute(db);
}

/** Retires every active key; returns them as they now are. */
export async function retireActive(db: Db, at: Date): Promise<SigningKeyRow[]> {
  return db.updateTable('signing_keys').set({ retired_at: at }).where('retired_at', 'is', null).returningAll().execute();
}

export async function deleteKeys(db: Db, kids: string[]): Promise<void> {
  if (kids.length) await db.deleteFrom('signing_keys').where('kid', 'in', kids).execute();
}
