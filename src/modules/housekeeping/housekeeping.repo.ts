// Kysely queries of housekeeping's table (job_leases): plain functions over `db`, no rules.
import type { Db } from '../../database.ts';

/**
 * Takes the lease `name` for `holder` until `until` when it is free, held by `holder`
 * already, or ran out by `now`; returns the lease's holder after the statement, or
 * undefined when another holder's live lease was left as it was.
 */
export async function takeLease(db: Db, name: string, holder: string, until: Date, now: Date): Promise<string | undefined> {
  const row = await db.insertInto('job_leases').values({ name, holder, expires_at: until })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, expires_at: until })
      .where((eb) => eb.or([eb('job_leases.holder', '=', holder), eb('job_leases.expires_at', '<=', now)])))
    .returning('holder').executeTakeFirst();
  return row?.holder;
}
