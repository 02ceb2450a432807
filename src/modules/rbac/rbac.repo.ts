import { sql } from 'kysely';
import type { Read, ReadBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { PermissionRow, RoleRow } from './rbac.table.ts';

export interface GraphRows {
  roles: RoleRow[];
  grants: { role: string; permission: string }[];
  includes: { role: string; includes: string }[];
}

export async function loadGraph(db: Db): Promise<GraphRows> {
  const [roles, grants, includes] = await Promise.all([
    db.selectFrom('roles').selectAll().orderBy('name').execute(),
    db.selectFrom('role_permissions').select(['role', 'permission']).orderBy('permission').execute(),
    db.selectFrom('role_includes').select(['role', 'includes']).orderBy('includes').execute(),
  ]);
  return { roles, grants, includes };
}

export async function listPermissions(db: Db): Promise<PermissionRow[]> {
  return db.selectFrom('permissions').selectAll().orderBy('name').execute();
}

export async function findPermission(db: Db, name: string): Promise<PermissionRow | undefined> {
  return db.selectFrom('permissions').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function findRole(db: Db, name: string): Promise<RoleRow | undefined> {
  return db.selectFrom('roles').selectAll().where('name', '=', name).executeTakeFirst();
}

/** A user's extra roles (beside the primary role the users module keeps), in name order. */
export async function extraRolesOf(db: Db, userId: string): Promise<string[]> {
  return (await db.selectFrom('user_roles').select('role').where('user_id', '=', userId).orderBy('role').execute()).map((r) => r.role);
}

/** extraRolesOf as a part of a read batch. */
export const extraRolesRead = (reads: ReadBatch, db: Db, userId: string): Read<string[]> =>
  reads.value(db.selectFrom('user_roles').select(sql<string[]>`coalesce(array_agg(role order by role), '{}')::text[]`.as('roles')).where('user_id', '=', userId));

export async function userRoleGrants(db: Db, userId: string): Promise<{ role: string; granted_by: string | null; granted_at: Date }[]> {
  return db.selectFrom('user_roles').select(['role', 'granted_by', 'granted_at']).where('user_id', '=', userId).orderBy('role').execute();
}

/** Users holding any of `roles` as an extra role (each once). */
export async function extraHoldersOf(db: Db, roles: string[]): Promise<string[]> {
  if (!roles.length) return [];
  return (await db.selectFrom('user_roles').select('user_id').distinct().where('role', 'in', roles).execute()).map((r) => r.user_id);
}

/** The users who hold `role` as an extra role. */
export async function userIdsWithExtraRole(db: Db, role: string): Promise<string[]> {
  return (await db.selectFrom('user_roles').select('user_id').where('role', '=', role).execute()).map((r) => r.user_id);
}

export async function insertRole(db: Db, row: { name: string; description: string; created_at: Date; updated_at: Date }): Promise<void> {
  await db.insertInto('roles').values(row).execute();
}

/** Inserts a role with defaults unless it exists; true when it was added. */
export async function ensureRole(db: Db, name: string): Promise<boolean> {
  return Boolean(await db.insertInto('roles').values({ name }).onConflict((oc) => oc.column('name').doNothing()).returning('name').executeTakeFirst());
}

export async function setRoleDescription(db: Db, name: string, description: string, at: Date): Promise<void> {
  await db.updateTable('roles').set({ description, updated_at: at }).where('name', '=', name).execute();
}

export async function deleteRole(db: Db, name: string): Promise<void> {
  await db.deleteFrom('roles').where('name', '=', name).execute();
}

export async function insertPermission(db: Db, row: { name: string; description: string; created_at: Date }): Promise<void> {
  await db.insertInto('permissions').values(row).execute();
}

export async function deletePermission(db: Db, name: string): Promise<void> {
  await db.deleteFrom('permissions').where('name', '=', name).execute();
}

type Grant = { role: string; permission: string; granted_by: string | null; granted_at: Date };

export async function insertGrant(db: Db, row: Grant): Promise<void> {
  await db.insertInto('role_permissions').values(row).execute();
}

/** Grants a permission to a role unless it holds it; true when it was added. */
export async function addGrant(db: Db, row: Grant): Promise<boolean> {
  return Boolean(await db.insertInto('role_permissions').values(row).onConflict((oc) => oc.columns(['role', 'permission']).doNothing()).returning('role').executeTakeFirst());
}

/** True when the role held the permission. */
export async function deleteGrant(db: Db, role: string, permission: string): Promise<boolean> {
  return Boolean(await db.deleteFrom('role_permissions').where('role', '=', role).where('permission', '=', permission).returning('role').executeTakeFirst());
}

/** The roles a permission is granted to. */
export async function rolesGranting(db: Db, permission: string): Promise<string[]> {
  return (await db.selectFrom('role_permissions').select('role').where('permission', '=', permission).execute()).map((r) => r.role);
}

type Include = { role: string; includes: string; created_at: Date };

export async function insertInclude(db: Db, row: Include): Promise<void> {
  await db.insertInto('role_includes').values(row).execute();
}

/** Makes a role include another unless it does; true when it was added. */
export async function addInclude(db: Db, row: Include): Promise<boolean> {
  return Boolean(await db.insertInto('role_includes').values(row).onConflict((oc) => oc.columns(['role', 'includes']).doNothing()).returning('role').executeTakeFirst());
}

/** True when the role included the other. */
export async function deleteInclude(db: Db, role: string, included: string): Promise<boolean> {
  return Boolean(await db.deleteFrom('role_includes').where('role', '=', role).where('includes', '=', included).returning('role').executeTakeFirst());
}

type UserRole = { user_id: string; role: string; granted_by: string | null; granted_at: Date };

/** Gives a user an extra role unless they hold it; true when it was added. */
export async function addUserRole(db: Db, row: UserRole): Promise<boolean> {
  return Boolean(await db.insertInto('user_roles').values(row).onConflict((oc) => oc.columns(['user_id', 'role']).doNothing()).returning('role').executeTakeFirst());
}

/** True when the user held the extra role. */
export async function deleteUserRole(db: Db, userId: string, role: string): Promise<boolean> {
  return Boolean(await db.deleteFrom('user_roles').where('user_id', '=', userId).where('role', '=', role).returning('role').executeTakeFirst());
}

/** Serializes changes that guard the last super_admin and the role graph (cycle checks). */
export async function lockGraph(db: Db): Promise<void> {
  await sql`select name from roles where name = 'super_admin' for update`.execute(db);
}
