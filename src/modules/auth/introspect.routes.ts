// POST /auth/introspect (RFC 7662) for resource servers: is this token usable now, and
// whose is it? Callers authenticate with the shared introspection secret; failed
// attempts count against the rate limit, successful ones do not (resource servers call
// this at the rate of their own traffic). A service account's token is answered by the
// service-accounts module (injected as `serviceTokens`), every other by auth.introspect.
// Errors are in RFC 6749 5.2's shape (`oauthErrors`).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import { AppError } from '../../core/errors/index.ts';
import { safeEqual } from '../../core/crypto/index.ts';
import { errorResponses } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { AuthService } from './auth.service.ts';

/** The introspection of a service account's token; undefined when the token is not one. */
export type ServiceTokenIntrospector = (token: string) => Promise<Record<string, unknown> | undefined>;

export interface IntrospectRoutesOptions {
  auth: Pick<AuthService, 'introspect'>;
  serviceTokens?: ServiceTokenIntrospector;
  limiter: RateLimiter;
  /** AUTH_INTROSPECTION_SECRET; without it every caller is refused. */
  secret: string | undefined;
}

/**
 * The secret as the HTTP Basic password (any client id) or as a Bearer value. RFC 6749
 * form-encodes Basic credentials, and many clients do not: both readings are offered.
 */
function presentedSecrets(req: FastifyRequest): string[] {
  const header = req.headers.authorization?.trim() ?? '';
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return [];
    const raw = decoded.slice(colon + 1);
    try {
      return [raw, decodeURIComponent(raw.replace(/\+/g, ' '))];
    } catch {
      return [raw];
    }
  }
  const bearer = /^Bearer (\S+)$/i.exec(header);
  return bearer?.[1] ? [bearer[1]] : [];
}

const introspectionSchema = {
  type: 'object',
  required: ['active'],
  properties: {
    active: { type: 'boolean' },
    token_type: { type: 'string', enum: ['Bearer', 'Refresh'] },
    sub: { type: 'string' },
    sid: { type: 'string' },
    exp: { type: 'integer' },
    iat: { type: 'integer' },
    iss: { type: 'string' },
    aud: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
    client_id: { type: 'string' },
    scope: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string' },
  },
} as const;

export const introspectRoutes: FastifyPluginAsync<IntrospectRoutesOptions> = async (app, { auth, serviceTokens, limiter, secret }) => {
  // RFC 7662 requests are form-encoded; JSON is accepted too. Only in this plugin's scope.
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });

  app.post<{ Body: { token: string; token_type_hint?: string } }>('/introspect', {
    config: { oauthErrors: true },
    schema: {
      tags: ['auth'],
      summary: 'RFC 7662 token introspection for resource servers',
      description: 'Authenticate with `AUTH_INTROSPECTION_SECRET` as the HTTP Basic password (any client id) or as a Bearer value. Body (form-encoded or JSON): `token`, optional `token_type_hint` (`access_token` or `refresh_token`). A token that is not usable now gives `{"active": false}`. The hint is accepted and not needed: the shape of the token tells its type. A service account\'s token (client credentials) gives `client_id`, `scope` (what it can do now), `sub` (the account\'s id), `iat`, `exp`, `iss`. Errors follow RFC 6749 5.2 (`error`, `error_description`) beside `code`.',
      security: [{ introspectionBasic: [] }],
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      // Open on purpose: RFC 7662 2.1 lets callers add parameters, which are ignored.
      body: {
        type: 'object', required: ['token'], additionalProperties: true,
        properties: { token: { type: 'string', minLength: 1, maxLength: 8192 }, token_type_hint: { type: 'string', maxLength: 64 } },
      },
      response: { 200: introspectionSchema, ...errorResponses(400, 401, 429) },
    },
    // The caller is authenticated before the body is even validated.
    onRequest: async (req) => {
      // Every candidate is compared, so the time taken does not depend on which matched.
      const matched = secret ? presentedSecrets(req).map((given) => safeEqual(given, secret)).includes(true) : false;
      if (matched) return;
      await limiter.hit(`introspect:${req.ip}`);
      throw new AppError('invalid_client', { headers: { 'www-authenticate': 'Basic realm="tessera"' } });
    },
  }, async (req) => (await serviceTokens?.(req.body.token)) ?? auth.introspect(req.body.token));
};
