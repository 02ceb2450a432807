import { Command } from 'commander';
import type { Deps } from '../../deps.ts';
import { CliError, confirm, EXIT, list, operator, print, say, withDeps } from '../context.ts';

/** A service account by id, client id or name. */
async function findAccount(deps: Deps, ref: string) {
  const all = await deps.serviceAccounts.list();
  const found = all.filter((a) => a.id === ref.toLowerCase() || a.clientId === ref || a.name === ref);
  if (found.length === 0) throw new CliError(`no service account ${JSON.stringify(ref)} (give an id, a client id or a name)`, EXIT.notFound);
  if (found.length > 1) throw new CliError(`several service accounts are named ${JSON.stringify(ref)}; give the id or the client id`, EXIT.usage);
  return found[0]!;
}

function showSecret(json: boolean, result: { serviceAccount: { id: string; clientId: string; name: string }; clientSecret: string }, verb: string): void {
  if (json) return print(true, result);
  say(`${verb} service account ${result.serviceAccount.name} (${result.serviceAccount.id})`);
  say(`client id:     ${result.serviceAccount.clientId}`);
  say(`client secret: ${result.clientSecret}`);
  say('The secret is shown this once; Tessera keeps only its hash.');
}

export function serviceAccountsCommand(): Command {
  const sa = new Command('service-accounts').description('Machine clients (client credentials grant at POST /auth/token).')
    .addHelpText('after', `
Examples:
  $ tessera service-accounts create billing --permissions users:read --json
  $ tessera service-accounts rotate-secret billing
  $ tessera service-accounts delete billing --yes`);

  sa.command('list')
    .description('Every service account.')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const all = await deps.serviceAccounts.list();
        print(Boolean(o.json), { serviceAccounts: all }, { rows: all, columns: ['id', 'name', 'clientId', 'active', 'permissions', 'secretExpiresAt', 'lastUsedAt'] });
      });
    });

  sa.command('create <name>')
    .description('Create a service account; its secret is printed once.')
    .option('--permissions <list>', 'permissions, comma separated', list, [])
    .option('--description <text>', 'what it is for')
    .option('--expires <date>', 'when the secret expires (ISO 8601)')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { permissions: string[]; description?: string; expires?: string; json?: boolean }) => {
      await withDeps(async (deps) => {
        const r = await deps.serviceAccounts.create(operator, { name, permissions: o.permissions, ...(o.description ? { description: o.description } : {}), ...(o.expires ? { secretExpiresAt: o.expires } : {}) });
        showSecret(Boolean(o.json), r, 'created');
      });
    });

  sa.command('rotate-secret <account>')
    .description('Replace the secret (the old one stops working at once); the new one is printed once.')
    .option('--expires <date>', 'when the new secret expires (ISO 8601)')
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { expires?: string; json?: boolean }) => {
      await withDeps(async (deps) => {
        const a = await findAccount(deps, ref);
        showSecret(Boolean(o.json), await deps.serviceAccounts.rotateSecret(operator, a.id, o.expires ? { secretExpiresAt: o.expires } : {}), 'new secret for');
      });
    });

  sa.command('delete <account>')
    .description('Delete a service account; its tokens stop working at once.')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { yes?: boolean }) => {
      await withDeps(async (deps) => {
        const a = await findAccount(deps, ref);
        await confirm(o.yes, `Delete service account ${a.name} (${a.clientId})`);
        await deps.serviceAccounts.remove(operator, a.id);
        say(`deleted service account ${a.name}`);
      });
    });
  return sa;
}
