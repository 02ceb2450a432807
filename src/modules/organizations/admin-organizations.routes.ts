// /admin/organizations: every organization, read with organizations:read and changed with
// organizations:manage. Adding, changing or removing a member is acting on that user:
// the caller must hold every permission the user holds (rbac assertMayActOn).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { errorResponses as errors } from '../../core/http/index.ts';
import { callerOfRequest, permissionOf, type PrincipalGuard } from '../rbac/index.ts';
import type { Invitations } from './invitations.ts';
import type { OrganizationsService } from './organizations.service.ts';
import { emailField, idParams, invitation, invitationParams, logoUrl, member, memberParams, message, metadata, name, organization, roleName, slug, uuid } from './organizations.schemas.ts';

export interface AdminOrganizationsRoutesOptions {
  organizations: OrganizationsService;
  invitations: Invitations;
  principals: PrincipalGuard;
}

const tags = ['admin'];

export const adminOrganizationsRoutes: FastifyPluginAsync<AdminOrganizationsRoutesOptions> = async (app, { organizations, invitations, principals }) => {
  // The API document states each route's permission (as the admin module does for its own).
  app.addHook('onRoute', (route) => {
    const permission = permissionOf(route.onRequest);
    if (!permission || !route.schema) return;
    const schema = route.schema as { security?: unknown; description?: string };
    schema.security = [{ bearerAuth: [permission] }];
    schema.description = `${schema.description ? `${schema.description}\n\n` : ''}Requires the permission \`${permission}\`.`;
  });
  const read = { onRequest: principals.require('organizations:read') };
  const manage = { onRequest: principals.require('organizations:manage') };
  const admin = (req: FastifyRequest) => ({ kind: 'admin' as const, caller: callerOfRequest(req) });

  app.get<{ Querystring: { search?: string; limit?: number; offset?: number } }>('/organizations', {
    ...read,
    schema: {
      tags, summary: 'Every organization, newest first, with its member count',
      querystring: { type: 'object', properties: { search: { type: 'string', maxLength: 100 }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 } } },
      response: { 200: { type: 'object', required: ['organizations', 'total'], properties: { organizations: { type: 'array', items: organization }, total: { type: 'integer' } } }, ...errors(400, 401, 403) },
    },
  }, async (req) => organizations.list({ search: req.query.search, limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 }));

  app.post<{ Body: { name: string; slug?: string; logoUrl?: string | null; metadata?: Record<string, unknown>; ownerId?: string } }>('/organizations', {
    ...manage,
    schema: {
      tags, summary: 'Create an organization, with `ownerId` as its first owner',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, slug, logoUrl, metadata, ownerId: uuid } },
      response: { 201: organization, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await organizations.create(admin(req), req.body)));

  app.get<{ Params: { id: string } }>('/organizations/:id', {
    ...read, schema: { tags, summary: 'One organization', params: idParams, response: { 200: organization, ...errors(400, 401, 403, 404) } },
  }, async (req) => organizations.get(admin(req), req.params.id));

  app.patch<{ Params: { id: string }; Body: { name?: string; slug?: string; logoUrl?: string | null; metadata?: Record<string, unknown> } }>('/organizations/:id', {
    ...manage,
    schema: {
      tags, summary: "Change an organization's name, slug, logo or metadata", params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, slug, logoUrl, metadata } },
      response: { 200: organization, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req) => organizations.update(admin(req), req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/organizations/:id', {
    ...manage, schema: { tags, summary: 'Delete an organization with its memberships and invitations', params: idParams, response: { 200: message, ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    await organizations.remove(admin(req), req.params.id);
    return { message: 'Organization deleted' };
  });

  app.get<{ Params: { id: string } }>('/organizations/:id/members', {
    ...read, schema: { tags, summary: 'Members of an organization', params: idParams, response: { 200: { type: 'object', required: ['members'], properties: { members: { type: 'array', items: member } } }, ...errors(400, 401, 403, 404) } },
  }, async (req) => ({ members: await organizations.listMembers(admin(req), req.params.id) }));

  app.post<{ Params: { id: string }; Body: { userId: string; role?: string } }>('/organizations/:id/members', {
    ...manage,
    schema: {
      tags, summary: 'Add a user as a member (role `member` unless given)', params: idParams,
      body: { type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: uuid, role: roleName } },
      response: { 201: member, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await organizations.addMember(admin(req), req.params.id, req.body.userId, req.body.role)));

  app.patch<{ Params: { id: string; userId: string }; Body: { role: string } }>('/organizations/:id/members/:userId', {
    ...manage,
    schema: {
      tags, summary: "Change a member's role (the last owner stays owner)", params: memberParams,
      body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role: roleName } },
      response: { 200: member, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req) => organizations.updateMemberRole(admin(req), req.params.id, req.params.userId, req.body.role));

  app.delete<{ Params: { id: string; userId: string } }>('/organizations/:id/members/:userId', {
    ...manage, schema: { tags, summary: 'Remove a member (not the last owner)', params: memberParams, response: { 200: message, ...errors(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await organizations.removeMember(admin(req), req.params.id, req.params.userId);
    return { message: 'Member removed' };
  });

  app.get<{ Params: { id: string } }>('/organizations/:id/invitations', {
    ...read, schema: { tags, summary: "An organization's invitations", params: idParams, response: { 200: { type: 'object', required: ['invitations'], properties: { invitations: { type: 'array', items: invitation } } }, ...errors(400, 401, 403, 404) } },
  }, async (req) => ({ invitations: await invitations.list(admin(req), req.params.id) }));

  app.post<{ Params: { id: string }; Body: { email: string; role?: string } }>('/organizations/:id/invitations', {
    ...manage,
    schema: {
      tags, summary: 'Invite an address by email', params: idParams,
      body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email: emailField, role: roleName } },
      response: { 201: invitation, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await invitations.create(admin(req), req.params.id, req.body)));

  app.delete<{ Params: { id: string; invitationId: string } }>('/organizations/:id/invitations/:invitationId', {
    ...manage, schema: { tags, summary: 'Revoke a pending invitation', params: invitationParams, response: { 200: message, ...errors(400, 401, 403, 404) } },
  }, async (req) => {
    await invitations.revoke(admin(req), req.params.id, req.params.invitationId);
    return { message: 'Invitation revoked' };
  });
};
