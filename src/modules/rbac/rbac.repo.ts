import { sql } from 'kysely';
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

/** The default role first, then the extra roles in name order; empty for an unknown user. */
export async function rolesOfUser(db: Db, userId: string): Promise<string[]> {
  const rows = await sql<{ role: string; d: number }>`
    select role, 0 as d from users where id = ${userId}
    union select role, 1 as d from user_roles where user_id = ${userId}
    order by d, role`.execute(db);
  return [...new Set(rows.rows.map((r) => r.role))];
}

export async function userRoleGrants(db: Db, userId: string): Promise<{ role: string; granted_by: string | null; granted_at: Date }[]> {
  return db.selectFrom('user_roles').select(['role', 'granted_by', 'granted_at']).where('user_id', '=', userId).orderBy('role').execute();
}

/** Active users holding any of `roles` (as default or extra role), but `except`. */
export async function countHolders(db: Db, roles: string[], except: string | null): Promise<number> {
  if (!roles.length) return 0;
  const r = await sql<{ n: string }>`
    select count(*) as n from users u
    where u.is_active and u.id <> ${except ?? '00000000-0000-0000-0000-000000000000'}
      and (u.role in (${sql.join(roles)}) or exists (select 1 from user_roles ur where ur.user_id = u.id and ur.role in (${sql.join(roles)})))`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** Serializes changes that guard the last super_admin and the role graph (cycle checks). */
export async function lockGraph(db: Db): Promise<void> {
  await sql`select name from roles where name = 'super_admin' for update`.execute(db);
}
