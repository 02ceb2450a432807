// The provider's HTTP surface: discovery (OpenID Connect Discovery 1.0, RFC 8414), the
// token endpoint, UserInfo, revocation (RFC 7009), and the browser-side steps under /auth
// that need the session cookie: the next step of an authorization request, the confirmed
// logout, and the user's consents. /oauth2/authorize and /oauth2/logout are pages (src/web).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import { AppError } from '../../core/errors/index.ts';
import { bearerToken, clearRefreshCookie, errorResponses, refreshCookie, type CookieSettings } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { OidcProvider } from './oidc.service.ts';

export interface OidcRoutesOptions {
  oidc: OidcProvider;
  limiter: RateLimiter;
  csrf: (req: FastifyRequest) => void;
  guard: preHandlerAsyncHookHandler;
  cookies: CookieSettings;
  /** The client-credentials grant of service accounts (machine clients). */
  clientCredentials: (clientId: string, secret: string, scope: string | undefined) => Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string }>;
}

interface TokenBody {
  grant_type: string; code?: string; redirect_uri?: string; code_verifier?: string; refresh_token?: string; scope?: string;
  client_id?: string; client_secret?: string;
}

const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));

/** RFC 6749 2.3.1: HTTP Basic (form-encoded) or the body, never both; a public client names itself only. */
function clientOf(req: FastifyRequest<{ Body: { client_id?: string; client_secret?: string } }>): { id: string; secret: string | undefined } {
  const header = req.headers.authorization?.trim();
  const body = req.body;
  if (header) {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!m?.[1] || body.client_secret !== undefined) throw new AppError('invalid_request', { message: 'use one client authentication method: HTTP Basic or the body' });
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AppError('invalid_request', { message: 'malformed Basic credentials' });
    try {
      const id = formDecode(decoded.slice(0, colon));
      if (body.client_id !== undefined && body.client_id !== id) throw new AppError('invalid_request', { message: 'client_id differs from the Basic credentials' });
      return { id, secret: formDecode(decoded.slice(colon + 1)) };
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new AppError('invalid_request', { message: 'malformed Basic credentials' });
    }
  }
  if (!body.client_id) throw new AppError('invalid_client', { headers: { 'www-authenticate': 'Basic realm="tessera"' }, message: 'client authentication is required' });
  return { id: body.client_id, secret: body.client_secret };
}

const str = { type: 'string' } as const;
const strs = { type: 'array', items: str } as const;
const metadataSchema = {
  type: 'object', additionalProperties: true,
  required: ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported'],
  properties: {
    issuer: str, authorization_endpoint: str, token_endpoint: str, userinfo_endpoint: str, jwks_uri: str, revocation_endpoint: str, introspection_endpoint: str,
    end_session_endpoint: str, scopes_supported: strs, claims_supported: strs, grant_types_supported: strs, response_types_supported: strs,
    response_modes_supported: strs, code_challenge_methods_supported: strs, token_endpoint_auth_methods_supported: strs,
    revocation_endpoint_auth_methods_supported: strs, subject_types_supported: strs, id_token_signing_alg_values_supported: strs,
    acr_values_supported: strs, prompt_values_supported: strs, claims_parameter_supported: { type: 'boolean' }, request_parameter_supported: { type: 'boolean' },
    request_uri_parameter_supported: { type: 'boolean' }, authorization_response_iss_parameter_supported: { type: 'boolean' },
    backchannel_logout_supported: { type: 'boolean' }, backchannel_logout_session_supported: { type: 'boolean' }, frontchannel_logout_supported: { type: 'boolean' },
  },
} as const;
const tokenAnswer = {
  type: 'object', required: ['access_token', 'token_type', 'expires_in'],
  properties: { access_token: str, token_type: str, expires_in: { type: 'integer' }, refresh_token: str, id_token: str, scope: str },
} as const;
const claimsSchema = {
  type: 'object', required: ['sub'],
  properties: { sub: str, preferred_username: str, name: str, locale: str, updated_at: { type: 'integer' }, email: str, email_verified: { type: 'boolean' } },
} as const;
const consentSchema = {
  type: 'object', required: ['clientId', 'name', 'logoUrl', 'scopes', 'grantedAt'],
  properties: { clientId: str, name: str, logoUrl: { type: ['string', 'null'] }, scopes: strs, grantedAt: { type: 'string', format: 'date-time' } },
} as const;
const clientFields = { client_id: { type: 'string', minLength: 1, maxLength: 200 }, client_secret: { type: 'string', minLength: 1, maxLength: 512 } } as const;

