import type { Db } from '../../database.ts';
import type { ServiceAccountRow, ServiceAccountsTable } from './service-accounts.table.ts';
import type { Insertable, Updateable } from 'kysely';

export async function insertAccount(db: Db, row: Insertable<ServiceAccountsTable>): Promise<void> {
  await db.insertInto('service_accounts').values(row).execute();
}

export async function findById(db: Db, id: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The account of an id, locked for the transaction. */
export async function lockById(trx: Db, id: string): Promise<ServiceAccountRow | undefined> {
  return trx.selectFrom('service_accounts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateAccount(db: Db, id: string, set: Updateable<ServiceAccountsTable>): Promise<void> {
  await db.updateTable('service_accounts').set(set).where('id', '=', id).execute();
}

/** updateAccount; false when there is no account of that id. */
export async function updateAccountIfExists(db: Db, id: string, set: Updateable<ServiceAccountsTable>): Promise<boolean> {
  return (await db.updateTable('service_accounts').set(set).where('id', '=', id).returning('id').executeTakeFirst()) !== undefined;
}

/** Deletes an account; returns its id and client id, or undefined when there was none. */
export async function deleteAccount(db: Db, id: string): Promise<Pick<ServiceAccountRow, 'id' | 'client_id'> | undefined> {
  return db.deleteFrom('service_accounts').where('id', '=', id).returning(['id', 'client_id']).executeTakeFirst();
}

export async function findByClientId(db: Db, clientId: string): Promise<ServiceAccountRow | undefined> {
  return db.selectFrom('service_accounts').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function listAccounts(db: Db): Promise<ServiceAccountRow[]> {
  return db.selectFrom('service_accounts').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function permissionsOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const rows = await db.selectFrom('service_account_permissions').select(['service_account_id', 'permission']).where('service_account_id', 'in', ids).orderBy('permission').execute();
  for (const r of rows) out.get(r.service_account_id)?.push(r.permission);
  return out;
}

export async function setPermissions(db: Db, id: string, permissions: string[]): Promise<void> {
  await db.deleteFrom('service_account_permissions').where('service_account_id', '=', id).execute();
  if (permissions.length) await db.insertInto('service_account_permissions').values(permissions.map((permission) => ({ service_account_id: id, permission }))).execute();
}
