import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { OAUTH_PROVIDER_IDS, type OAuthProviderId } from '../../modules/oauth/index.ts';
import type { Deps } from '../../deps.ts';
import { CliError, EXIT, findUser, list, operator, print, readStdinLine, say, usage, withDeps } from '../context.ts';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const HTTP_URL = /^https?:\/\/\S+$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw usage(`provider name ${JSON.stringify(name)}: lower-case letters, digits and -, starting with a letter (at most 32)`);
  return name;
}

/** Names of --providers, each known to the registry. */
async function providersOf(deps: Deps, names: string[]): Promise<string[]> {
  if (!names.length) throw usage('--providers: name at least one provider (comma separated)');
  const known = new Set((await deps.oauth.registry.list()).map((p) => p.name));
  for (const n of names) {
    checkName(n);
    if (!known.has(n)) throw new CliError(`${n} is not configured: run tessera oauth config ${n} --client-id ... --client-secret ...`, EXIT.notFound);
  }
  return names;
}

interface ConfigFlags {
  clientId: string; clientSecret?: string; clientSecretStdin?: boolean; kind?: string; issuer?: string; scopes?: string[]; displayName?: string;
  authorizationUrl?: string; tokenUrl?: string; userinfoUrl?: string; jwksUrl?: string; tenantId?: string; teamId?: string; keyId?: string;
  privateKeyFile?: string; disabled?: boolean;
}

