// RBAC owns roles, permissions, the grants between them (with inheritance), the roles of
// users, and the permission checks: the route guard for named permissions and the
// caller-facing GET /auth/permissions and POST /auth/authorize.
export { createRbacService, allows, SUPER_ADMIN, ADMIN, ROLE_NAME, PERMISSION_NAME, type RbacService, type Caller, type Access } from './rbac.service.ts';
export { createPrincipalGuard, callerOf, callerOfRequest, actorOf, permissionOf, type Principal, type PrincipalGuard } from './guard.ts';
export { rbacRoutes } from './rbac.routes.ts';
export { wireRbac } from './wiring.ts';
