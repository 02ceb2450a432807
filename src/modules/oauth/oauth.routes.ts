// Social sign-in under /auth: the start and the callback of the browser flow, the code
// exchange of native apps, and the caller's identities with their provider tokens.
// Browser navigations end in a redirect to the application (the outcome or the error
// code in the query string); requests that ask for JSON get JSON.
import fastifyFormbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { randomToken } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import { errorResponses, rateLimitHook, sessionContext, setRefreshCookie, signedInBody, type CookieSettings } from '../../core/http/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { OAuthService, Outcome } from './oauth.service.ts';

export interface OAuthRoutesOptions {
  oauth: OAuthService;
  limiter: RateLimiter;
  /** The sign-in limiter of /auth/login (AUTH_RATE_LIMIT_LOGIN_*), for the native code exchange. */
  loginLimiter: RateLimiter;
  cookies: CookieSettings;
  guard: (req: FastifyRequest) => Promise<void>;
  redirects: { check(redirectTo: string | undefined): string; withParams(url: string, params: Record<string, string>): string };
}

/** The cookie that binds a sign-in's state to the browser that started it. */
export const BINDING_COOKIE = 'tessera_oauth';
const BINDING_PATH = '/auth/oauth';

const provider = { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } as const;
const providerParams = { type: 'object', required: ['provider'], properties: { provider } } as const;
const tags = ['oauth'];
const identitySchema = {
  type: 'object',
  required: ['provider', 'email', 'emailVerified', 'name', 'avatarUrl', 'scopes', 'hasProviderToken', 'needsReconsent', 'createdAt', 'lastSignInAt'],
  properties: {
    provider: { type: 'string' }, email: { type: ['string', 'null'] }, emailVerified: { type: 'boolean' }, name: { type: ['string', 'null'] }, avatarUrl: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } }, hasProviderToken: { type: 'boolean' },
    needsReconsent: { type: 'boolean', description: 'Every refresh of the provider token failed: sign in with the provider again' },
    createdAt: { type: 'string', format: 'date-time' }, lastSignInAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const wantsJson = (req: FastifyRequest) => /application\/json/.test(req.headers.accept ?? '') && !/text\/html/.test(req.headers.accept ?? '');

