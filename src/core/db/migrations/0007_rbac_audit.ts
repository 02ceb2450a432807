import { sql, type Kysely } from 'kysely';

// Roles, permissions and their grants (with inheritance between roles), extra roles of
// users, service accounts with their permissions, and the audit log. The built-in roles
// and Tessera's own permissions are seeded here; applications add theirs at run time.
export const BUILT_IN_PERMISSIONS: [string, string][] = [
  ['*', 'Every permission, present and future (super_admin)'],
  ['users:read', 'List and view users, their sessions, factors and roles'],
  ['users:write', 'Create and update users; disable, enable, unlock; reset MFA; force a password reset'],
  ['users:delete', 'Delete users'],
  ['sessions:revoke', "Revoke users' sessions"],
  ['roles:read', 'View roles and permissions'],
  ['roles:manage', 'Create, change and delete roles and permissions; assign roles'],
  ['audit:read', 'Read the audit log'],
  ['service_accounts:manage', 'Create, change, rotate and delete service accounts'],
];

export const BUILT_IN_ROLES: { name: string; description: string; permissions: string[]; includes: string[] }[] = [
  { name: 'viewer', description: 'Default role of new accounts: no administrative permission', permissions: [], includes: [] },
  { name: 'user', description: 'An ordinary user: no administrative permission', permissions: [], includes: [] },
  { name: 'moderator', description: 'Reads users and the audit log; revokes sessions', permissions: ['users:read', 'roles:read', 'audit:read', 'sessions:revoke'], includes: [] },
  { name: 'admin', description: 'Manages users, roles and service accounts', permissions: ['users:write', 'users:delete', 'roles:manage', 'service_accounts:manage'], includes: ['moderator'] },
  { name: 'super_admin', description: 'Every permission', permissions: ['*'], includes: ['admin'] },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table roles (
      name text primary key,
      description text not null default '',
      built_in boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table permissions (
      name text primary key,
      description text not null default '',
      built_in boolean not null default false,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table role_permissions (
      role text not null references roles (name) on delete cascade,
      permission text not null references permissions (name) on delete cascade,
      granted_by uuid,
      granted_at timestamptz not null default now(),
      primary key (role, permission)
    )`.execute(db);
  // A role includes every permission of the roles it includes (transitively); no cycles.
  await sql`
    create table role_includes (
      role text not null references roles (name) on delete cascade,
      includes text not null references roles (name) on delete cascade,
      created_at timestamptz not null default now(),
      primary key (role, includes),
      check (role <> includes)
    )`.execute(db);
  // Roles of a user beside the default one (users.role).
  await sql`
    create table user_roles (
      user_id uuid not null references users (id) on delete cascade,
      role text not null references roles (name) on delete cascade,
      granted_by uuid,
      granted_at timestamptz not null default now(),
      primary key (user_id, role)
    )`.execute(db);
  await sql`create index user_roles_role_idx on user_roles (role)`.execute(db);

  await sql`alter table users add column metadata jsonb not null default '{}'::jsonb`.execute(db);
  await sql`alter table users add column password_reset_required boolean not null default false`.execute(db);
  await sql`create index users_role_idx on users (role)`.execute(db);
  await sql`create index users_created_idx on users (created_at, id)`.execute(db);

  // Machine clients: the secret is stored as a SHA-256 hash (it is 256 random bits).
  await sql`
    create table service_accounts (
      id uuid primary key,
      client_id text not null unique,
      name text not null,
      description text not null default '',
      secret_hash bytea not null,
      secret_expires_at timestamptz,
      is_active boolean not null default true,
      created_by uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_used_at timestamptz
    )`.execute(db);
  await sql`
    create table service_account_permissions (
      service_account_id uuid not null references service_accounts (id) on delete cascade,
      permission text not null references permissions (name) on delete cascade,
      primary key (service_account_id, permission)
    )`.execute(db);

  // Who did what to whom, when, from where. No foreign keys: entries outlive what they name.
  await sql`
    create table audit_log (
      id bigserial primary key,
      occurred_at timestamptz not null,
      type text not null,
      actor_type text not null,
      actor_id text,
      subject_user_id uuid,
      ip text,
      user_agent text,
      success boolean not null,
      reason text,
      details jsonb not null default '{}'::jsonb
    )`.execute(db);
  await sql`create index audit_log_time_idx on audit_log (occurred_at, id)`.execute(db);
  await sql`create index audit_log_subject_idx on audit_log (subject_user_id, id)`.execute(db);
  await sql`create index audit_log_type_idx on audit_log (type, id)`.execute(db);

  for (const [name, description] of BUILT_IN_PERMISSIONS) {
    await sql`insert into permissions (name, description, built_in) values (${name}, ${description}, true)`.execute(db);
  }
  for (const r of BUILT_IN_ROLES) {
    await sql`insert into roles (name, description, built_in) values (${r.name}, ${r.description}, true)`.execute(db);
  }
  for (const r of BUILT_IN_ROLES) {
    for (const p of r.permissions) await sql`insert into role_permissions (role, permission) values (${r.name}, ${p})`.execute(db);
    for (const i of r.includes) await sql`insert into role_includes (role, includes) values (${r.name}, ${i})`.execute(db);
  }
  // Roles already in use (a custom AUTH_DEFAULT_ROLE) become roles of their own.
  await sql`insert into roles (name) select distinct role from users on conflict (name) do nothing`.execute(db);
  await sql`alter table users add constraint users_role_fkey foreign key (role) references roles (name) on update cascade`.execute(db);
  // The first admin of an existing database also becomes super_admin, so that one exists.
  await sql`
    insert into user_roles (user_id, role)
    select id, 'super_admin' from users where role = 'admin' order by created_at, id limit 1`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users drop constraint if exists users_role_fkey`.execute(db);
  for (const t of ['audit_log', 'service_account_permissions', 'service_accounts', 'user_roles', 'role_includes', 'role_permissions', 'permissions', 'roles']) {
    await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  }
  await sql`alter table users drop column if exists metadata`.execute(db);
  await sql`alter table users drop column if exists password_reset_required`.execute(db);
}