export const oidcRoutes: FastifyPluginAsync<OidcRoutesOptions> = async (app, { oidc, limiter, csrf, guard, cookies, clientCredentials }) => {
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  const tags = ['oidc'];
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  const authenticateClient = async (req: FastifyRequest<{ Body: { client_id?: string; client_secret?: string } }>) => {
    const c = clientOf(req);
    try {
      return await oidc.clients.authenticate(c.id, c.secret);
    } catch (err) {
      if (err instanceof AppError && err.code === 'invalid_client') await limiter.hit(`oidc-client:${req.ip}`);
      throw err;
    }
  };

  for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
    app.get(path, {
      schema: {
        tags, summary: path.endsWith('openid-configuration') ? 'OpenID Connect Discovery 1.0 metadata' : 'OAuth 2.0 Authorization Server Metadata (RFC 8414)',
        response: { 200: metadataSchema },
      },
    }, async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return oidc.metadata();
    });
  }

  app.post<{ Body: TokenBody }>('/oauth2/token', {
    config: { oauthErrors: true },
    schema: {
      tags, summary: 'Token endpoint: authorization_code (PKCE), refresh_token, client_credentials',
      description: 'Form-encoded (or JSON). `authorization_code` needs `code`, `redirect_uri` and `code_verifier`; `refresh_token` needs `refresh_token` (it rotates: keep the new one); `client_credentials` is the service accounts\' grant (as POST /auth/token). Confidential clients authenticate with HTTP Basic or `client_id` and `client_secret` in the body; public clients send `client_id` only. Errors follow RFC 6749 5.2.',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      // Open on purpose: RFC 6749 3.2 says unrecognized parameters are ignored.
      body: {
        type: 'object', required: ['grant_type'], additionalProperties: true,
        properties: {
          grant_type: { type: 'string', maxLength: 100 }, code: { type: 'string', maxLength: 512 }, redirect_uri: { type: 'string', maxLength: 2000 },
          code_verifier: { type: 'string', maxLength: 256 }, refresh_token: { type: 'string', maxLength: 1024 }, scope: { type: 'string', maxLength: 1024 }, ...clientFields,
        },
      },
      response: { 200: tokenAnswer, ...errorResponses(400, 401, 429) },
    },
  }, async (req, reply) => {
    noStore(reply);
    const b = req.body;
    if (b.grant_type === 'client_credentials') {
      const c = clientOf(req);
      if (await oidc.clients.findActive(c.id)) throw new AppError('unauthorized_client', { message: 'client_credentials is for service accounts' });
      if (c.secret === undefined) throw new AppError('invalid_client', { headers: { 'www-authenticate': 'Basic realm="tessera"' } });
      try {
        return await clientCredentials(c.id, c.secret, b.scope);
      } catch (err) {
        if (err instanceof AppError && err.code === 'invalid_client') await limiter.hit(`client-credentials:${req.ip}`);
        throw err;
      }
    }
    if (b.grant_type !== 'authorization_code' && b.grant_type !== 'refresh_token') throw new AppError('oidc_grant_type_unsupported');
    const client = await authenticateClient(req);
    const ctx = { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null };
    return b.grant_type === 'authorization_code' ? oidc.tokens.exchangeCode(client, b, ctx) : oidc.tokens.refresh(client, b);
  });

  const userinfo = async (req: FastifyRequest, reply: FastifyReply) => {
    noStore(reply);
    // The header, or the form field of RFC 6750 2.2 on a POST.
    const inBody = (req.body as { access_token?: unknown } | undefined)?.access_token;
    const token = bearerToken(req) ?? (typeof inBody === 'string' && inBody !== '' ? inBody : undefined);
    if (!token) throw new AppError('unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
    return oidc.tokens.userinfo(token);
  };
  const userinfoSchema = {
    tags, summary: 'OpenID Connect UserInfo: the claims of the token\'s scopes', security: [{ bearerAuth: [] }],
    response: { 200: claimsSchema, ...errorResponses(401) },
  };
  app.get('/oauth2/userinfo', { schema: userinfoSchema }, userinfo);
  app.post('/oauth2/userinfo', {
    schema: {
      ...userinfoSchema, summary: 'UserInfo (POST form)', consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: { type: 'object', additionalProperties: true, properties: { access_token: { type: 'string', maxLength: 8192, description: 'The access token, when not in the Authorization header (RFC 6750 2.2)' } } },
    },
  }, userinfo);

  app.post<{ Body: { token: string; token_type_hint?: string; client_id?: string; client_secret?: string } }>('/oauth2/revoke', {
    config: { oauthErrors: true },
    schema: {
      tags, summary: 'Token revocation (RFC 7009)',
      description: 'Ends the grant of an access or refresh token issued to the authenticated client (both its tokens stop working). Answers 200 for any token, known or not.',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: {
        type: 'object', required: ['token'], additionalProperties: true,
        properties: { token: { type: 'string', minLength: 1, maxLength: 8192 }, token_type_hint: { type: 'string', maxLength: 64 }, ...clientFields },
      },
      response: { 200: { type: 'object', additionalProperties: false, properties: {} }, ...errorResponses(400, 401, 429) },
    },
  }, async (req, reply) => {
    noStore(reply);
    const client = await authenticateClient(req);
    await oidc.tokens.revoke(client, req.body.token);
    return {};
  });

  app.post<{ Body: { request: string; decision?: 'approve' | 'deny' } }>('/auth/oauth2/authorize', {
    schema: {
      tags, summary: 'The next step of an authorization request (called by the hosted page)',
      description: 'With the browser\'s refresh cookie: `redirect` (back to the application, with a code or an error), `sign_in` (the hosted sign-in, which comes back here), or `consent` (the page asks the user, then calls again with `decision`). Without one the answer is `sign_in` (or the error `login_required` for `prompt=none`). A same-origin request (CSRF check).',
      // The cookie is optional: a browser that is not signed in is sent to the sign-in.
      security: [{ refreshCookie: [] }, {}],
      body: { type: 'object', required: ['request'], properties: { request: { type: 'string', minLength: 1, maxLength: 128 }, decision: { type: 'string', enum: ['approve', 'deny'] } } },
      response: {
        200: {
          type: 'object', required: ['action'],
          properties: {
            action: { type: 'string', enum: ['redirect', 'sign_in', 'consent'] }, location: str, scopes: strs,
            client: { type: 'object', required: ['clientId', 'name', 'logoUrl'], properties: { clientId: str, name: str, logoUrl: { type: ['string', 'null'] } } },
          },
        },
        ...errorResponses(400, 403),
      },
    },
  }, async (req) => {
    csrf(req);
    return oidc.authorization.resume(req.body.request, refreshCookie(req), req.body.decision, oidc.signInPage);
  });

  app.post<{ Body: { client_id?: string; post_logout_redirect_uri?: string; state?: string } }>('/auth/oauth2/logout', {
    schema: {
      tags, summary: 'Confirmed sign-out of an RP-initiated logout (the hosted confirmation page posts here)',
      // Without the cookie there is no session to end: the answer is the same location.
      security: [{ refreshCookie: [] }, {}],
      body: {
        type: 'object',
        properties: { client_id: { type: 'string', maxLength: 200 }, post_logout_redirect_uri: { type: 'string', maxLength: 2000 }, state: { type: 'string', maxLength: 2000 } },
      },
      response: { 200: { type: 'object', required: ['location'], properties: { location: { type: 'string', description: 'The post-logout redirect URI (with state), or the signed-out page' } } }, ...errorResponses(400, 403) },
    },
  }, async (req, reply) => {
    csrf(req);
    const plan = await oidc.logout.plan(req.body ?? {});
    if (plan.kind === 'page') throw new AppError(plan.code);
    await oidc.logout.endCookieSession(refreshCookie(req), plan.client?.client_id);
    clearRefreshCookie(reply, cookies);
    return { location: plan.redirect ?? '/ui/oauth2/signed-out' };
  });

  app.get('/auth/oauth2/consents', {
    preHandler: guard,
    schema: { tags, summary: 'The applications the caller allowed, with their scopes', security: [{ bearerAuth: [] }], response: { 200: { type: 'object', required: ['consents'], properties: { consents: { type: 'array', items: consentSchema } } }, ...errorResponses(401) } },
  }, async (req) => ({ consents: await oidc.consents.list(req.auth!.user.id) }));

  app.delete<{ Params: { clientId: string } }>('/auth/oauth2/consents/:clientId', {
    preHandler: guard,
    schema: {
      tags, summary: "Withdraws an application's consent and ends its grants", security: [{ bearerAuth: [] }],
      params: { type: 'object', required: ['clientId'], properties: { clientId: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: { 204: { type: 'null' }, ...errorResponses(401, 404) },
    },
  }, async (req, reply) => {
    await oidc.consents.revoke(req.auth!.user.id, req.params.clientId);
    return reply.code(204).send();
  });
};
