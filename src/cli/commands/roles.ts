import { Command } from 'commander';
import { confirm, findUser, list, operator, print, say, withDeps } from '../context.ts';

export function rolesCommand(): Command {
  const roles = new Command('roles').description('Roles: their permissions, inclusions and holders.')
    .addHelpText('after', `
Examples:
  $ tessera roles list
  $ tessera roles create editor --permissions posts:write,posts:read --includes viewer
  $ tessera roles grant editor posts:delete
  $ tessera roles assign ada@example.com editor`);

  roles.command('list')
    .description('Every role with its permissions (own and through included roles).')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const all = await deps.rbac.listRoles();
        print(Boolean(o.json), { roles: all }, { rows: all, columns: ['name', 'builtIn', 'includes', 'permissions', 'description'] });
      });
    });

  roles.command('show <role>')
    .description('One role, with its effective permissions.')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const r = await deps.rbac.getRole(name);
        print(Boolean(o.json), { role: r }, { rows: [r], columns: ['name', 'builtIn', 'includes', 'permissions', 'effectivePermissions'] });
      });
    });

  roles.command('create <name>')
    .description('Create a role.')
    .option('--description <text>', 'what the role is for')
    .option('--permissions <list>', 'permissions, comma separated', list, [])
    .option('--includes <list>', 'roles it includes, comma separated', list, [])
    .option('--json', 'JSON output')
    .action(async (name: string, o: { description?: string; permissions: string[]; includes: string[]; json?: boolean }) => {
      await withDeps(async (deps) => {
        const r = await deps.rbac.createRole(operator, { name, permissions: o.permissions, includes: o.includes, ...(o.description ? { description: o.description } : {}) });
        if (o.json) print(true, { role: r });
        else say(`created role ${r.name}`);
      });
    });

  roles.command('delete <name>')
    .description('Delete a role (its holders lose it).')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (name: string, o: { yes?: boolean }) => {
      await withDeps(async (deps) => {
        await deps.rbac.getRole(name);
        await confirm(o.yes, `Delete role ${name}`);
        await deps.rbac.deleteRole(operator, name);
        say(`deleted role ${name}`);
      });
    });

  roles.command('grant <role> <permissions...>')
    .description('Grant permissions to a role.')
    .action(async (role: string, permissions: string[]) => {
      await withDeps(async (deps) => {
        for (const p of permissions.flatMap((x) => list(x))) say(`${role}: ${p} ${(await deps.rbac.grantPermission(operator, role, p)) ? 'granted' : 'already granted'}`);
      });
    });

  roles.command('revoke <role> <permissions...>')
    .description('Take permissions from a role.')
    .action(async (role: string, permissions: string[]) => {
      await withDeps(async (deps) => {
        for (const p of permissions.flatMap((x) => list(x))) say(`${role}: ${p} ${(await deps.rbac.revokePermission(operator, role, p)) ? 'revoked' : 'was not granted'}`);
      });
    });

  roles.command('include <role> <included>')
    .description('Make a role include another (its holders get both).')
    .action(async (role: string, included: string) => {
      await withDeps(async (deps) => say(`${role}: ${(await deps.rbac.addInclude(operator, role, included)) ? 'now includes' : 'already includes'} ${included}`));
    });

  roles.command('exclude <role> <included>')
    .description('Stop a role including another.')
    .action(async (role: string, included: string) => {
      await withDeps(async (deps) => say(`${role}: ${(await deps.rbac.removeInclude(operator, role, included)) ? 'no longer includes' : 'did not include'} ${included}`));
    });

  roles.command('assign <user> <role>')
    .description('Give a user an extra role.')
    .action(async (ref: string, role: string) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        say(`${u.username}: ${(await deps.rbac.assignRole(operator, u.id, role)) ? 'assigned' : 'already holds'} ${role}`);
      });
    });

  roles.command('unassign <user> <role>')
    .description('Take an extra role from a user.')
    .action(async (ref: string, role: string) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        say(`${u.username}: ${(await deps.rbac.removeRole(operator, u.id, role)) ? 'removed' : 'did not hold'} ${role}`);
      });
    });
  return roles;
}

export function permissionsCommand(): Command {
  const permissions = new Command('permissions').description('Permissions (resource:action) that roles and service accounts are granted.')
    .addHelpText('after', `
Examples:
  $ tessera permissions list --json
  $ tessera permissions create posts:write --description "Write posts"`);

  permissions.command('list')
    .description('Every permission and the roles granted it.')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const all = await deps.rbac.listPermissions();
        print(Boolean(o.json), { permissions: all }, { rows: all, columns: ['name', 'builtIn', 'roles', 'description'] });
      });
    });

  permissions.command('create <name>')
    .description('Create a permission (resource:action).')
    .option('--description <text>', 'what it allows')
    .action(async (name: string, o: { description?: string }) => {
      await withDeps(async (deps) => {
        await deps.rbac.createPermission(operator, { name, ...(o.description ? { description: o.description } : {}) });
        say(`created permission ${name}`);
      });
    });

  permissions.command('delete <name>')
    .description('Delete a permission (and its grants).')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (name: string, o: { yes?: boolean }) => {
      await withDeps(async (deps) => {
        await confirm(o.yes, `Delete permission ${name}`);
        await deps.rbac.deletePermission(operator, name);
        say(`deleted permission ${name}`);
      });
    });
  return permissions;
}
