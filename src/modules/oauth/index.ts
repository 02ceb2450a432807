// Social sign-in: 13 named providers and any OpenID Connect issuer (openid-client), the
// browser flow with state, PKCE and nonce, native apps' code exchange, identities linked
// to users, and the vault of provider tokens with its refresh worker.
export { createProviderRegistry, type ProviderRegistry, type ProviderSummary, type StoredSettings } from './registry.ts';
export { createVault, type Vault } from './vault.ts';
export { createOAuthService, type OAuthService } from './oauth.service.ts';
export { oauthRoutes, BINDING_COOKIE } from './oauth.routes.ts';
export { ADAPTERS, OAUTH_PROVIDER_IDS, oauthEnvNames, type OAuthProviderId, type OAuthProviderSettings } from './providers/index.ts';
export { envProviders } from './env-providers.ts';
export {
  countIdentitiesOf, deleteIdentitiesOf as removeAllIdentitiesIn, takenIdentities, insertImportedIdentities, type NewImportedIdentity,
} from './oauth.repo.ts';
export { wireOAuth } from './wiring.ts';
