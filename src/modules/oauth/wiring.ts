// Social sign-in's part of the composition root: the providers (from the environment and
// the database), the vault of provider tokens with its refresh margin and worker, the
// service with AUTH_OAUTH_AUTO_LINK, and the chore.
import type { NamedChore } from '../../core/chores.ts';
import { publicUrl, type Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { envProviders } from './env-providers.ts';
import { createOAuthService } from './oauth.service.ts';
import { createProviderRegistry } from './registry.ts';
import { createVault } from './vault.ts';

type OAuthServiceDeps = Parameters<typeof createOAuthService>[0];

/** How often the vault's worker looks for provider tokens to refresh. */
const VAULT_REFRESH_INTERVAL_MS = 30_000;

export function wireOAuth(config: Config, deps: Pick<OAuthServiceDeps, 'db' | 'clock' | 'log' | 'encrypter' | 'users' | 'gate' | 'redirects'> & {
  changes: ChangeEmitter;
  hooks: { beforeSignup?: OAuthServiceDeps['beforeSignup'] };
  /** A user's passkeys count as ways to sign in (unlinking the last way is refused). */
  passkeys: { list(userId: string): Promise<readonly unknown[]> };
}) {
  const { db, clock, log, encrypter, changes } = deps;
  const registry = createProviderRegistry({ db, clock, log, encrypter, envProviders: envProviders(config), publicUrl: publicUrl(config) });
  const vault = createVault({ db, clock, log, encrypter, registry, audit: changes.emit, marginSeconds: config.oauthRefreshMargin });
  const oauth = createOAuthService({
    db, clock, log, encrypter, registry, vault, users: deps.users, gate: deps.gate, audit: changes.emit, redirects: deps.redirects, beforeSignup: deps.hooks.beforeSignup,
    passkeyCount: async (id) => (await deps.passkeys.list(id)).length, autoLink: config.oauthAutoLink,
  });
  const chores: NamedChore[] = [{ name: 'oauth_states', prune: async () => { await oauth.prune(); } }];
  return { oauth, vault, chores, startWorker: () => vault.worker.start(VAULT_REFRESH_INTERVAL_MS) };
}
