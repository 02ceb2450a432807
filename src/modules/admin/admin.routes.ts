// The admin API under /admin: users, roles and permissions, service accounts, the
// audit log, webhooks, social sign-in providers, signing keys and the dashboard's figures. Every route is guarded by a named permission (see docs/api.md); callers are
// users or service accounts.
import type { FastifyPluginAsync, RouteOptions } from 'fastify';
import type { AuditService } from '../audit/index.ts';
import { permissionOf, type PrincipalGuard, type RbacService } from '../rbac/index.ts';
import type { ServiceAccountsService } from '../service-accounts/index.ts';
import { adminAuditRoutes } from './admin-audit.routes.ts';
import { adminRbacRoutes } from './admin-rbac.routes.ts';
import { adminServiceAccountsRoutes } from './admin-service-accounts.routes.ts';
import { adminUsersRoutes } from './admin-users.routes.ts';
import { adminWebhooksRoutes } from './admin-webhooks.routes.ts';
import { adminOAuthRoutes } from './admin-oauth.routes.ts';
import { adminStatsRoutes } from './admin-stats.routes.ts';
import { adminKeysRoutes, type AdminKeysRoutesOptions } from './admin-keys.routes.ts';
import type { AdminStatsService } from './admin-stats.service.ts';
import type { OAuthService } from '../oauth/index.ts';
import type { WebhooksService } from '../webhooks/index.ts';
import type { AdminService } from './admin.service.ts';

export interface AdminRoutesOptions {
  admin: AdminService;
  rbac: RbacService;
  serviceAccounts: ServiceAccountsService;
  audit: AuditService;
  webhooks: WebhooksService;
  oauth: OAuthService;
  principals: PrincipalGuard;
  stats: AdminStatsService;
  /** The signing keys (the KeyStore the CLI's `keys` command uses). */
  keys: AdminKeysRoutesOptions['keys'];
}

/**
 * An onRoute hook for administrative routes: the API document states each route's
 * permission, as the scope of its bearer requirement (OpenAPI 3.1 allows role names there)
 * and in its description. Other modules' /admin routes are registered under it too.
 */
export function documentPermission(route: RouteOptions): void {
  const permission = permissionOf(route.onRequest);
  if (!permission || !route.schema) return;
  const schema = route.schema as { security?: unknown; description?: string };
  schema.security = [{ bearerAuth: [permission] }];
  schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Requires the permission \`${permission}\`.`;
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { admin, rbac, serviceAccounts, audit, webhooks, oauth, principals, stats, keys }) => {
  // The API document states each route's permission, as the scope of its bearer
  // requirement (OpenAPI 3.1 allows role names there) and in its description.
  app.addHook('onRoute', documentPermission);
  // Options are passed by name: the prefix this plugin was registered with must not repeat.
  await app.register(adminUsersRoutes, { admin, rbac, principals });
  await app.register(adminRbacRoutes, { rbac, principals });
  await app.register(adminServiceAccountsRoutes, { serviceAccounts, principals });
  await app.register(adminAuditRoutes, { audit, principals });
  await app.register(adminWebhooksRoutes, { webhooks, principals });
  await app.register(adminOAuthRoutes, { oauth, principals, admin });
  await app.register(adminStatsRoutes, { stats, principals });
  await app.register(adminKeysRoutes, { keys, audit: audit.record, principals });
};
