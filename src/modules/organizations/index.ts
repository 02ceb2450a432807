// Organizations own organizations (name, slug, logo, metadata), their members with an
// organization role, invitations by email, and the active organization of a session.
// Organization roles are RBAC roles named `org.*` (built in: org.owner, org.admin,
// org.member), so custom roles reuse the permission catalogue and the role hierarchy.
// Organization permissions count only inside that organization: they never grant
// anything in the admin API. The sign-in gate asks this module for a session's active
// organization whenever it makes an access token.
export {
  createOrganizationsService, orgRoleName, shortRole, ORG_OWNER, ORG_ADMIN, ORG_MEMBER, ORG_ROLE_PREFIX,
  type OrganizationsService, type OrganizationClaims, type Acting,
} from './organizations.service.ts';
export { createInvitations, type Invitations } from './invitations.ts';
export { organizationsRoutes } from './organizations.routes.ts';
export { adminOrganizationsRoutes } from './admin-organizations.routes.ts';
// RBAC keeps a role that members hold (passed to it as a function: rbac cannot import this module).
export { roleHeldByMembers } from './organizations.repo.ts';
export { wireOrganizations } from './wiring.ts';
