// The user API under /auth/organizations: a member's organizations, members, invitations
// and the session's active organization. Thin handlers over the service; every route that
// names an organization checks the caller's membership of that organization (never the
// organization in the token), so a member of one organization cannot read or act on another.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';
import { errorResponses as errors, rateLimitHook } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { Authenticated } from '../auth/index.ts';
import type { Invitations } from './invitations.ts';
import type { OrganizationsService } from './organizations.service.ts';
import type { SignInGate } from '../sign-in/index.ts';
import {
  activeOrganization, emailField, idParams, invitation, invitationParams, logoUrl, member, memberParams, message, metadata, name, organization, orgRole, roleName, slug, tokenField, uuid,
} from './organizations.schemas.ts';

export interface OrganizationsRoutesOptions {
  organizations: OrganizationsService;
  invitations: Invitations;
  gate: Pick<SignInGate, 'switchOrganization'>;
  guard: (req: FastifyRequest) => Promise<void>;
  limiter: RateLimiter;
  signupLimiter: RateLimiter;
  /** The language of a new account: the body's, else Accept-Language's, else `en`. */
  locale: (given: string | undefined, acceptLanguage: string | undefined) => string;
}

const tags = ['organizations'];
const security = [{ bearerAuth: [] }];
const switched = {
  type: 'object', required: ['accessToken', 'expiresAt', 'organization'],
  properties: { accessToken: { type: 'string' }, expiresAt: { type: 'integer', description: 'Expiry of the access token (seconds since the epoch)' }, organization: activeOrganization },
} as const;

