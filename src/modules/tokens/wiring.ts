// Tokens' part of the composition root: the signing keys (loaded, or the first one made)
// and the access tokens, from the JWT settings.
import type { Config } from '../../core/config/index.ts';
import { createKeyStore } from './keys.service.ts';
import { createTokensService } from './tokens.service.ts';

type KeyStoreDeps = Parameters<typeof createKeyStore>[0];

export async function wireTokens(config: Config, deps: Pick<KeyStoreDeps, 'db' | 'clock' | 'encrypter' | 'bus'>) {
  const keys = createKeyStore({
    db: deps.db, clock: deps.clock, encrypter: deps.encrypter, algorithm: config.jwtAlgorithm, hmacSecret: config.jwtSecret, bus: deps.bus,
    maxTokenLifetime: Math.max(config.accessTokenExpiry, config.serviceAccountTokenExpiry),
  });
  await keys.init();
  const tokens = createTokensService({
    keys, clock: deps.clock, issuer: config.jwtIssuer, audience: config.jwtAudience,
    accessTokenExpiry: config.accessTokenExpiry, hasuraClaims: config.jwtHasuraClaims, includePermissions: config.jwtIncludePermissions, hasuraOrgRole: config.jwtHasuraOrgRole,
  });
  return { keys, tokens };
}
