// /admin/roles and /admin/permissions: the role graph, read with roles:read and changed
// with roles:manage (never beyond what the caller holds).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../core/http/index.ts';
import { callerOfRequest, type PrincipalGuard, type RbacService } from '../rbac/index.ts';
import { message, permissionParam, permissionSchema, roleParam, roleSchema } from './admin.schemas.ts';

export interface AdminRbacRoutesOptions {
  rbac: RbacService;
  principals: PrincipalGuard;
}

// Each route's bearer requirement and permission are added to its schema by admin.routes.ts.

export const adminRbacRoutes: FastifyPluginAsync<AdminRbacRoutesOptions> = async (app, { rbac, principals }) => {
  const read = { onRequest: principals.require('roles:read') };
  const manage = { onRequest: principals.require('roles:manage') };
  const tags = ['admin'];
  const nameParams = { type: 'object', required: ['name'], properties: { name: roleParam } } as const;
  const description = { type: 'string', maxLength: 500 } as const;

  app.get('/roles', {
    ...read,
    schema: { tags, summary: 'Every role with its permissions, included roles and effective permissions', response: { 200: { type: 'object', required: ['roles'], properties: { roles: { type: 'array', items: roleSchema } } }, ...errorResponses(401, 403) } },
  }, async () => ({ roles: await rbac.listRoles() }));

  app.get<{ Params: { name: string } }>('/roles/:name', {
    ...read,
    schema: { tags, summary: 'One role', params: nameParams, response: { 200: roleSchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => rbac.getRole(req.params.name));

  app.post<{ Body: { name: string; description?: string; permissions?: string[]; includes?: string[] } }>('/roles', {
    ...manage,
    schema: {
      tags, summary: 'Create a role',
      body: {
        type: 'object', required: ['name'], additionalProperties: false,
        properties: { name: roleParam, description, permissions: { type: 'array', maxItems: 500, items: permissionParam }, includes: { type: 'array', maxItems: 100, items: roleParam } },
      },
      response: { 201: roleSchema, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await rbac.createRole(callerOfRequest(req), req.body)));

  app.patch<{ Params: { name: string }; Body: { description?: string } }>('/roles/:name', {
    ...manage,
    schema: {
      tags, summary: "Change a role's description", params: nameParams,
      body: { type: 'object', required: ['description'], additionalProperties: false, properties: { description } },
      response: { 200: roleSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => rbac.updateRole(callerOfRequest(req), req.params.name, req.body));

  app.delete<{ Params: { name: string } }>('/roles/:name', {
    ...manage,
    schema: { tags, summary: 'Delete a role (not a built-in one, nor anyone\'s default role)', params: nameParams, response: { 200: message, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await rbac.deleteRole(callerOfRequest(req), req.params.name);
    return { message: 'Role deleted' };
  });

  const grantParams = { type: 'object', required: ['name', 'permission'], properties: { name: roleParam, permission: permissionParam } } as const;
  app.put<{ Params: { name: string; permission: string } }>('/roles/:name/permissions/:permission', {
    ...manage,
    schema: { tags, summary: 'Grant a permission to a role (idempotent)', params: grantParams, response: { 200: roleSchema, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await rbac.grantPermission(callerOfRequest(req), req.params.name, req.params.permission);
    return rbac.getRole(req.params.name);
  });

  app.delete<{ Params: { name: string; permission: string } }>('/roles/:name/permissions/:permission', {
    ...manage,
    schema: { tags, summary: 'Take a permission from a role', params: grantParams, response: { 200: roleSchema, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await rbac.revokePermission(callerOfRequest(req), req.params.name, req.params.permission);
    return rbac.getRole(req.params.name);
  });

  const includeParams = { type: 'object', required: ['name', 'role'], properties: { name: roleParam, role: roleParam } } as const;
  app.put<{ Params: { name: string; role: string } }>('/roles/:name/includes/:role', {
    ...manage,
    schema: { tags, summary: "Make a role include another role's permissions (cycles refused)", params: includeParams, response: { 200: roleSchema, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await rbac.addInclude(callerOfRequest(req), req.params.name, req.params.role);
    return rbac.getRole(req.params.name);
  });

  app.delete<{ Params: { name: string; role: string } }>('/roles/:name/includes/:role', {
    ...manage,
    schema: { tags, summary: 'Stop a role including another', params: includeParams, response: { 200: roleSchema, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await rbac.removeInclude(callerOfRequest(req), req.params.name, req.params.role);
    return rbac.getRole(req.params.name);
  });

  app.get('/permissions', {
    ...read,
    schema: { tags, summary: 'Every permission and the roles granting it', response: { 200: { type: 'object', required: ['permissions'], properties: { permissions: { type: 'array', items: permissionSchema } } }, ...errorResponses(401, 403) } },
  }, async () => ({ permissions: await rbac.listPermissions() }));

  app.post<{ Body: { name: string; description?: string } }>('/permissions', {
    ...manage,
    schema: {
      tags, summary: 'Create a permission (`resource:action`)',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: permissionParam, description } },
      response: { 201: permissionSchema, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (req, reply) => reply.status(201).send(await rbac.createPermission(callerOfRequest(req), req.body)));

  app.delete<{ Params: { name: string } }>('/permissions/:name', {
    ...manage,
    schema: {
      tags, summary: 'Delete a permission (not a built-in one); roles and service accounts lose it',
      params: { type: 'object', required: ['name'], properties: { name: permissionParam } }, response: { 200: message, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req) => {
    await rbac.deletePermission(callerOfRequest(req), req.params.name);
    return { message: 'Permission deleted' };
  });
};
