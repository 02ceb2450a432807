import { sql, type Kysely } from 'kysely';

// Organizations (issue 36): organizations, their members with an organization role, email
// invitations (only the SHA-256 of the token is stored), and the active organization of a
// session. Organization roles are RBAC roles whose name starts with `org.`: they reuse the
// permission catalogue and the inclusion hierarchy. The three built-in ones are seeded
// here with the organization permissions; two admin API permissions go to the admin roles.
export const ORGANIZATION_PERMISSIONS: [string, string][] = [
  ['organization:read', 'Organization scope: view the organization, its members and invitations'],
  ['organization:update', 'Organization scope: change the name, slug, logo and metadata'],
  ['organization:delete', 'Organization scope: delete the organization'],
  ['organization:transfer', 'Organization scope: transfer ownership'],
  ['organization.members:manage', "Organization scope: change members' roles and remove members"],
  ['organization.invitations:manage', 'Organization scope: invite by email and revoke invitations'],
  ['organizations:read', 'Admin API: list and view every organization, its members and invitations'],
  ['organizations:manage', 'Admin API: create, change and delete organizations; add and remove members'],
];

export const ORGANIZATION_ROLES: { name: string; description: string; permissions: string[]; includes: string[] }[] = [
  { name: 'org.member', description: 'Organization role: a member (reads the organization and its members)', permissions: ['organization:read'], includes: [] },
  { name: 'org.admin', description: 'Organization role: manages members, invitations and the profile', permissions: ['organization:update', 'organization.members:manage', 'organization.invitations:manage'], includes: ['org.member'] },
  { name: 'org.owner', description: 'Organization role: everything, including deletion and ownership transfer', permissions: ['organization:delete', 'organization:transfer'], includes: ['org.admin'] },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organizations (
      id uuid primary key,
      name text not null,
      slug text not null,
      logo_url text,
      metadata jsonb not null default '{}'::jsonb,
      created_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index organizations_slug_key on organizations (slug)`.execute(db);
  await sql`create index organizations_created_idx on organizations (created_at, id)`.execute(db);
  // The role is an RBAC role (`org.*`); the RBAC module refuses to delete one in use.
  await sql`
    create table organization_members (
      organization_id uuid not null references organizations (id) on delete cascade,
      user_id uuid not null references users (id) on delete cascade,
      role text not null references roles (name) on update cascade,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (organization_id, user_id)
    )`.execute(db);
  await sql`create index organization_members_user_idx on organization_members (user_id)`.execute(db);
  await sql`create index organization_members_role_idx on organization_members (role)`.execute(db);
  await sql`
    create table organization_invitations (
      id uuid primary key,
      organization_id uuid not null references organizations (id) on delete cascade,
      email text not null,
      role text not null references roles (name) on update cascade on delete cascade,
      token_hash bytea not null,
      invited_by uuid references users (id) on delete set null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      accepted_at timestamptz,
      accepted_by uuid references users (id) on delete set null,
      revoked_at timestamptz
    )`.execute(db);
  await sql`create unique index organization_invitations_token_key on organization_invitations (token_hash)`.execute(db);
  await sql`create index organization_invitations_org_idx on organization_invitations (organization_id, created_at)`.execute(db);
  await sql`create index organization_invitations_email_idx on organization_invitations (lower(email))`.execute(db);
  // The session's active organization: cleared when the organization goes.
  await sql`alter table sessions add column organization_id uuid references organizations (id) on delete set null`.execute(db);
  await sql`create index sessions_organization_idx on sessions (organization_id) where organization_id is not null`.execute(db);

  for (const [name, description] of ORGANIZATION_PERMISSIONS) {
    await sql`insert into permissions (name, description, built_in) values (${name}, ${description}, true) on conflict (name) do nothing`.execute(db);
  }
  for (const r of ORGANIZATION_ROLES) {
    await sql`insert into roles (name, description, built_in) values (${r.name}, ${r.description}, true) on conflict (name) do nothing`.execute(db);
  }
  for (const r of ORGANIZATION_ROLES) {
    for (const p of r.permissions) await sql`insert into role_permissions (role, permission) values (${r.name}, ${p}) on conflict do nothing`.execute(db);
    for (const i of r.includes) await sql`insert into role_includes (role, includes) values (${r.name}, ${i}) on conflict do nothing`.execute(db);
  }
  await sql`insert into role_permissions (role, permission)
    select 'moderator', 'organizations:read' where exists (select 1 from roles where name = 'moderator')
    on conflict do nothing`.execute(db);
  await sql`insert into role_permissions (role, permission)
    select 'admin', 'organizations:manage' where exists (select 1 from roles where name = 'admin')
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sessions drop column if exists organization_id`.execute(db);
  await sql`drop table if exists organization_invitations`.execute(db);
  await sql`drop table if exists organization_members`.execute(db);
  await sql`drop table if exists organizations`.execute(db);
  await sql`delete from roles where name in ('org.member', 'org.admin', 'org.owner')`.execute(db);
  await sql`delete from permissions where name in (${sql.join(ORGANIZATION_PERMISSIONS.map(([n]) => n))})`.execute(db);
}
