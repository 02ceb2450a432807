// /admin/service-accounts: machine clients and their secrets (service_accounts:manage).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, optionalBody } from '../../core/http/index.ts';
import { callerOfRequest, type PrincipalGuard } from '../rbac/index.ts';
import type { ServiceAccountsService } from '../service-accounts/index.ts';
import { idParams, message, permissionParam, serviceAccountSchema } from './admin.schemas.ts';

export interface AdminServiceAccountsRoutesOptions {
  serviceAccounts: ServiceAccountsService;
  principals: PrincipalGuard;
}

// Each route's bearer requirement and permission are added to its schema by admin.routes.ts.

export const adminServiceAccountsRoutes: FastifyPluginAsync<AdminServiceAccountsRoutesOptions> = async (app, { serviceAccounts, principals }) => {
  const manage = { onRequest: principals.require('service_accounts:manage') };
  const tags = ['admin'];
  const withSecret = {
    type: 'object', required: ['serviceAccount', 'clientSecret'],
    properties: { serviceAccount: serviceAccountSchema, clientSecret: { type: 'string', description: 'Shown once: only its hash is kept' } },
  } as const;
  const expires = { type: ['string', 'null'], format: 'date-time', description: 'When the secret stops working (null: never)' } as const;
  const permissions = { type: 'array', maxItems: 500, items: permissionParam } as const;
  const name = { type: 'string', minLength: 1, maxLength: 100 } as const;
  const description = { type: 'string', maxLength: 500 } as const;

  app.get('/service-accounts', {
    ...manage,
    schema: { tags, summary: 'Every service account', response: { 200: { type: 'object', required: ['serviceAccounts'], properties: { serviceAccounts: { type: 'array', items: serviceAccountSchema } } }, ...errorResponses(401, 403) } },
  }, async () => ({ serviceAccounts: await serviceAccounts.list() }));

  app.post<{ Body: { name: string; description?: string; permissions?: string[]; secretExpiresAt?: string | null } }>('/service-accounts', {
    ...manage,
    schema: {
      tags, summary: 'Create a service account; the secret is in this answer only',
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name, description, permissions, secretExpiresAt: expires } },
      response: { 201: withSecret, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req, reply) => reply.status(201).send(await serviceAccounts.create(callerOfRequest(req), req.body)));

  app.get<{ Params: { id: string } }>('/service-accounts/:id', {
    ...manage,
    schema: { tags, summary: 'One service account', params: idParams, response: { 200: serviceAccountSchema, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => serviceAccounts.get(req.params.id));

  app.patch<{ Params: { id: string }; Body: { name?: string; description?: string; permissions?: string[]; active?: boolean } }>('/service-accounts/:id', {
    ...manage,
    schema: {
      tags, summary: 'Change name, description, permissions (replaced) or active flag; applies at once to its tokens', params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { name, description, permissions, active: { type: 'boolean' } } },
      response: { 200: serviceAccountSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => serviceAccounts.update(callerOfRequest(req), req.params.id, req.body));

  app.post<{ Params: { id: string }; Body: { secretExpiresAt?: string | null } }>('/service-accounts/:id/secret', {
    ...manage,
    preValidation: optionalBody,
    schema: {
      tags, summary: 'Rotate the secret: the old one stops working at once; the new one is in this answer only', params: idParams,
      body: { type: 'object', additionalProperties: false, properties: { secretExpiresAt: expires } },
      response: { 200: withSecret, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => serviceAccounts.rotateSecret(callerOfRequest(req), req.params.id, req.body));

  app.delete<{ Params: { id: string } }>('/service-accounts/:id', {
    ...manage,
    schema: { tags, summary: 'Delete a service account; its tokens stop working at once', params: idParams, response: { 200: message, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => {
    await serviceAccounts.remove(callerOfRequest(req), req.params.id);
    return { message: 'Service account deleted' };
  });
};
