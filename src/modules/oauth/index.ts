// Social sign-in: 13 named providers and any OpenID Connect issuer (openid-client), the
// browser flow with state, PKCE and nonce, native apps' code exchange, identities linked
// to users, and the vault of provider tokens with its refresh worker.
export { createProviderRegistry, type ProviderRegistry, type ProviderSummary, type StoredSettings } from './registry.ts';
export { createVault, type Vault } from './vault.ts';
export { createOAuthService, type OAuthService } from './oauth.service.ts';
export { oauthRoutes, BINDING_COOKIE } from './oauth.routes.ts';
export { ADAPTERS } from './providers/index.ts';
export { countIdentitiesOf, deleteIdentitiesOf as removeAllIdentitiesIn } from './oauth.repo.ts';
