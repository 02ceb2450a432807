import { sql, type Kysely } from 'kysely';

// Signing keys in the admin API (GET /admin/keys, POST /admin/keys/rotate): two built-in
// permissions, granted to `admin` like those of webhooks and social sign-in. Until now
// keys were rotated only with the CLI, which needs no permission.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`insert into permissions (name, description, built_in) values
    ('keys:read', 'View the signing keys of access tokens (public halves only)', true),
    ('keys:manage', 'Rotate the signing keys of access tokens', true)
    on conflict (name) do nothing`.execute(db);
  await sql`insert into role_permissions (role, permission)
    select 'admin', p from unnest(array['keys:read', 'keys:manage']) as p where exists (select 1 from roles where name = 'admin')
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from role_permissions where permission in ('keys:read', 'keys:manage')`.execute(db);
  await sql`delete from permissions where name in ('keys:read', 'keys:manage')`.execute(db);
}
