import type { Generated, Selectable } from 'kysely';

export interface RolesTable {
  name: string;
  description: Generated<string>;
  built_in: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PermissionsTable {
  name: string;
  description: Generated<string>;
  built_in: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface RolePermissionsTable {
  role: string;
  permission: string;
  granted_by: string | null;
  granted_at: Generated<Date>;
}

export interface RoleIncludesTable {
  role: string;
  includes: string;
  created_at: Generated<Date>;
}

export interface UserRolesTable {
  user_id: string;
  role: string;
  granted_by: string | null;
  granted_at: Generated<Date>;
}

export type RoleRow = Selectable<RolesTable>;
export type PermissionRow = Selectable<PermissionsTable>;