export const oauthRoutes: FastifyPluginAsync<OAuthRoutesOptions> = async (app, opts) => {
  const { oauth, cookies, guard, redirects } = opts;
  const limit = rateLimitHook(opts.limiter, 'oauth');
  const signInLimit = rateLimitHook(opts.loginLimiter, 'oauth-token');
  // Apple answers with a form POST.
  await app.register(fastifyFormbody);

  /** The browser's binding value: the one it has, or a new one set now. */
  function binding(req: FastifyRequest, reply: FastifyReply, formPost: boolean): string {
    const have = req.cookies?.[BINDING_COOKIE];
    if (have && /^[A-Za-z0-9_-]{43}$/.test(have)) return have;
    const value = randomToken(32);
    // Apple posts the answer cross-site: only a SameSite=None (so Secure) cookie comes with it.
    const sameSite = formPost && cookies.secure ? 'none' : 'lax';
    reply.setCookie(BINDING_COOKIE, value, { httpOnly: true, secure: cookies.secure, sameSite, path: BINDING_PATH, maxAge: 600 });
    return value;
  }

  /** The end of the browser flow: a session cookie and the application, or the error for it. */
  async function land(req: FastifyRequest, reply: FastifyReply, run: () => Promise<Outcome>) {
    try {
      const outcome = await run();
      if (outcome.kind === 'signed_in') setRefreshCookie(reply, outcome.signedIn!.refreshToken, cookies);
      if (wantsJson(req)) {
        return outcome.kind === 'signed_in'
          ? { status: 'signed_in', accessToken: outcome.signedIn!.accessToken, user: outcome.signedIn!.user, redirectTo: outcome.redirectTo }
          : { status: 'linked', provider: outcome.provider, redirectTo: outcome.redirectTo };
      }
      const target = outcome.kind === 'linked' ? redirects.withParams(outcome.redirectTo, { linked: outcome.provider }) : outcome.redirectTo;
      return reply.redirect(target, 302);
    } catch (err) {
      if (!(err instanceof AppError) || wantsJson(req)) throw err;
      if (err.status >= 500 && err.code !== 'oauth_provider_unavailable' && err.code !== 'hook_failed') throw err;
      const { redirectTo, ...fields } = err.fields ?? {};
      const extra = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
      const base = typeof redirectTo === 'string' ? redirectTo : redirects.check(undefined);
      req.log.info({ oauth: 'sign_in_failed', code: err.code }, 'social sign-in did not complete');
      return reply.redirect(redirects.withParams(base, { error: err.code, error_description: err.message, ...extra }), 302);
    }
  }

  app.get('/oauth/providers', {
    schema: {
      tags, summary: 'The social sign-in providers in service, for a sign-in page',
      response: { 200: { type: 'object', required: ['providers'], properties: { providers: { type: 'array', items: { type: 'object', required: ['name', 'displayName'], properties: { name: { type: 'string' }, displayName: { type: 'string' }, kind: { type: 'string' } } } } } } },
    },
  }, async () => ({ providers: (await oauth.registry.list()).filter((p) => p.enabled).map((p) => ({ name: p.name, displayName: p.displayName, kind: p.kind })) }));

  app.get<{ Params: { provider: string }; Querystring: { redirectTo?: string; link?: boolean; link_to?: string; linkTo?: string } }>('/oauth/:provider', {
    onRequest: limit,
    preHandler: async (req) => {
      // Naming the account to link in the URL is refused, not read as a sign-in: linking
      // is for the signed-in user only (link=true with their bearer token).
      if (req.query.link_to !== undefined || req.query.linkTo !== undefined) throw new AppError('oauth_link_to_unsupported');
      if (req.query.link) await guard(req);
    },
    schema: {
      tags,
      summary: 'Start a social sign-in: a redirect to the provider (state, PKCE, nonce). With link=true and a bearer token, links the provider to the signed-in user; asked with Accept: application/json it answers {url} instead of redirecting',
      params: providerParams,
      // Anonymous to sign in; the bearer token of the user when linking (link=true).
      security: [{}, { bearerAuth: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          redirectTo: { type: 'string', maxLength: 2000 }, link: { type: 'boolean', default: false },
          link_to: { type: 'string', maxLength: 2000, description: 'Not supported: answered 400 `oauth_link_to_unsupported` (link with `link=true` and a bearer token)' },
          linkTo: { type: 'string', maxLength: 2000, description: 'As `link_to`' },
        },
      },
      response: { 200: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }, 302: { type: 'null', description: 'To the provider' }, ...errorResponses(400, 401, 404, 429, 502) },
    },
  }, async (req, reply) => {
    const linkUserId = req.query.link ? req.auth?.user.id : undefined;
    const formPost = (await oauth.registry.get(req.params.provider)).adapter.responseMode === 'form_post';
    const { url } = await oauth.start(req.params.provider, { redirectTo: req.query.redirectTo, linkUserId, browserBinding: binding(req, reply, formPost) });
    if (wantsJson(req)) return { url };
    return reply.redirect(url, 302);
  });

  app.get<{ Params: { provider: string }; Querystring: Record<string, string> }>('/oauth/:provider/callback', {
    onRequest: limit,
    schema: {
      tags, summary: "The provider's redirect back: signs in (refresh cookie) and redirects to redirectTo, or to it with ?error=<code> (and the MFA challenge when a second factor is due)",
      params: providerParams,
      querystring: { type: 'object', additionalProperties: { type: 'string', maxLength: 4096 }, properties: { state: { type: 'string' }, code: { type: 'string' }, error: { type: 'string' } } },
      response: { 302: { type: 'null', description: 'To the application' }, ...errorResponses(400, 404, 409, 502) },
    },
  }, async (req, reply) => land(req, reply, () => oauth.callback(req.params.provider, req.query, req.cookies?.[BINDING_COOKIE], sessionContext(req, 'web'))));

  app.post<{ Params: { provider: string }; Body: Record<string, string> }>('/oauth/:provider/callback', {
    onRequest: limit,
    schema: {
      tags, summary: "The provider's answer as a form POST (Apple's response_mode=form_post); as the GET",
      params: providerParams,
      body: { type: 'object', additionalProperties: { type: 'string', maxLength: 8192 }, properties: { state: { type: 'string' }, code: { type: 'string' }, user: { type: 'string' } } },
      response: { 302: { type: 'null', description: 'To the application' }, ...errorResponses(400, 404, 409, 502) },
    },
  }, async (req, reply) => land(req, reply, () => oauth.callback(req.params.provider, req.body ?? {}, req.cookies?.[BINDING_COOKIE], sessionContext(req, 'web'))));

  const redirectUri = { type: 'string', minLength: 1, maxLength: 2000, description: "The app's own redirect (an app link), listed in AUTH_REDIRECT_ALLOWLIST; never Tessera's /auth/oauth/:provider/callback" } as const;

  app.post<{ Params: { provider: string }; Body: { redirectUri: string; codeChallenge: string; codeChallengeMethod?: 'S256' } }>('/oauth/:provider/authorize', {
    onRequest: limit,
    schema: {
      tags, summary: "Native apps, step 1: the provider's authorization URL for the app's redirect, and a state (10 minutes, single use) bound to the app's PKCE code challenge",
      params: providerParams,
      body: {
        type: 'object', required: ['redirectUri', 'codeChallenge'], additionalProperties: false,
        properties: {
          redirectUri,
          codeChallenge: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$', description: 'BASE64URL(SHA-256(codeVerifier)), RFC 7636 S256' },
          codeChallengeMethod: { type: 'string', enum: ['S256'], default: 'S256' },
        },
      },
      response: {
        200: { type: 'object', required: ['url', 'state', 'expiresAt'], properties: { url: { type: 'string' }, state: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } },
        ...errorResponses(400, 404, 429, 502),
      },
    },
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return oauth.nativeStart(req.params.provider, req.body);
  });

  app.post<{ Params: { provider: string }; Body: { code: string; state: string; codeVerifier: string; redirectUri: string; client?: 'web' | 'native' } }>('/oauth/:provider/token', {
    onRequest: signInLimit,
    schema: {
      tags, summary: 'Native apps, step 2: exchange the code their redirect received, with the state of step 1 and the PKCE verifier of its challenge, for Tessera tokens (answered like /auth/login; rate limited like it)',
      params: providerParams,
      body: {
        type: 'object', required: ['code', 'state', 'codeVerifier', 'redirectUri'], additionalProperties: false,
        properties: {
          code: { type: 'string', minLength: 1, maxLength: 4096 },
          state: { type: 'string', minLength: 1, maxLength: 200, description: 'The state of POST /auth/oauth/:provider/authorize' },
          codeVerifier: { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$', description: 'RFC 7636: 43 to 128 characters of A-Z a-z 0-9 - . _ ~' },
          redirectUri,
          client: { type: 'string', enum: ['web', 'native'], default: 'native' },
        },
      },
      response: { ...errorResponses(400, 401, 403, 404, 409, 429, 502) },
    },
  }, async (req, reply) => {
    const client = req.body.client ?? 'native';
    const outcome = await oauth.exchange(req.params.provider, req.body, sessionContext(req, client));
    return signedInBody(reply, client, outcome.signedIn!, cookies);
  });

  app.get('/identities', {
    onRequest: guard,
    schema: { tags, summary: "The caller's linked provider identities", response: { 200: { type: 'object', required: ['identities'], properties: { identities: { type: 'array', items: identitySchema } } }, ...errorResponses(401) } },
  }, async (req) => ({ identities: await oauth.identities(req.auth!.user.id) }));

  app.delete<{ Params: { provider: string } }>('/identities/:provider', {
    onRequest: guard,
    schema: {
      tags, summary: 'Unlink a provider; refused (409 last_sign_in_method) when it is the last way to sign in', params: providerParams,
      response: { 200: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } }, ...errorResponses(400, 401, 404, 409) },
    },
  }, async (req) => {
    await oauth.unlink(req.auth!.user.id, req.params.provider);
    return { message: 'Provider unlinked' };
  });

  app.get<{ Params: { provider: string } }>('/identities/:provider/token', {
    onRequest: guard,
    schema: {
      tags, summary: "A valid access token of the provider for the caller's identity (refreshed first when it is about to expire), to call the provider's API", params: providerParams,
      response: {
        200: { type: 'object', required: ['provider', 'accessToken', 'tokenType', 'expiresAt', 'scopes'], properties: { provider: { type: 'string' }, accessToken: { type: 'string' }, tokenType: { type: 'string' }, expiresAt: { type: ['string', 'null'], format: 'date-time' }, scopes: { type: 'array', items: { type: 'string' } } } },
        ...errorResponses(400, 401, 404, 409, 502),
      },
    },
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return oauth.providerToken(req.auth!.user.id, req.params.provider);
  });
};
