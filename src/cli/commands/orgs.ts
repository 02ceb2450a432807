import { Command } from 'commander';
import type { Deps } from '../../deps.ts';
import { CliError, confirm, EXIT, findUser, operator, print, say, withDeps } from '../context.ts';

/** An organization by id or slug. */
async function findOrg(deps: Deps, ref: string) {
  const o = await deps.organizations.find(ref);
  if (!o) throw new CliError(`no organization ${JSON.stringify(ref)} (give an id or a slug)`, EXIT.notFound);
  return o;
}

const admin = { kind: 'admin' as const, caller: operator };

export function orgsCommand(): Command {
  const orgs = new Command('orgs').description('Organizations: their members and roles.')
    .addHelpText('after', `
Examples:
  $ tessera orgs create "Acme Inc" --owner ada@example.com
  $ tessera orgs add-member acme bob@example.com --role admin
  $ tessera orgs show acme`);

  orgs.command('list')
    .description('Every organization, newest first, with its member count.')
    .option('--search <text>', 'part of the name or slug')
    .option('--json', 'JSON output')
    .action(async (o: { search?: string; json?: boolean }) => {
      await withDeps(async (deps) => {
        const r = await deps.organizations.list({ search: o.search, limit: 200, offset: 0 });
        print(Boolean(o.json), r, { rows: r.organizations, columns: ['id', 'slug', 'name', 'memberCount', 'createdAt'] });
      });
    });

  orgs.command('create <name>')
    .description('Create an organization (with its first owner).')
    .option('--slug <slug>', 'lower-case letters, digits and dashes (made from the name when absent)')
    .option('--owner <user>', 'the first owner (id, email or username)')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { slug?: string; owner?: string; json?: boolean }) => {
      await withDeps(async (deps) => {
        const owner = o.owner ? await findUser(deps, o.owner) : undefined;
        const org = await deps.organizations.create(admin, { name, slug: o.slug, ownerId: owner?.id });
        if (o.json) print(true, { organization: org });
        else say(`created organization ${org.slug} (${org.id})`);
      });
    });

  orgs.command('show <org>')
    .description('One organization with its members.')
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const org = await findOrg(deps, ref);
        const members = await deps.organizations.listMembers(admin, org.id);
        if (o.json) return print(true, { organization: org, members });
        print(false, {}, { rows: [org], columns: ['id', 'slug', 'name', 'memberCount', 'createdAt'] });
        print(false, {}, { rows: members, columns: ['userId', 'username', 'email', 'role', 'joinedAt'] });
      });
    });

  orgs.command('add-member <org> <user>')
    .description('Add a user to an organization.')
    .option('--role <role>', 'owner, admin, member or a custom organization role', 'member')
    .action(async (ref: string, userRef: string, o: { role: string }) => {
      await withDeps(async (deps) => {
        const org = await findOrg(deps, ref);
        const user = await findUser(deps, userRef);
        const m = await deps.organizations.addMember(admin, org.id, user.id, o.role);
        say(`${m.username} is now ${m.role} of ${org.slug}`);
      });
    });

  orgs.command('remove-member <org> <user>')
    .description('Remove a member (not the last owner).')
    .action(async (ref: string, userRef: string) => {
      await withDeps(async (deps) => {
        const org = await findOrg(deps, ref);
        const user = await findUser(deps, userRef);
        await deps.organizations.removeMember(admin, org.id, user.id);
        say(`${user.username} removed from ${org.slug}`);
      });
    });

  orgs.command('delete <org>')
    .description('Delete an organization with its memberships and invitations.')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { yes?: boolean }) => {
      await withDeps(async (deps) => {
        const org = await findOrg(deps, ref);
        await confirm(o.yes, `Delete organization ${org.slug} and its ${org.memberCount} memberships`);
        await deps.organizations.remove(admin, org.id);
        say(`deleted organization ${org.slug}`);
      });
    });

  return orgs;
}
