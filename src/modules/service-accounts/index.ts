// Service accounts own machine clients: their secrets (hashed, rotatable, expiring), their
// permissions, the client-credentials grant (POST /auth/token) and the check of their
// tokens, on Tessera's routes and by introspection.
export { createServiceAccountsService, type ServiceAccountsService, type PresentedServiceAccount, type ServiceAuth } from './service-accounts.service.ts';
export { serviceTokenRoutes } from './service-accounts.routes.ts';
export { createServiceTokenIntrospection, type IntrospectServiceToken, type ServiceTokenIntrospection } from './introspection.ts';
export { wireServiceAccounts } from './wiring.ts';
