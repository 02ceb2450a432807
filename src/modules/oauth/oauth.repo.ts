// Kysely queries of social sign-in: identities, states in flight, stored providers.
import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { IdentityRow, OAuthStateRow, UserIdentitiesTable } from './oauth.table.ts';
import type { Insertable, Updateable } from 'kysely';

export const insertState = (db: Db, row: OAuthStateRow) => db.insertInto('oauth_states').values(row).execute();

/** Takes a state out (single use): the row, whatever its expiry, or undefined. */
export const takeState = (db: Db, stateHash: Buffer, provider: string) =>
  db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).where('provider', '=', provider).returningAll().executeTakeFirst();

export const pruneStates = (db: Db, now: Date) => db.deleteFrom('oauth_states').where('expires_at', '<', now).execute();

export const findIdentity = (db: Db, provider: string, providerUserId: string) =>
  db.selectFrom('user_identities').selectAll().where('provider', '=', provider).where('provider_user_id', '=', providerUserId).executeTakeFirst();

export const identityOf = (db: Db, userId: string, provider: string) =>
  db.selectFrom('user_identities').selectAll().where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();

export const identitiesOf = (db: Db, userId: string) =>
  db.selectFrom('user_identities').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();

export const insertIdentity = (db: Db, row: Insertable<UserIdentitiesTable>) => db.insertInto('user_identities').values(row).returningAll().executeTakeFirstOrThrow();

export const updateIdentity = (db: Db, id: string, changes: Updateable<UserIdentitiesTable>) =>
  db.updateTable('user_identities').set(changes).where('id', '=', id).returningAll().executeTakeFirst();

export const deleteIdentity = (db: Db, userId: string, provider: string) =>
  db.deleteFrom('user_identities').where('user_id', '=', userId).where('provider', '=', provider).returningAll().executeTakeFirst();

/**
 * Claims up to `limit` identities whose refresh is due and not held by another worker,
 * holding them until `lockedUntil`. Rows locked by a concurrent claim are skipped.
 */
export async function claimDue(db: Db, now: Date, lockedUntil: Date, limit: number): Promise<IdentityRow[]> {
  const { rows } = await sql<IdentityRow>`
    update user_identities set refresh_locked_until = ${lockedUntil}
    where id in (
      select id from user_identities
      where refresh_due_at <= ${now} and needs_reconsent = false
        and (refresh_locked_until is null or refresh_locked_until < ${now})
      order by refresh_due_at
      limit ${limit}
      for update skip locked
    )
    returning *`.execute(db);
  return rows;
}

/** Claims one identity for an on-demand refresh; undefined when another worker holds it. */
export async function claimOne(db: Db, id: string, now: Date, lockedUntil: Date): Promise<IdentityRow | undefined> {
  return db.updateTable('user_identities').set({ refresh_locked_until: lockedUntil })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('refresh_locked_until', 'is', null), eb('refresh_locked_until', '<', now)]))
    .returningAll().executeTakeFirst();
}

/** Writes the outcome of a refresh only while this worker still holds the claim. */
export const finishRefresh = (db: Db, id: string, heldUntil: Date, changes: Updateable<UserIdentitiesTable>) =>
  db.updateTable('user_identities').set({ ...changes, refresh_locked_until: null })
    .where('id', '=', id).where('refresh_locked_until', '=', heldUntil)
    .returningAll().executeTakeFirst();
