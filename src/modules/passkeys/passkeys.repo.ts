// Kysely queries of passkeys that other modules' rules need before the passkeys service
// exists (the second step of sign-in asks whether a user has one; the first proof of an
// address removes them). Plain functions over `db` or `trx`.
import type { Db } from '../../database.ts';

/** Whether the user has at least one passkey. */
export const hasPasskeys = async (db: Db, userId: string): Promise<boolean> =>
  (await db.selectFrom('passkeys').select('id').where('user_id', '=', userId).limit(1).execute()).length > 0;

/** Removes every passkey of a user and their ceremonies in flight; returns how many passkeys. */
export async function removeAllOf(trx: Db, userId: string): Promise<number> {
  const r = await trx.deleteFrom('passkeys').where('user_id', '=', userId).executeTakeFirst();
  await trx.deleteFrom('passkey_challenges').where('user_id', '=', userId).execute();
  return Number(r.numDeletedRows);
}