export function oauthCommand(): Command {
  const oauth = new Command('oauth').description('Social sign-in providers, linked accounts and the provider-token refresh worker.')
    .addHelpText('after', `
Providers from the environment (AUTH_OAUTH_<PROVIDER>_*, AUTH_OIDC_<NAME>_*) are listed but
cannot be changed here; providers stored with \`oauth config\` live in the database
(secrets sealed) and every instance picks changes up within 10 seconds.

Examples:
  $ tessera oauth config github --client-id Iv1.abc --client-secret-stdin < secret.txt
  $ tessera oauth config keycloak --issuer https://id.example.com/realms/main --client-id tessera --client-secret "$SECRET"
  $ tessera oauth test github
  $ tessera oauth disable --providers github,google
  $ tessera oauth accounts ada@example.com
  $ tessera oauth refresh status`);

  oauth.command('list')
    .description('Every provider with its source, state and callback URL (register it at the provider).')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const all = await deps.oauth.registry.list();
        print(Boolean(o.json), { providers: all }, { rows: all, columns: ['name', 'kind', 'source', 'enabled', 'callbackUrl'], empty: 'no providers configured' });
      });
    });

  for (const [name, enabled] of [['enable', true], ['disable', false]] as const) {
    oauth.command(name)
      .description(`${enabled ? 'Enable' : 'Disable'} stored providers (sign-in with a disabled provider answers oauth_provider_unknown).`)
      .requiredOption('--providers <list>', 'provider names, comma separated', list, [])
      .action(async (o: { providers: string[] }) => {
        await withDeps(async (deps) => {
          for (const p of await providersOf(deps, o.providers)) {
            await deps.oauth.setProviderEnabled(p, enabled);
            say(`${p}: ${enabled ? 'enabled' : 'disabled'}`);
          }
        });
      });
  }

  oauth.command('config <provider>')
    .description(`Store a provider in the database, or change it (omitted secrets keep their stored value). Built-in kinds: ${OAUTH_PROVIDER_IDS.join(', ')}; any other name with --issuer is a generic OpenID Connect provider.`)
    .requiredOption('--client-id <id>', 'client id given by the provider')
    .option('--client-secret <secret>', 'client secret (visible in the shell history; prefer --client-secret-stdin)')
    .option('--client-secret-stdin', 'read the client secret from standard input')
    .option('--kind <kind>', `adapter: ${OAUTH_PROVIDER_IDS.join(', ')} or oidc (default: the name, or oidc with --issuer)`)
    .option('--issuer <url>', 'OpenID Connect issuer (discovery); overrides built-in endpoints')
    .option('--scopes <list>', 'scopes, comma separated (default: the adapter\'s)', list)
    .option('--display-name <name>', 'button label')
    .option('--authorization-url <url>', 'authorization endpoint override')
    .option('--token-url <url>', 'token endpoint override')
    .option('--userinfo-url <url>', 'userinfo endpoint override')
    .option('--jwks-url <url>', 'JWKS override')
    .option('--tenant-id <id>', 'Microsoft Entra tenant')
    .option('--team-id <id>', 'Apple team id')
    .option('--key-id <id>', 'Apple key id')
    .option('--private-key-file <file>', 'Apple private key (PKCS#8 PEM)')
    .option('--disabled', 'store it disabled')
    .action(async (name: string, o: ConfigFlags) => {
      checkName(name);
      if (o.clientSecret !== undefined && o.clientSecretStdin) throw usage('give --client-secret or --client-secret-stdin, not both');
      const kind = o.kind ?? ((OAUTH_PROVIDER_IDS as readonly string[]).includes(name) ? name : o.issuer ? 'oidc' : undefined);
      if (!kind) throw usage(`${name} is not a built-in provider: give --issuer (generic OpenID Connect) or --kind`);
      if (kind !== 'oidc' && !(OAUTH_PROVIDER_IDS as readonly string[]).includes(kind)) throw usage(`--kind: one of ${OAUTH_PROVIDER_IDS.join(', ')}, oidc`);
      for (const [flag, v] of [['--issuer', o.issuer], ['--authorization-url', o.authorizationUrl], ['--token-url', o.tokenUrl], ['--userinfo-url', o.userinfoUrl], ['--jwks-url', o.jwksUrl]] as const) {
        if (v !== undefined && !HTTP_URL.test(v)) throw usage(`${flag}: expected an http(s) URL, got ${JSON.stringify(v)}`);
      }
      let privateKey: string | undefined;
      if (o.privateKeyFile) {
        try {
          privateKey = readFileSync(o.privateKeyFile, 'utf8');
        } catch (err) {
          throw usage(`--private-key-file: ${(err as Error).message}`);
        }
      }
      const clientSecret = o.clientSecretStdin ? await readStdinLine() : o.clientSecret;
      await withDeps(async (deps) => {
        await deps.oauth.saveProvider(name, {
          kind: kind as OAuthProviderId | 'oidc', clientId: o.clientId, clientSecret, privateKey, enabled: !o.disabled,
          scopes: o.scopes, displayName: o.displayName, issuer: o.issuer, authorizationUrl: o.authorizationUrl, tokenUrl: o.tokenUrl,
          userinfoUrl: o.userinfoUrl, jwksUrl: o.jwksUrl, tenantId: o.tenantId, teamId: o.teamId, keyId: o.keyId,
        });
        const p = (await deps.oauth.registry.list()).find((x) => x.name === name)!;
        say(`${name} (${kind}) stored${o.disabled ? ', disabled' : ''}; register this callback URL at the provider: ${p.callbackUrl}`);
      });
    });

  oauth.command('remove <provider>')
    .description('Delete a stored provider (linked identities stay, and sign in again if it comes back).')
    .action(async (name: string) => {
      await withDeps(async (deps) => {
        await deps.oauth.deleteProvider(checkName(name));
        say(`${name}: removed`);
      });
    });

  oauth.command('test <provider>')
    .description("Check a provider from here: its configuration (discovery for OIDC) and that its authorization endpoint and JWKS answer. Exit 1 when a check fails.")
    .option('--json', 'JSON output')
    .action(async (name: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const r = await deps.oauth.testProvider(checkName(name));
        if (o.json) print(true, r);
        else for (const c of r.checks) say(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
        if (!r.ok) {
          if (r.checks[0]?.detail === 'not configured') throw new CliError(`${name} is not configured`, EXIT.notFound);
          process.exitCode = EXIT.failure;
        }
      });
    });

  oauth.command('status')
    .description('Providers with their linked identities, and the token refresh worker.')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const [providers, refresh] = await Promise.all([deps.oauth.registry.list(), deps.oauthVault.status()]);
        const byName = new Map(refresh.providers.map((p) => [p.provider, p]));
        const rows = providers.map((p) => ({ ...p, identities: byName.get(p.name)?.identities ?? 0, withTokens: byName.get(p.name)?.withTokens ?? 0, needsReconsent: byName.get(p.name)?.needsReconsent ?? 0 }));
        if (o.json) return print(true, { providers: rows, refresh });
        print(false, null, { rows, columns: ['name', 'kind', 'source', 'enabled', 'identities', 'withTokens', 'needsReconsent'], empty: 'no providers configured' });
        say(`token refresh: ${refresh.paused ? 'stopped' : 'running'} (refreshes ${refresh.marginSeconds}s before expiry)`);
      });
    });

  oauth.command('accounts <user>')
    .description("A user's linked provider accounts.")
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const all = await deps.oauth.identitiesForAdmin((await findUser(deps, ref)).id);
        print(Boolean(o.json), { identities: all }, { rows: all, columns: ['provider', 'providerUserId', 'email', 'hasProviderToken', 'accessTokenExpiresAt', 'needsReconsent', 'lastRefreshError'], empty: 'no linked accounts' });
      });
    });

  oauth.command('link <user> <provider> <provider-user-id>')
    .description("Link a provider account (the provider's user id, e.g. Google's sub) to a user; tokens come with its next sign-in.")
    .option('--email <email>', 'the email at the provider')
    .option('--name <name>', 'the name at the provider')
    .action(async (ref: string, provider: string, pid: string, o: { email?: string; name?: string }) => {
      checkName(provider);
      if (!pid.trim() || pid.length > 255) throw usage('provider-user-id: 1 to 255 characters');
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        // The operator is not bound by the rule of acting on a user; the entry says so.
        await deps.oauth.linkByAdmin(u.id, provider, pid, { email: o.email, name: o.name }, await deps.rbac.assertMayActOn(operator, u.id));
        say(`${u.username}: linked ${provider} ${pid}`);
      });
    });

  oauth.command('unlink <user> <provider>')
    .description("Unlink a provider account; refused when it is the user's last way to sign in, unless --force.")
    .option('--force', 'unlink even the last sign-in method')
    .action(async (ref: string, provider: string, o: { force?: boolean }) => {
      await withDeps(async (deps) => {
        const u = await findUser(deps, ref);
        await deps.oauth.unlinkByAdmin(u.id, checkName(provider), Boolean(o.force), await deps.rbac.assertMayActOn(operator, u.id));
        say(`${u.username}: unlinked ${provider}`);
      });
    });

  const refresh = oauth.command('refresh').description('The worker that refreshes stored provider tokens before they expire (on every instance).')
    .addHelpText('after', `
Examples:
  $ tessera oauth refresh status
  $ tessera oauth refresh stop     # every instance pauses (a flag in the database)
  $ tessera oauth refresh once     # refresh every due token now, paused or not
  $ tessera oauth refresh start`);
  refresh.command('once').description('Refresh every due token now (even while stopped).').option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const n = await deps.oauthVault.refreshOnce();
        if (o.json) print(true, { refreshed: n, status: await deps.oauthVault.status() });
        else say(`refreshed ${n} token(s)`);
      });
    });
  for (const [name, paused] of [['stop', true], ['start', false]] as const) {
    refresh.command(name).description(paused ? 'Pause the background refresh on every instance (tokens are still refreshed when their owner asks for one).' : 'Resume the background refresh.')
      .action(async () => {
        await withDeps(async (deps) => {
          const changed = await deps.oauthVault.setPaused(paused);
          say(`token refresh ${paused ? 'stopped' : 'running'}${changed ? '' : ' (it already was)'}`);
        });
      });
  }
  refresh.command('status').description('Whether the worker runs, its last run (tokens refreshed, errors), and the tokens due, failing and needing re-consent, by provider.').option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      await withDeps(async (deps) => {
        const s = await deps.oauthVault.status();
        if (o.json) return print(true, s);
        say(`token refresh: ${s.paused ? 'stopped' : 'running'} (refreshes ${s.marginSeconds}s before expiry)`);
        // The last run that had work, on any instance (recorded in the database).
        const run = s.lastRun;
        say(run ? `last run: ${run.finishedAt}: ${run.refreshed} refreshed, ${run.failed} failed` : 'last run: none yet');
        for (const e of run?.errors ?? []) say(`  error: ${e.provider} identity ${e.identityId}: ${e.error}`);
        print(false, null, { rows: s.providers, columns: ['provider', 'identities', 'withTokens', 'due', 'failing', 'needsReconsent', 'nextDue', 'lastRefreshed'], empty: 'no linked identities' });
      });
    });
  return oauth;
}
