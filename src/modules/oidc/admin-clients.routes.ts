// /admin/oauth-clients: the applications that sign users in with Tessera (OpenID Connect
// clients). oauth_clients:read to look, oauth_clients:manage to register, change, rotate
// a secret or delete. A secret is in the answer of its creation or rotation only.
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../core/http/index.ts';
import type { PrincipalGuard } from '../rbac/index.ts';
import { SUPPORTED_SCOPES } from './clients.service.ts';
import type { OidcProvider } from './oidc.service.ts';

export interface AdminOidcClientsRoutesOptions {
  oidc: OidcProvider;
  principals: PrincipalGuard;
}

const str = { type: 'string' } as const;
const date = { type: 'string', format: 'date-time' } as const;
const uri = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const uris = { type: 'array', maxItems: 50, items: uri } as const;
const scopes = { type: 'array', maxItems: 20, items: { type: 'string', enum: [...SUPPORTED_SCOPES] }, description: 'Scopes the client may ask for; must include openid (all supported ones by default)' } as const;
const clientSchema = {
  type: 'object',
  required: ['clientId', 'name', 'logoUrl', 'type', 'redirectUris', 'postLogoutRedirectUris', 'allowedScopes', 'firstParty', 'backchannelLogoutUri', 'active', 'secretRotatedAt', 'createdAt', 'updatedAt'],
  properties: {
    clientId: str, name: str, logoUrl: { type: ['string', 'null'] }, type: { type: 'string', enum: ['confidential', 'public'] },
    redirectUris: { type: 'array', items: str }, postLogoutRedirectUris: { type: 'array', items: str }, allowedScopes: { type: 'array', items: str },
    firstParty: { type: 'boolean', description: 'No consent screen' }, backchannelLogoutUri: { type: ['string', 'null'] }, active: { type: 'boolean' },
    secretRotatedAt: { type: ['string', 'null'], format: 'date-time' }, createdAt: date, updatedAt: date,
  },
} as const;
const withSecret = {
  type: 'object', required: ['client', 'clientSecret'],
  properties: { client: clientSchema, clientSecret: { type: ['string', 'null'], description: 'The secret (confidential clients): shown in this answer only' } },
} as const;
const params = { type: 'object', required: ['clientId'], properties: { clientId: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const logoUrl = { type: ['string', 'null'], maxLength: 2000, pattern: '^https://' } as const;
const backchannel = { type: ['string', 'null'], maxLength: 2000, description: 'Where logout tokens are POSTed (OpenID Connect Back-Channel Logout)' } as const;

export const adminOidcClientsRoutes: FastifyPluginAsync<AdminOidcClientsRoutesOptions> = async (app, { oidc, principals }) => {
  const read = { onRequest: principals.require('oauth_clients:read') };
  const manage = { onRequest: principals.require('oauth_clients:manage') };
  const tags = ['admin'];
  const security = [{ bearerAuth: [] }];

  app.get('/oauth-clients', {
    ...read, schema: { tags, security, summary: 'OpenID Connect clients', response: { 200: { type: 'object', required: ['clients'], properties: { clients: { type: 'array', items: clientSchema } } }, ...errorResponses(401, 403) } },
  }, async () => ({ clients: await oidc.clients.list() }));

  app.post<{ Body: { clientId?: string; name: string; logoUrl?: string | null; type?: 'confidential' | 'public'; redirectUris: string[]; postLogoutRedirectUris?: string[]; allowedScopes?: string[]; firstParty?: boolean; backchannelLogoutUri?: string | null } }>('/oauth-clients', {
    ...manage,
    schema: {
      tags, security, summary: 'Registers an OpenID Connect client (its secret is in this answer only)',
      body: {
        type: 'object', required: ['name', 'redirectUris'],
        properties: {
          clientId: { type: 'string', pattern: '^[A-Za-z0-9._-]{3,100}$', description: 'Generated when absent' }, name, logoUrl,
          type: { type: 'string', enum: ['confidential', 'public'], description: 'confidential (a secret; the default) or public (PKCE only: SPAs, mobile apps)' },
          redirectUris: { ...uris, minItems: 1 }, postLogoutRedirectUris: uris, allowedScopes: scopes, firstParty: { type: 'boolean' }, backchannelLogoutUri: backchannel,
        },
      },
      response: { 201: withSecret, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (req, reply) => reply.code(201).send(await oidc.clients.create(req.body)));

  app.get<{ Params: { clientId: string } }>('/oauth-clients/:clientId', {
    ...read, schema: { tags, security, summary: 'One OpenID Connect client', params, response: { 200: clientSchema, ...errorResponses(401, 403, 404) } },
  }, async (req) => oidc.clients.get(req.params.clientId));

  app.patch<{ Params: { clientId: string }; Body: { name?: string; logoUrl?: string | null; redirectUris?: string[]; postLogoutRedirectUris?: string[]; allowedScopes?: string[]; firstParty?: boolean; backchannelLogoutUri?: string | null; active?: boolean } }>('/oauth-clients/:clientId', {
    ...manage,
    schema: {
      tags, security, summary: 'Changes an OpenID Connect client', params,
      body: {
        type: 'object', minProperties: 1,
        properties: { name, logoUrl, redirectUris: { ...uris, minItems: 1 }, postLogoutRedirectUris: uris, allowedScopes: scopes, firstParty: { type: 'boolean' }, backchannelLogoutUri: backchannel, active: { type: 'boolean' } },
      },
      response: { 200: clientSchema, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (req) => oidc.clients.update(req.params.clientId, req.body));

  app.post<{ Params: { clientId: string } }>('/oauth-clients/:clientId/rotate-secret', {
    ...manage, schema: { tags, security, summary: "Replaces a confidential client's secret (the old one stops working at once)", params, response: { 200: withSecret, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => oidc.clients.rotateSecret(req.params.clientId));

  app.delete<{ Params: { clientId: string } }>('/oauth-clients/:clientId', {
    ...manage, schema: { tags, security, summary: 'Deletes an OpenID Connect client and ends its grants', params, response: { 204: { type: 'null' }, ...errorResponses(401, 403, 404) } },
  }, async (req, reply) => {
    await oidc.removeClient(req.params.clientId);
    return reply.code(204).send();
  });
};
