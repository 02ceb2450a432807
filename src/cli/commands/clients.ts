// `tessera clients`: the applications that sign users in with Tessera (OpenID Connect clients).
import { Command } from 'commander';
import type { PresentedClient } from '../../modules/oidc/index.ts';
import { confirm, list, print, say, usage, withDeps } from '../context.ts';

function showSecret(json: boolean, result: { client: PresentedClient; clientSecret: string | null }, verb: string): void {
  if (json) return print(true, result);
  say(`${verb} client ${result.client.name} (${result.client.type})`);
  say(`client id:     ${result.client.clientId}`);
  if (result.clientSecret) {
    say(`client secret: ${result.clientSecret}`);
    say('The secret is shown this once; Tessera keeps only its hash.');
  }
}

const bool = (name: string) => (v: string) => {
  if (v === 'true' || v === 'false') return v === 'true';
  throw usage(`${name} must be true or false`);
};

export function clientsCommand(): Command {
  const c = new Command('clients').description('Applications that sign users in with Tessera (OpenID Connect clients; see docs/oidc.md).')
    .addHelpText('after', `
Examples:
  $ tessera clients create Grafana --client-id grafana --redirect-uri https://grafana.example.com/login/generic_oauth --first-party
  $ tessera clients list
  $ tessera clients rotate-secret grafana --json`);

  c.command('list')
    .description('Every client.')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const all = await deps.oidc.clients.list();
        print(Boolean(o.json), { clients: all }, { rows: all, columns: ['clientId', 'name', 'type', 'firstParty', 'active', 'redirectUris'], empty: 'no clients' });
      });
    });

  c.command('show <clientId>')
    .description('One client.')
    .option('--json', 'JSON output')
    .action(async (clientId: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const one = await deps.oidc.clients.get(clientId);
        print(Boolean(o.json), one, { rows: [one], columns: ['clientId', 'name', 'type', 'firstParty', 'active', 'redirectUris', 'postLogoutRedirectUris', 'allowedScopes', 'backchannelLogoutUri'] });
      });
    });

  c.command('create <name>')
    .description('Register a client; a confidential client\'s secret is printed once.')
    .requiredOption('--redirect-uri <uri>', 'a redirect URI (repeat or comma separate; compared exactly)', list, [])
    .option('--client-id <id>', 'the client id (generated when absent)')
    .option('--public', 'a public client (SPA, mobile app): PKCE only, no secret')
    .option('--first-party', 'no consent screen')
    .option('--post-logout-redirect-uri <uri>', 'where RP-initiated logout may return (repeatable)', list, [])
    .option('--scopes <list>', 'allowed scopes, comma separated (default openid,profile,email)', list)
    .option('--backchannel-logout-uri <uri>', 'where logout tokens are POSTed')
    .option('--logo-url <url>', 'an https logo shown on the consent screen')
    .option('--json', 'JSON output')
    .action(async (name: string, o: { redirectUri: string[]; clientId?: string; public?: boolean; firstParty?: boolean; postLogoutRedirectUri: string[]; scopes?: string[]; backchannelLogoutUri?: string; logoUrl?: string; json?: boolean }) => {
      await withDeps(async (deps) => {
        const r = await deps.oidc.clients.create({
          name, clientId: o.clientId, type: o.public ? 'public' : 'confidential', redirectUris: o.redirectUri, postLogoutRedirectUris: o.postLogoutRedirectUri,
          allowedScopes: o.scopes, firstParty: Boolean(o.firstParty), backchannelLogoutUri: o.backchannelLogoutUri ?? null, logoUrl: o.logoUrl ?? null,
        });
        showSecret(Boolean(o.json), r, 'created');
      });
    });

  c.command('update <clientId>')
    .description('Change a client (options given replace the current values).')
    .option('--name <name>', 'display name')
    .option('--redirect-uri <uri>', 'the redirect URIs (repeatable)', list)
    .option('--post-logout-redirect-uri <uri>', 'the post-logout redirect URIs (repeatable)', list)
    .option('--scopes <list>', 'allowed scopes, comma separated', list)
    .option('--first-party <bool>', 'true: no consent screen', bool('--first-party'))
    .option('--active <bool>', 'false disables the client', bool('--active'))
    .option('--backchannel-logout-uri <uri>', 'where logout tokens are POSTed ("" removes it)')
    .option('--json', 'JSON output')
    .action(async (clientId: string, o: { name?: string; redirectUri?: string[]; postLogoutRedirectUri?: string[]; scopes?: string[]; firstParty?: boolean; active?: boolean; backchannelLogoutUri?: string; json?: boolean }) => {
      await withDeps(async (deps) => {
        const updated = await deps.oidc.clients.update(clientId, {
          name: o.name, redirectUris: o.redirectUri, postLogoutRedirectUris: o.postLogoutRedirectUri, allowedScopes: o.scopes, firstParty: o.firstParty, active: o.active,
          ...(o.backchannelLogoutUri !== undefined ? { backchannelLogoutUri: o.backchannelLogoutUri || null } : {}),
        });
        if (o.json) print(true, updated);
        else say(`updated client ${updated.clientId}`);
      });
    });

  c.command('rotate-secret <clientId>')
    .description('Replace a confidential client\'s secret (the old one stops working at once); the new one is printed once.')
    .option('--json', 'JSON output')
    .action(async (clientId: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => showSecret(Boolean(o.json), await deps.oidc.clients.rotateSecret(clientId), 'new secret for'));
    });

  c.command('delete <clientId>')
    .description('Delete a client; its grants end at once.')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (clientId: string, o: { yes?: boolean }) => {
      await withDeps(async (deps) => {
        const one = await deps.oidc.clients.get(clientId);
        await confirm(o.yes, `Delete client ${one.name} (${one.clientId})`);
        await deps.oidc.removeClient(clientId);
        say(`deleted client ${one.clientId}`);
      });
    });
  return c;
}
