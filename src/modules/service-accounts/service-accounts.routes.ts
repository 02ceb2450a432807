// POST /auth/token: the client-credentials grant (RFC 6749 section 4.4) for service
// accounts. Form-encoded (as the RFC says) or JSON; the client authenticates with HTTP
// Basic or with client_id and client_secret in the body, never both. Errors are in RFC
// 6749 5.2's shape (`error` is the RFC's value, with `error_description`) beside our
// `code`: the error handler does that for routes marked `oauthErrors`.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import { AppError } from '../../core/errors/index.ts';
import { errorResponses } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { ServiceAccountsService } from './service-accounts.service.ts';

export interface ServiceTokenRoutesOptions {
  serviceAccounts: ServiceAccountsService;
  limiter: RateLimiter;
}

interface TokenBody { grant_type: string; scope?: string; client_id?: string; client_secret?: string }

const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));

/** Client credentials from HTTP Basic (form-encoded per RFC 6749 2.3.1) or the body. */
function clientCredentials(req: FastifyRequest<{ Body: TokenBody }>): { id: string; secret: string; basic: boolean } {
  const header = req.headers.authorization?.trim();
  const body = req.body;
  if (header) {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!m?.[1] || body.client_secret !== undefined) throw invalidRequest('use one client authentication method: HTTP Basic or the body');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidRequest('malformed Basic credentials');
    try {
      return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)), basic: true };
    } catch {
      throw invalidRequest('malformed Basic credentials');
    }
  }
  if (!body.client_id || !body.client_secret) {
    throw new AppError('invalid_client', { headers: { 'www-authenticate': 'Basic realm="tessera"' }, message: 'client authentication is required' });
  }
  return { id: body.client_id, secret: body.client_secret, basic: false };
}

function invalidRequest(description: string): AppError {
  return new AppError('invalid_request', { message: description });
}

export const serviceTokenRoutes: FastifyPluginAsync<ServiceTokenRoutesOptions> = async (app, { serviceAccounts, limiter }) => {
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });

  app.post<{ Body: TokenBody }>('/token', {
    config: { oauthErrors: true },
    schema: {
      tags: ['auth'],
      summary: 'Client-credentials grant for service accounts (RFC 6749 4.4)',
      // HTTP Basic, or the client's id and secret in the body (no scheme).
      security: [{ clientBasic: [] }, {}],
      description: 'Form-encoded or JSON. `grant_type=client_credentials`; optional `scope` (space-separated permissions, all granted ones when absent). Client authentication by HTTP Basic (`client_id:client_secret`) or `client_id` and `client_secret` in the body. Returns a JWT valid `expires_in` seconds whose `permissions` are the granted scope.',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      // Open on purpose: RFC 6749 3.2 says the server MUST ignore unrecognized parameters.
      body: {
        type: 'object', required: ['grant_type'], additionalProperties: true,
        properties: {
          grant_type: { type: 'string', maxLength: 100 }, scope: { type: 'string', maxLength: 4096 },
          client_id: { type: 'string', minLength: 1, maxLength: 200 }, client_secret: { type: 'string', minLength: 1, maxLength: 512 },
        },
      },
      response: {
        200: {
          type: 'object', required: ['access_token', 'token_type', 'expires_in', 'scope'],
          properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' }, scope: { type: 'string' } },
        },
        ...errorResponses(400, 401, 429),
      },
    },
  }, async (req, reply) => {
    // RFC 6749 5.1 (app.ts sets both for all of /auth, errors included; said here too).
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (req.body.grant_type !== 'client_credentials') {
      throw new AppError('unsupported_grant_type', { message: 'only client_credentials is supported here' });
    }
    const client = clientCredentials(req);
    try {
      return await serviceAccounts.clientCredentials(client.id, client.secret, req.body.scope);
    } catch (err) {
      // Failed client authentication counts against the caller's address.
      if (err instanceof AppError && err.code === 'invalid_client') await limiter.hit(`client-credentials:${req.ip}`);
      throw err;
    }
  });
};