export const organizationsRoutes: FastifyPluginAsync<OrganizationsRoutesOptions> = async (app, { organizations, invitations, gate, guard, limiter, signupLimiter, locale }) => {
  const me = (req: FastifyRequest): Authenticated => {
    if (!req.auth) throw new AppError('unauthorized');
    return req.auth;
  };
  const acting = (req: FastifyRequest) => ({ kind: 'member' as const, userId: me(req).user.id });
  const authed = { onRequest: guard };

  app.get('/organizations', {
    ...authed, schema: { tags, security, summary: "The caller's organizations, with their role in each", response: { 200: { type: 'object', required: ['organizations'], properties: { organizations: { type: 'array', items: organization } } }, ...errors(401) } },
  }, async (req) => ({ organizations: await organizations.listMine(me(req).user.id) }));

  app.post<{ Body: { name: string; slug?: string; logoUrl?: string | null; metadata?: Record<string, unknown> } }>('/organizations', {
    ...authed,
    schema: {
      tags, security, summary: 'Create an organization; the caller becomes its owner',
      description: 'Without `slug`, one is made from the name. Refused with `organization_creation_disabled` when AUTH_ORGANIZATIONS_USER_CREATE=false.',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, slug, logoUrl, metadata } },
      response: { 201: organization, ...errors(400, 401, 403, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await organizations.create(acting(req), req.body)));

  app.get('/organizations/roles', {
    ...authed, schema: { tags, security, summary: 'The organization roles (built-in and custom) with their effective permissions', response: { 200: { type: 'object', required: ['roles'], properties: { roles: { type: 'array', items: orgRole } } }, ...errors(401) } },
  }, async () => ({ roles: await organizations.roles() }));

  app.get('/organizations/active', {
    ...authed, schema: { tags, security, summary: "The session's active organization (null: none)", response: { 200: { type: 'object', required: ['organization'], properties: { organization: activeOrganization } }, ...errors(401) } },
  }, async (req) => {
    const { user, claims } = me(req);
    return { organization: await organizations.activeClaims(user.id, claims.sid) };
  });

  app.post<{ Params: { id: string } }>('/organizations/:id/activate', {
    ...authed,
    schema: {
      tags, security, summary: 'Make an organization the active one of this session; returns an access token carrying it',
      description: 'The refresh token stays; its next access tokens carry the same organization (`org_id`, `org_role`, `org_permissions`, `x-hasura-org-id`).',
      params: idParams, response: { 200: switched, ...errors(400, 401, 404) },
    },
  }, async (req) => {
    const { user, claims } = me(req);
    return gate.switchOrganization(user, claims.sid, claims.amr ?? [], req.params.id);
  });

  app.post('/organizations/deactivate', {
    ...authed, schema: { tags, security, summary: 'Leave the active organization of this session (none active); returns an access token without one', response: { 200: switched, ...errors(401) } },
  }, async (req) => {
    const { user, claims } = me(req);
    return gate.switchOrganization(user, claims.sid, claims.amr ?? [], null);
  });

  // ---- invitations addressed to the caller, and their acceptance ---------------------

  app.get('/organizations/invitations', {
    ...authed, schema: { tags, security, summary: "Pending invitations to the caller's email address", response: { 200: { type: 'object', required: ['invitations'], properties: { invitations: { type: 'array', items: invitation } } }, ...errors(401) } },
  }, async (req) => ({ invitations: await invitations.mine(me(req).user) }));

  const lookupResponse = {
    type: 'object', required: ['organization', 'email', 'role', 'expiresAt'],
    properties: { organization: { type: 'object', properties: { id: uuid, name: { type: 'string' }, slug: { type: 'string' }, logoUrl: { type: ['string', 'null'] } } }, email: { type: 'string' }, role: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
  } as const;
  app.post<{ Body: { token: string } }>('/organizations/invitations/lookup', {
    onRequest: rateLimitHook(limiter, 'invitation-lookup'),
    schema: {
      tags, summary: 'What an invitation token invites to (organization, address, role), before accepting', body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: tokenField } },
      response: { 200: lookupResponse, ...errors(400, 429) },
    },
  }, async (req) => invitations.lookup(req.body.token));

  app.post<{ Body: { token: string } }>('/organizations/invitations/accept', {
    ...authed,
    schema: {
      tags, security, summary: 'Accept an invitation as the signed-in user (the invited address must be theirs)',
      body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: tokenField } },
      response: { 200: { type: 'object', required: ['organization', 'membership'], properties: { organization, membership: member } }, ...errors(400, 401, 403) },
    },
  }, async (req) => invitations.accept(me(req).user.id, req.body.token));

  app.post<{ Body: { token: string; username: string; password: string; locale?: string } }>('/organizations/invitations/sign-up', {
    onRequest: rateLimitHook(signupLimiter, 'invitation-sign-up'),
    schema: {
      tags, summary: 'Accept an invitation by creating the account of the invited address (verified by the token); then sign in',
      description: 'Refused with `invitation_sign_in_required` when an account with the invited address exists: sign in to it and use /accept.',
      body: {
        type: 'object', required: ['token', 'username', 'password'], additionalProperties: false,
        properties: { token: tokenField, username: { type: 'string', minLength: 3, maxLength: 50 }, password: { type: 'string', minLength: 1, maxLength: 1024 }, locale: { type: 'string', maxLength: 10 } },
      },
      response: {
        201: { type: 'object', required: ['user', 'organization'], properties: { user: { type: 'object', properties: { id: uuid, username: { type: 'string' }, email: { type: ['string', 'null'] }, role: { type: 'string' } } }, organization: lookupResponse.properties.organization } },
        ...errors(400, 403, 409, 429),
      },
    },
  }, async (req, reply) => {
    const { token, username, password } = req.body;
    return reply.status(201).send(await invitations.acceptWithSignUp(token, { username, password, locale: locale(req.body.locale, req.headers['accept-language']) }));
  });

  // ---- one organization --------------------------------------------------------------

  app.get<{ Params: { id: string } }>('/organizations/:id', {
    ...authed, schema: { tags, security, summary: 'An organization the caller is a member of', params: idParams, response: { 200: organization, ...errors(400, 401, 404) } },
  }, async (req) => organizations.get(acting(req), req.params.id));

  app.patch<{ Params: { id: string }; Body: { name?: string; slug?: string; logoUrl?: string | null; metadata?: Record<string, unknown> } }>('/organizations/:id', {
    ...authed,
    schema: {
      tags, security, summary: 'Change the name, slug, logo or metadata (organization:update)', params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, slug, logoUrl, metadata } },
      response: { 200: organization, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req) => organizations.update(acting(req), req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/organizations/:id', {
    ...authed, schema: { tags, security, summary: 'Delete the organization with its memberships and invitations (organization:delete)', params: idParams, response: { 200: message, ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    await organizations.remove(acting(req), req.params.id);
    return { message: 'Organization deleted' };
  });

  app.get<{ Params: { id: string } }>('/organizations/:id/members', {
    ...authed, schema: { tags, security, summary: 'Members and their roles (organization:read)', params: idParams, response: { 200: { type: 'object', required: ['members'], properties: { members: { type: 'array', items: member } } }, ...errors(400, 401, 403, 404) } },
  }, async (req) => ({ members: await organizations.listMembers(acting(req), req.params.id) }));

  app.patch<{ Params: { id: string; userId: string }; Body: { role: string } }>('/organizations/:id/members/:userId', {
    ...authed,
    schema: {
      tags, security, summary: "Change a member's role (organization.members:manage; only within what the caller holds)", params: memberParams,
      body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: roleName } },
      response: { 200: member, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req) => organizations.updateMemberRole(acting(req), req.params.id, req.params.userId, req.body.role));

  app.delete<{ Params: { id: string; userId: string } }>('/organizations/:id/members/:userId', {
    ...authed, schema: { tags, security, summary: 'Remove a member (organization.members:manage); the last owner stays', params: memberParams, response: { 200: message, ...errors(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await organizations.removeMember(acting(req), req.params.id, req.params.userId);
    return { message: 'Member removed' };
  });

  app.post<{ Params: { id: string } }>('/organizations/:id/leave', {
    ...authed, schema: { tags, security, summary: 'Leave the organization (the last owner transfers ownership first)', params: idParams, response: { 200: message, ...errors(400, 401, 404, 409) } },
  }, async (req) => {
    await organizations.leave(me(req).user.id, req.params.id);
    return { message: 'Left the organization' };
  });

  app.post<{ Params: { id: string }; Body: { userId: string } }>('/organizations/:id/transfer', {
    ...authed,
    schema: {
      tags, security, summary: 'Make another member owner; the caller becomes admin (organization:transfer)', params: idParams,
      body: { type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: uuid } },
      response: { 200: { type: 'object', required: ['members'], properties: { members: { type: 'array', items: member } } }, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req) => ({ members: await organizations.transferOwnership(me(req).user.id, req.params.id, req.body.userId) }));

  app.post<{ Params: { id: string }; Body: { email: string; role?: string } }>('/organizations/:id/invitations', {
    onRequest: [guard, rateLimitHook(limiter, 'invitation')],
    schema: {
      tags, security, summary: 'Invite an address by email (organization.invitations:manage); a newer invitation replaces a pending one', params: idParams,
      body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: emailField, role: roleName } },
      response: { 201: invitation, ...errors(400, 401, 403, 404, 409, 429) },
    },
  }, async (req, reply) => reply.status(201).send(await invitations.create(acting(req), req.params.id, req.body)));

  app.get<{ Params: { id: string }; Querystring: { pending?: boolean } }>('/organizations/:id/invitations', {
    ...authed,
    schema: {
      tags, security, summary: "The organization's invitations (organization.invitations:manage)", params: idParams,
      querystring: { type: 'object', properties: { pending: { type: 'boolean', description: 'Only pending ones' } } },
      response: { 200: { type: 'object', required: ['invitations'], properties: { invitations: { type: 'array', items: invitation } } }, ...errors(400, 401, 403, 404) },
    },
  }, async (req) => ({ invitations: await invitations.list(acting(req), req.params.id, req.query.pending === true) }));

  app.delete<{ Params: { id: string; invitationId: string } }>('/organizations/:id/invitations/:invitationId', {
    ...authed, schema: { tags, security, summary: 'Revoke a pending invitation (organization.invitations:manage)', params: invitationParams, response: { 200: message, ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    await invitations.revoke(acting(req), req.params.id, req.params.invitationId);
    return { message: 'Invitation revoked' };
  });
};
