// /admin/oauth: social sign-in providers stored in the database (oauth:read to look,
// oauth:manage to change), and users' linked identities, with the merge of two users'.
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses } from '../../core/http/index.ts';
import { OAUTH_PROVIDER_IDS, type OAuthService } from '../oauth/index.ts';
import { callerOfRequest, type PrincipalGuard } from '../rbac/index.ts';
import type { AdminService } from './admin.service.ts';
import { idParams, message, UUID } from './admin.schemas.ts';

export interface AdminOAuthRoutesOptions {
  oauth: OAuthService;
  principals: PrincipalGuard;
  /** The rule of acting on a user (both users of a merge). */
  admin: Pick<AdminService, 'assertMayActOn'>;
}

const str = { type: 'string' } as const;
const url = { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2000 } as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } } } as const;
const providerSchema = {
  type: 'object', required: ['name', 'kind', 'displayName', 'source', 'enabled', 'callbackUrl'],
  properties: {
    name: str, kind: str, displayName: str, source: { type: 'string', enum: ['env', 'database'] }, enabled: { type: 'boolean' }, callbackUrl: { type: 'string', description: 'Register it at the provider' },
    clientId: str, scopes: { type: ['array', 'null'], items: str, description: "null: the adapter's default scopes" },
    settings: {
      type: 'object', description: 'Endpoint and provider settings given (no secret)',
      properties: { issuer: str, authorizationUrl: str, tokenUrl: str, userinfoUrl: str, jwksUrl: str, tenantId: str, teamId: str, keyId: str, baseUrl: str },
    },
    clientSecretSet: { type: 'boolean', description: 'A client secret is stored (it is never shown)' }, privateKeySet: { type: 'boolean', description: "Apple: a private key is stored (never shown)" },
  },
} as const;

export const adminOAuthRoutes: FastifyPluginAsync<AdminOAuthRoutesOptions> = async (app, { oauth, principals, admin }) => {
  const read = { onRequest: principals.require('oauth:read') };
  const manage = { onRequest: principals.require('oauth:manage') };
  const tags = ['admin'];

  app.get('/oauth/providers', {
    ...read,
    schema: { tags, summary: 'Every social sign-in provider, from the environment and the database (no secrets)', response: { 200: { type: 'object', required: ['providers'], properties: { providers: { type: 'array', items: providerSchema } } }, ...errorResponses(401, 403) } },
  }, async () => ({ providers: await oauth.registry.list() }));

  app.put<{ Params: { name: string }; Body: Parameters<OAuthService['saveProvider']>[1] }>('/oauth/providers/:name', {
    ...manage,
    schema: {
      tags, summary: 'Store or replace a provider in the database; secrets are sealed and never shown again. Omitted secrets keep their stored value', params: nameParams,
      body: {
        type: 'object', required: ['kind', 'clientId'], additionalProperties: false,
        properties: {
          kind: { type: 'string', enum: [...OAUTH_PROVIDER_IDS, 'oidc'] }, clientId: { type: 'string', minLength: 1, maxLength: 500 },
          clientSecret: { type: 'string', minLength: 1, maxLength: 2000 }, privateKey: { type: 'string', maxLength: 10000, description: "Apple: the .p8 key's PKCS#8 PEM" },
          enabled: { type: 'boolean' }, scopes: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 200 } }, displayName: { type: 'string', maxLength: 100 },
          issuer: url, authorizationUrl: url, tokenUrl: url, userinfoUrl: url, jwksUrl: url, baseUrl: url,
          tenantId: { type: 'string', pattern: '^[A-Za-z0-9.-]{1,100}$' }, teamId: { type: 'string', maxLength: 50 }, keyId: { type: 'string', maxLength: 50 },
        },
      },
      response: { 200: message, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (req) => {
    await oauth.saveProvider(req.params.name, req.body);
    return { message: 'Provider saved' };
  });

  app.delete<{ Params: { name: string } }>('/oauth/providers/:name', {
    ...manage,
    schema: { tags, summary: 'Delete a stored provider (identities stay; they sign in again if it comes back)', params: nameParams, response: { 200: message, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (req) => {
    await oauth.deleteProvider(req.params.name);
    return { message: 'Provider deleted' };
  });

  app.get<{ Params: { id: string } }>('/users/:id/identities', {
    ...read,
    schema: { tags, summary: "A user's linked provider identities (no tokens)", params: idParams, response: { 200: { type: 'object', required: ['identities'], properties: { identities: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses(400, 401, 403, 404) } },
  }, async (req) => ({ identities: await oauth.identitiesForAdmin(req.params.id) }));

  app.post<{ Params: { id: string }; Body: { fromUserId: string } }>('/users/:id/identities/merge', {
    ...manage,
    // Moving identities onto a user signs in as that user; taking them away locks one out:
    // the caller must hold every permission of both (permission_escalation).
    preHandler: async (req) => admin.assertMayActOn(callerOfRequest(req), [req.params.id, req.body.fromUserId]),
    schema: {
      tags, summary: "Move every provider identity of another user to this one (audited); refused when both have one of the same provider", params: idParams,
      body: { type: 'object', required: ['fromUserId'], additionalProperties: false, properties: { fromUserId: { type: 'string', pattern: UUID } } },
      response: { 200: { type: 'object', required: ['moved'], properties: { moved: { type: 'array', items: str } } }, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (req) => oauth.merge(req.params.id, req.body.fromUserId));
};
