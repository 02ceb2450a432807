// Kysely queries of passkeys and their ceremony challenges: plain functions over `db` or
// `trx`, no rules. The first two are also exported by index.ts, for other modules' rules
// that need them before the passkeys service exists (the second step of sign-in asks
// whether a user has one; the first proof of an address removes them).
import { sql, type Insertable } from 'kysely';
import type { Read, ReadBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { PasskeyChallengeRow, PasskeyChallengesTable, PasskeyRow, PasskeysTable } from './passkeys.table.ts';

/** Whether the user has at least one passkey, as a part of a read batch. */
export const hasPasskeysRead = (reads: ReadBatch, db: Db, userId: string): Read<boolean> =>
  reads.value(sql`select exists (${db.selectFrom('passkeys').select('id').where('user_id', '=', userId)})`);

/** Removes every passkey of a user and their ceremonies in flight; returns how many passkeys. */
export async function removeAllOf(trx: Db, userId: string): Promise<number> {
  const r = await trx.deleteFrom('passkeys').where('user_id', '=', userId).executeTakeFirst();
  await trx.deleteFrom('passkey_challenges').where('user_id', '=', userId).execute();
  return Number(r.numDeletedRows);
}

/** A user's passkeys, oldest first. */
export async function passkeysOf(db: Db, userId: string): Promise<PasskeyRow[]> {
  return db.selectFrom('passkeys').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

export async function findPasskey(db: Db, id: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Stores a passkey unless one of its credential id exists; returns the row, or undefined when it existed. */
export async function insertPasskeyIfNew(db: Db, row: Insertable<PasskeysTable>): Promise<PasskeyRow | undefined> {
  return db.insertInto('passkeys').values(row).onConflict((oc) => oc.column('id').doNothing()).returningAll().executeTakeFirst();
}

/** Stores the signature counter an assertion carried and when the passkey was used. */
export async function recordPasskeyUse(db: Db, id: string, counter: string, at: Date): Promise<void> {
  await db.updateTable('passkeys').set({ counter, last_used_at: at }).where('id', '=', id).execute();
}

/** Renames a passkey of the user; returns the row, or undefined when the user has none of that id. */
export async function renamePasskey(db: Db, userId: string, id: string, name: string): Promise<PasskeyRow | undefined> {
  return db.updateTable('passkeys').set({ name }).where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst();
}

export async function deletePasskey(db: Db, id: string, userId: string): Promise<void> {
  await db.deleteFrom('passkeys').where('id', '=', id).where('user_id', '=', userId).execute();
}

export async function insertCeremonyChallenge(db: Db, row: Insertable<PasskeyChallengesTable>): Promise<void> {
  await db.insertInto('passkey_challenges').values(row).execute();
}

/**
 * Spends a ceremony challenge of one of `purposes` that is unspent and unexpired at `at`;
 * returns it, or undefined when there is no such challenge.
 */
export async function spendCeremonyChallenge(db: Db, challenge: string, purposes: string[], at: Date): Promise<PasskeyChallengeRow | undefined> {
  return db.updateTable('passkey_challenges').set({ consumed_at: at })
    .where('challenge', '=', challenge).where('purpose', 'in', purposes).where('consumed_at', 'is', null).where('expires_at', '>', at)
    .returningAll().executeTakeFirst();
}

export async function deleteCeremonyChallengesExpiredBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('passkey_challenges').where('expires_at', '<', before).execute();
}
