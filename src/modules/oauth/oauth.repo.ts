// Kysely queries of social sign-in: identities, states in flight, stored providers, the
// refresh worker's runs.
import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { IdentityRow, OAuthProvidersTable, OAuthStateRow, RefreshRunError, UserIdentitiesTable } from './oauth.table.ts';
import type { Insertable, Updateable } from 'kysely';

export const insertState = (db: Db, row: OAuthStateRow) => db.insertInto('oauth_states').values(row).execute();

/** Takes a browser flow's state out (single use): the row, whatever its expiry, or undefined. A native start's state is never the browser callback's. */
export const takeState = (db: Db, stateHash: Buffer, provider: string) =>
  db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).where('provider', '=', provider).where('client', '<>', 'native').returningAll().executeTakeFirst();

/** A native sign-in's state (see native.ts), left in place. */
export const findNativeState = (db: Db, stateHash: Buffer, provider: string) =>
  db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).where('provider', '=', provider).where('client', '=', 'native').executeTakeFirst();

/** Takes a native sign-in's state out (single use), only with the binding it was started with. */
export const takeNativeState = (db: Db, stateHash: Buffer, provider: string, binding: Buffer) =>
  db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).where('provider', '=', provider).where('client', '=', 'native')
    .where('browser_hash', '=', binding).returningAll().executeTakeFirst();

export const pruneStates = (db: Db, now: Date) => db.deleteFrom('oauth_states').where('expires_at', '<', now).execute();

export const findIdentity = (db: Db, provider: string, providerUserId: string) =>
  db.selectFrom('user_identities').selectAll().where('provider', '=', provider).where('provider_user_id', '=', providerUserId).executeTakeFirst();

export const identityOf = (db: Db, userId: string, provider: string) =>
  db.selectFrom('user_identities').selectAll().where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();

/** How many provider identities a user has. */
export const countIdentitiesOf = async (db: Db, userId: string) => Number((await db.selectFrom('user_identities').select((eb) => eb.fn.countAll<string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow()).n);

export const identitiesOf = (db: Db, userId: string) =>
  db.selectFrom('user_identities').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();

/** `provider provider_user_id` of the identities among these that exist already (imports). */
export async function takenIdentities(db: Db, pairs: { provider: string; providerUserId: string }[]): Promise<Set<string>> {
  if (!pairs.length) return new Set();
  const rows = await db.selectFrom('user_identities').select(['provider', 'provider_user_id'])
    .where('provider_user_id', 'in', [...new Set(pairs.map((p) => p.providerUserId))]).execute();
  return new Set(rows.map((r) => `${r.provider} ${r.provider_user_id}`));
}

export interface NewImportedIdentity {
  id: string; user_id: string; provider: string; provider_user_id: string; email: string | null; name: string | null; avatar_url: string | null;
  created_at: Date; updated_at: Date;
}

/** Inserts imported identities (no tokens) that no unique index refuses; returns how many went in. */
export async function insertImportedIdentities(db: Db, rows: NewImportedIdentity[]): Promise<number> {
  if (!rows.length) return 0;
  const inserted = await db.insertInto('user_identities')
    .values(rows.map((r) => ({ ...r, email_verified: false, profile: JSON.stringify({ imported: true }) as never, scopes: [], refresh_attempts: 0, needs_reconsent: false })))
    .onConflict((oc) => oc.doNothing()).returning('id').execute();
  return inserted.length;
}

/** Removes every identity of a user; returns how many. */
export const deleteIdentitiesOf = async (db: Db, userId: string) => Number((await db.deleteFrom('user_identities').where('user_id', '=', userId).executeTakeFirst()).numDeletedRows);

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

/** What the refresh worker looks after, by provider. */
export async function refreshCounts(db: Db, now: Date) {
  const { rows } = await sql<{ provider: string; identities: number; with_tokens: number; due: number; failing: number; needs_reconsent: number; next_due: Date | null; last_refreshed: Date | null }>`
    select provider, count(*)::int as identities,
      count(*) filter (where access_token_encrypted is not null)::int as with_tokens,
      count(*) filter (where refresh_due_at <= ${now} and not needs_reconsent)::int as due,
      count(*) filter (where last_refresh_error is not null and not needs_reconsent)::int as failing,
      count(*) filter (where needs_reconsent)::int as needs_reconsent,
      min(refresh_due_at) filter (where refresh_due_at > ${now} and not needs_reconsent) as next_due,
      max(last_refreshed_at) as last_refreshed
    from user_identities group by provider order by provider`.execute(db);
  return {
    providers: rows.map((r) => ({
      provider: r.provider, identities: r.identities, withTokens: r.with_tokens, due: r.due, failing: r.failing, needsReconsent: r.needs_reconsent,
      nextDue: r.next_due?.toISOString() ?? null, lastRefreshed: r.last_refreshed?.toISOString() ?? null,
    })),
  };
}

/** An identity by its id, whatever its state. */
export const findIdentityById = (db: Db, id: string) =>
  db.selectFrom('user_identities').selectAll().where('id', '=', id).executeTakeFirst();

/** The providers stored in the database, in name order. */
export const listProviders = (db: Db) => db.selectFrom('oauth_providers').selectAll().orderBy('name').execute();

/** The sealed secrets of a stored provider, or undefined when none is stored under that name. */
export const providerSecrets = (db: Db, name: string) =>
  db.selectFrom('oauth_providers').select(['client_secret_encrypted', 'private_key_encrypted']).where('name', '=', name).executeTakeFirst();

/** Inserts a provider, or replaces the stored one of that name (created_at stays). */
export async function upsertProvider(db: Db, row: Omit<Insertable<OAuthProvidersTable>, 'created_at'>, createdAt: Date): Promise<void> {
  await db.insertInto('oauth_providers').values({ ...row, created_at: createdAt }).onConflict((oc) => oc.column('name').doUpdateSet(row)).execute();
}

/** True when a stored provider was deleted. */
export async function deleteProvider(db: Db, name: string): Promise<boolean> {
  return Boolean(await db.deleteFrom('oauth_providers').where('name', '=', name).returning('name').executeTakeFirst());
}

export async function setProviderEnabled(db: Db, name: string, enabled: boolean, at: Date): Promise<boolean> {
  return Boolean(await db.updateTable('oauth_providers').set({ enabled, updated_at: at }).where('name', '=', name).returning('name').executeTakeFirst());
}

/** Replaces the record of the refresh worker's last run. */
export async function saveRefreshRun(db: Db, run: { startedAt: Date; finishedAt: Date; refreshed: number; failed: number; errors: RefreshRunError[] }): Promise<void> {
  const row = { id: 1, started_at: run.startedAt, finished_at: run.finishedAt, refreshed: run.refreshed, failed: run.failed, errors: JSON.stringify(run.errors) };
  await db.insertInto('oauth_refresh_runs').values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: row.started_at, finished_at: row.finished_at, refreshed: row.refreshed, failed: row.failed, errors: row.errors })).execute();
}

/** The refresh worker's last run that had work, if any. */
export const lastRefreshRun = (db: Db) => db.selectFrom('oauth_refresh_runs').select(['started_at', 'finished_at', 'refreshed', 'failed', 'errors']).executeTakeFirst();
