// OpenID Connect provider: Tessera signs users in to a team's own applications (OAuth 2.1
// authorization code with PKCE, OpenID Connect Core). The module owns the registered
// clients, authorization requests and codes, consents and grants. A grant is a session of
// the client's own, started by the sign-in gate from the browser session the user signed
// in to through the hosted pages, so refresh rotation, reuse detection, revocation,
// introspection and the bearer check are the sessions module's. ID tokens and logout
// tokens are signed by the gate with the JWKS keys.
export { createOidcProvider, type OidcProvider, type OidcProviderDeps } from './oidc.service.ts';
export { oidcRoutes } from './oidc.routes.ts';
export { adminOidcClientsRoutes } from './admin-clients.routes.ts';
export { SUPPORTED_SCOPES, type PresentedClient, type ClientInput, type ClientChanges } from './clients.service.ts';
export type { AuthorizeQuery, AuthorizeStart } from './authorize.ts';
export type { LogoutQuery, LogoutPlan } from './logout.ts';
export { wireOidc } from './wiring.ts';
