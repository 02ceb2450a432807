// Kysely queries of the OpenID Connect provider's tables; no rules.
import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../../database.ts';
import type { AuthorizationParams, OidcClientsTable, OidcCodesTable, OidcGrantsTable } from './oidc.table.ts';

// ---- clients ------------------------------------------------------------------------------

export const listClients = (db: Db) => db.selectFrom('oidc_clients').selectAll().orderBy('created_at').orderBy('client_id').execute();

export const findClient = (db: Db, clientId: string) =>
  db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();

export const insertClient = (db: Db, row: Insertable<OidcClientsTable>) =>
  db.insertInto('oidc_clients').values(row).returningAll().executeTakeFirstOrThrow();

export const updateClient = (db: Db, clientId: string, set: Updateable<OidcClientsTable>) =>
  db.updateTable('oidc_clients').set(set).where('client_id', '=', clientId).returningAll().executeTakeFirst();

export const deleteClient = async (db: Db, clientId: string) =>
  Number((await db.deleteFrom('oidc_clients').where('client_id', '=', clientId).executeTakeFirst()).numDeletedRows) > 0;

// ---- authorization requests -----------------------------------------------------------------

export const insertRequest = (db: Db, row: { id_hash: Buffer; client_id: string; params: AuthorizationParams; created_at: Date; expires_at: Date }) =>
  db.insertInto('oidc_auth_requests').values({ ...row, params: JSON.stringify(row.params) }).execute();

export const findRequest = (db: Db, idHash: Buffer) =>
  db.selectFrom('oidc_auth_requests').selectAll().where('id_hash', '=', idHash).executeTakeFirst();

export const deleteRequest = async (db: Db, idHash: Buffer) =>
  Number((await db.deleteFrom('oidc_auth_requests').where('id_hash', '=', idHash).executeTakeFirst()).numDeletedRows) > 0;

// ---- codes ----------------------------------------------------------------------------------

export const insertCode = (db: Db, row: Insertable<OidcCodesTable>) => db.insertInto('oidc_codes').values(row).execute();

/** The code's row, locked: concurrent exchanges of one code are decided one after another. */
export const findCodeForUpdate = (db: Db, hash: Buffer) =>
  db.selectFrom('oidc_codes').selectAll().where('code_hash', '=', hash).forUpdate().executeTakeFirst();

export const markCodeUsed = (db: Db, hash: Buffer, at: Date) =>
  db.updateTable('oidc_codes').set({ used_at: at }).where('code_hash', '=', hash).execute();

// ---- consents -------------------------------------------------------------------------------

export const findConsent = (db: Db, userId: string, clientId: string) =>
  db.selectFrom('oidc_consents').selectAll().where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst();

export const saveConsent = (db: Db, userId: string, clientId: string, scopes: string[], at: Date) =>
  db.insertInto('oidc_consents').values({ user_id: userId, client_id: clientId, scopes, granted_at: at })
    .onConflict((oc) => oc.columns(['user_id', 'client_id']).doUpdateSet({ scopes, granted_at: at })).execute();

export const listConsents = (db: Db, userId: string) =>
  db.selectFrom('oidc_consents').innerJoin('oidc_clients', 'oidc_clients.client_id', 'oidc_consents.client_id')
    .select(['oidc_consents.client_id', 'oidc_consents.scopes', 'oidc_consents.granted_at', 'oidc_clients.name', 'oidc_clients.logo_url'])
    .where('oidc_consents.user_id', '=', userId).orderBy('oidc_consents.granted_at', 'desc').execute();

export const deleteConsent = async (db: Db, userId: string, clientId: string) =>
  Number((await db.deleteFrom('oidc_consents').where('user_id', '=', userId).where('client_id', '=', clientId).executeTakeFirst()).numDeletedRows) > 0;

// ---- grants ---------------------------------------------------------------------------------

export const insertGrant = (db: Db, row: Insertable<OidcGrantsTable>) => db.insertInto('oidc_grants').values(row).execute();

export const findGrant = (db: Db, sessionId: string) =>
  db.selectFrom('oidc_grants').selectAll().where('session_id', '=', sessionId).executeTakeFirst();

/**
 * Grants started from a browser session whose client was not told of their end yet: those
 * of one browser session, or every one of a user (grants.ts keeps those whose browser
 * session ended).
 */
export const unnotifiedSsoGrants = (db: Db, by: { ssoSessionId: string } | { userId: string }) => {
  let q = db.selectFrom('oidc_grants')
    .select(['session_id', 'client_id', 'user_id', 'sso_session_id'])
    .where('sso_session_id', 'is not', null)
    .where('logout_notified_at', 'is', null);
  q = 'ssoSessionId' in by ? q.where('sso_session_id', '=', by.ssoSessionId) : q.where('user_id', '=', by.userId);
  return q.execute();
};

/** Claims the back-channel notice of ended grants: only the rows this call marks are notified. */
export const claimLogoutNotices = async (db: Db, sessionIds: string[], at: Date) => {
  if (!sessionIds.length) return [];
  return db.updateTable('oidc_grants').set({ logout_notified_at: at })
    .from('oidc_clients')
    .whereRef('oidc_clients.client_id', '=', 'oidc_grants.client_id')
    .where('oidc_grants.session_id', 'in', sessionIds).where('oidc_grants.logout_notified_at', 'is', null)
    .returning(['oidc_grants.session_id', 'oidc_grants.client_id', 'oidc_grants.user_id', 'oidc_grants.sso_session_id', 'oidc_clients.backchannel_logout_uri'])
    .execute();
};

/** Grants started from a browser session, with their client's back-channel logout URI. */
export const grantsOfSso = (db: Db, ssoSessionId: string) =>
  db.selectFrom('oidc_grants').innerJoin('oidc_clients', 'oidc_clients.client_id', 'oidc_grants.client_id')
    .select(['oidc_grants.session_id', 'oidc_grants.client_id', 'oidc_grants.user_id', 'oidc_clients.backchannel_logout_uri'])
    .where('oidc_grants.sso_session_id', '=', ssoSessionId).execute();

/** Grants of a user to a client. */
export const grantsOf = (db: Db, userId: string, clientId: string) =>
  db.selectFrom('oidc_grants').select(['session_id']).where('user_id', '=', userId).where('client_id', '=', clientId).execute();

/** Grants held by a client. */
export const grantsOfClient = (db: Db, clientId: string) =>
  db.selectFrom('oidc_grants').select(['session_id']).where('client_id', '=', clientId).execute();

// ---- housekeeping ---------------------------------------------------------------------------

export async function pruneExpired(db: Db, before: Date): Promise<number> {
  const a = await db.deleteFrom('oidc_auth_requests').where('expires_at', '<', before).executeTakeFirst();
  const b = await db.deleteFrom('oidc_codes').where('expires_at', '<', before).executeTakeFirst();
  return Number(a.numDeletedRows) + Number(b.numDeletedRows);
}
