// The admin API under /admin: users, roles and permissions, service accounts and the
// audit log. Every route is guarded by a named permission (see docs/api.md); callers are
// users or service accounts.
import type { FastifyPluginAsync } from 'fastify';
import type { AuditService } from '../audit/index.ts';
import type { PrincipalGuard, RbacService } from '../rbac/index.ts';
import type { ServiceAccountsService } from '../service-accounts/index.ts';
import { adminAuditRoutes } from './admin-audit.routes.ts';
import { adminRbacRoutes } from './admin-rbac.routes.ts';
import { adminServiceAccountsRoutes } from './admin-service-accounts.routes.ts';
import { adminUsersRoutes } from './admin-users.routes.ts';
import type { AdminService } from './admin.service.ts';

export interface AdminRoutesOptions {
  admin: AdminService;
  rbac: RbacService;
  serviceAccounts: ServiceAccountsService;
  audit: AuditService;
  principals: PrincipalGuard;
}

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, { admin, rbac, serviceAccounts, audit, principals }) => {
  // Options are passed by name: the prefix this plugin was registered with must not repeat.
  await app.register(adminUsersRoutes, { admin, rbac, principals });
  await app.register(adminRbacRoutes, { rbac, principals });
  await app.register(adminServiceAccountsRoutes, { serviceAccounts, principals });
  await app.register(adminAuditRoutes, { audit, principals });
};
