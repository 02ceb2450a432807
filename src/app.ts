// buildApp(deps): the Fastify instance with every plugin and route. It never listens:
// main.ts does that, and most tests call it in memory with `inject`.
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import helmet from 'helmet';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Deps } from './deps.ts';
import { AppError } from './core/errors/index.ts';
import { checkRequestInput, closeRouteBody, createAuthGuard, createCrossSiteGuard, createCsrfCheck, createOperationIdHook, declareSecurity, freeFormKeyword, installErrorHandler, lazyChildLogger, lazyValidator, openapiTransform, parseJsonBody, recordHeaders, type Validate } from './core/http/index.ts';
import { runWithContext, setActor } from './core/context.ts';
import { publicUrl } from './core/config/index.ts';
import { adminRoutes, createAdminStatsService, documentPermission } from './modules/admin/index.ts';
import { mfaRoutes } from './modules/mfa/index.ts';
import { passkeysRoutes } from './modules/passkeys/index.ts';
import { OAUTH_PROVIDER_IDS, oauthRoutes } from './modules/oauth/index.ts';
import { createPrincipalGuard, rbacRoutes } from './modules/rbac/index.ts';
import { adminOrganizationsRoutes, organizationsRoutes } from './modules/organizations/index.ts';
import { createServiceTokenIntrospection, serviceTokenRoutes } from './modules/service-accounts/index.ts';
import { passwordPolicyRoutes } from './modules/passwords/index.ts';
import { accountRoutes } from './modules/account/index.ts';
import { authRoutes, introspectRoutes } from './modules/auth/index.ts';
import { compatRoutes } from './modules/compat/index.ts';
import { sessionsRoutes } from './modules/sessions/index.ts';
import { healthRoutes } from './modules/health/index.ts';
import { metricsRoutes } from './modules/metrics/index.ts';
import { tokensRoutes } from './modules/tokens/index.ts';
import { adminOidcClientsRoutes, oidcRoutes } from './modules/oidc/index.ts';
import { webRoutes } from './web/index.ts';

// The factory fastify uses by default, built twice over (see schemaController below).
const buildAjvValidator = AjvCompiler() as unknown as (externalSchemas: unknown, options: object) => (route: object) => unknown;

/** Largest accepted request body: 1 MiB (413 past it). */
export const BODY_LIMIT = 1024 * 1024;

/** The origin of an https logo, which the CSP must allow as an image source. */
function logoOrigin(url: string | undefined): string[] {
  return url?.startsWith('https://') ? [new URL(url).origin] : [];
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const { config } = deps;
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    childLoggerFactory: (logger, bindings, opts) => lazyChildLogger(logger, bindings, opts),
    // A hop count is accepted at run time (proxy-addr) though the typings omit it.
    trustProxy: config.trustProxy as boolean | string[],
    bodyLimit: BODY_LIMIT,
    // A caller's request id is kept when it is safe to log; otherwise a fresh one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Probes would drown the log: they are not logged per request.
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: (req: { url?: string }) => req.url === '/healthz' || req.url === '/readyz' }),
    // Requests during the drain get our own coded 503 (see the onRequest hook below).
    return503OnClosing: false,
    // A path the router cannot decode (`%ud800`) or with an overlong parameter is answered
    // by our error handler, coded like any other (fastify's own body has FST_ codes).
    frameworkErrors: (err, req, reply) => {
      reply.headers(securityHeaders).header('x-request-id', req.id);
      return app.errorHandler(err, req, reply);
    },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false }, plugins: [freeFormKeyword] },
    // Bodies are JSON and are taken as typed (a "1" is not a number), and a field their
    // schema does not name is refused, never dropped (core/http/body-schema.ts); query
    // strings and path parameters are text by nature, so their integers and booleans are
    // converted, and unknown query parameters are dropped.
    schemaController: {
      compilersFactory: {
        // Each route's validator is compiled on its first request rather than at start-up
        // (compiling them all took about 130 ms of every start).
        buildValidator: ((externalSchemas: unknown, ajvOptions: { customOptions?: object } = {}) => {
          const typed = buildAjvValidator(externalSchemas, { ...ajvOptions, customOptions: { ...ajvOptions.customOptions, removeAdditional: false } });
          const coercing = buildAjvValidator(externalSchemas, { ...ajvOptions, customOptions: { ...ajvOptions.customOptions, coerceTypes: true } });
          return (route: { httpPart?: string }) => lazyValidator(() => (route.httpPart === 'body' ? typed : coercing)(route) as Validate);
        }) as unknown as BuildCompilerFromPool,
      },
    },
  });

  // JSON only: every other body type is 415. An empty body on a JSON request means
  // "no body" (POST /auth/refresh from a browser).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);

  // helmet's headers on every response. They do not depend on the request, so helmet runs
  // once, here, against a recording response, and each reply gets the recorded set in one
  // step (setting a dozen headers one by one through Node cost more than /auth/me itself).
  const securityHeaders = recordHeaders(helmet({
    // The API serves JSON; the docs page is the only HTML and needs its inline assets.
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:', 'validator.swagger.io', ...logoOrigin(config.uiLogoUrl)], formAction: ["'self'"], frameAncestors: ["'none'"],
      // Over plain http (development, tests on localhost) upgrading would break every asset.
      upgradeInsecureRequests: publicUrl(config).startsWith('https:') ? [] : null } },
    crossOriginResourcePolicy: { policy: 'same-site' },
    strictTransportSecurity: config.secureCookies ? { maxAge: 15552000, includeSubDomains: true } : false,
  }));
  // One synchronous hook opens every request (each async hook costs a promise per request):
  // helmet's headers, the request id, no-store under /auth (token and account responses
  // must never sit in a shared cache; routes may only make that stricter; RFC 6749 5.1
  // asks for Pragma too), the refusal while shutting down, and who asks from where for
  // the audit log, for the rest of the request. "Under /auth" is the route that matched,
  // never the raw URL (/%61uth/login reaches the same handler); an unmatched request gets
  // no-store too, which costs a 404 nothing.
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', req.id);
    const route = req.routeOptions.url;
    if (route === undefined || route.startsWith('/auth/')) reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (closing) {
      reply.header('connection', 'close');
      done(new AppError('not_ready', { message: 'The server is shutting down' }));
      return;
    }
    const ua = req.headers['user-agent'];
    runWithContext({ ip: req.ip ?? null, userAgent: typeof ua === 'string' ? ua : null }, done);
  });
  // Every answer is counted by route pattern (never the raw URL: one series per route).
  const { metrics } = deps;
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observeRequest(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  await app.register(fastifyCookie);
  if (config.corsOrigins.length) {
    const allowed = new Set(config.corsOrigins);
    const granted = {
      origin: true, credentials: true,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    };
    // Per request, so that an origin outside the list gets no CORS header at all.
    await app.register(fastifyCors, () => (req: FastifyRequest, cb: (err: Error | null, opts: object) => void) => {
      const origin = req.headers.origin;
      cb(null, origin && allowed.has(origin) ? granted : { origin: false });
    });
  }

  await app.register(fastifySwagger, {
    // Each operation's security comes from its guard hooks unless its schema states it
    // (src/core/http/openapi.ts); the operationIds are set as routes are added, below.
    transform: openapiTransform,
    // The public URL may carry a path the proxy strips: routes keep their own paths.
    stripBasePath: false,
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tessera', version: deps.version, description: 'Self-hosted authentication server. Errors are `{"error","code"}` with the codes of docs/errors.md.', license: { name: 'MIT', identifier: 'MIT' } },
      servers: [{ url: publicUrl(config), description: 'AUTH_PUBLIC_URL' }],
      components: { securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        refreshCookie: { type: 'apiKey', in: 'cookie', name: 'refresh_token' },
        introspectionBasic: { type: 'http', scheme: 'basic', description: 'Any client id; the password is AUTH_INTROSPECTION_SECRET (a Bearer value is accepted too)' },
        clientBasic: { type: 'http', scheme: 'basic', description: 'A client\'s `client_id:client_secret` (RFC 6749 2.3.1); the token endpoints also take them as `client_id` and `client_secret` in the body' },
      } },
      tags: [
        { name: 'auth', description: 'Core token API' },
        { name: 'email', description: 'Email verification, password reset and change, magic links, email codes, change of email' },
        { name: 'mfa', description: 'Second factors (TOTP, email, SMS, recovery codes), the second step of sign-in, step-up' },
        { name: 'passkeys', description: 'WebAuthn passkeys: sign-in, second factor, management' },
        { name: 'oauth', description: 'Social sign-in: ' + OAUTH_PROVIDER_IDS.join(', ') + ', and generic OpenID Connect issuers (AUTH_OIDC_PROVIDERS). Register the callback URL `<AUTH_PUBLIC_URL>/auth/oauth/<name>/callback` at each provider (GET /admin/oauth/providers lists each one\'s); provider setup is in docs/api.md#social-sign-in. Linked identities and provider tokens.' },
        { name: 'sessions', description: "The caller's sessions and devices" },
        { name: 'organizations', description: "Organizations: the caller's organizations, members, organization roles, invitations by email, and the session's active organization (carried in access tokens)" },
        { name: 'oidc', description: 'Tessera as an OpenID Connect provider (OAuth 2.1): discovery, the authorization code flow with PKCE through the hosted sign-in, tokens, UserInfo, revocation, RP-initiated logout, consents. See docs/oidc.md.' },
        { name: 'tokens', description: 'Signing keys' },
        { name: 'admin', description: 'Administration: users, roles, permissions, service accounts, audit log. Each route needs the permission it names.' },
        { name: 'health', description: 'Probes' },
        ...(config.compatProfiles.length ? [{ name: 'compat', description: `Compatibility profiles of replaced services (AUTH_COMPAT_PROFILES: ${config.compatProfiles.join(', ')}), see docs/compat.md` }] : []),
      ],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  installErrorHandler(app);
  // Every route's body schema is closed (unknown fields refused) before it is compiled or
  // documented; every request's strings and nesting are checked before its schema.
  const freeForm = { maxDepth: config.metadataMaxDepth, maxBytes: config.metadataMaxBytes };
  app.addHook('onRoute', (route) => {
    if (route.schema?.body) route.schema = { ...route.schema, body: closeRouteBody(route.schema.body, freeForm) };
  });
  // A stable operationId for every documented route; two alike stop the start-up.
  app.addHook('onRoute', createOperationIdHook());
  app.addHook('preValidation', checkRequestInput);

  const assignUser = (req: FastifyRequest, a: NonNullable<FastifyRequest['auth']>) => {
    req.auth = a;
    setActor({ type: 'user', id: a.user.id });
  };
  const guard = declareSecurity(createAuthGuard(deps.auth.authenticateFirstParty, assignUser, deps.auth.authenticateFirstPartyCached), [{ bearerAuth: [] }]);
  const principals = createPrincipalGuard({
    verify: (t) => deps.tokens.verifyAnyToken(t),
    authenticateUser: deps.auth.authenticateFirstParty,
    authenticateService: (claims) => deps.serviceAccounts.authenticateToken(claims),
    accessOf: (id) => deps.rbac.accessOf(id),
    assignUser,
  });
  const templates = deps.mailer.templates;
  const csrf = createCsrfCheck([new URL(publicUrl(config)).origin, ...config.corsOrigins]);
  const crossSite = createCrossSiteGuard([new URL(publicUrl(config)).origin, ...config.corsOrigins]);
  app.addHook('onRequest', (req, _reply, done) => { crossSite(req); done(); });
  await app.register(authRoutes, {
    prefix: '/auth', auth: deps.auth, password: deps.passwordSignIn, limiter: deps.limiter, limits: deps.limits, captcha: deps.captcha, csrf, cookies: deps.cookies, guard,
    register: (input) => deps.account.register(input),
    locale: (given, acceptLanguage) => templates.resolveLocale(given ?? templates.fromAcceptLanguage(acceptLanguage)),
  });
  await app.register(passwordPolicyRoutes, { prefix: '/auth', policy: deps.policy });
  await app.register(adminRoutes, { prefix: '/admin', admin: deps.admin, rbac: deps.rbac, serviceAccounts: deps.serviceAccounts, audit: deps.audit, webhooks: deps.webhooks, oauth: deps.oauth, principals,
    keys: deps.keys, stats: createAdminStatsService({ db: deps.db, clock: deps.clock, idleTimeout: config.sessionIdleTimeout }),
  });
  await app.register(rbacRoutes, {
    prefix: '/auth', principals,
    organizationAccess: async (userId, sessionId, organizationId) => {
      if (organizationId === undefined) return (await deps.organizations.activeClaims(userId, sessionId)) ?? undefined;
      const a = await deps.organizations.accessIn(organizationId, userId);
      return a && { id: organizationId, permissions: [...a.permissions].sort() };
    },
  });
  await app.register(organizationsRoutes, {
    prefix: '/auth', organizations: deps.organizations, invitations: deps.invitations, gate: deps.gate, guard, limiter: deps.limiter, signupLimiter: deps.limits.signup,
    locale: (given, acceptLanguage) => templates.resolveLocale(given ?? templates.fromAcceptLanguage(acceptLanguage)),
  });
  // Other modules' administrative routes document their permission like admin's own.
  await app.register(async (scope) => {
    scope.addHook('onRoute', documentPermission);
    await scope.register(adminOrganizationsRoutes, { organizations: deps.organizations, invitations: deps.invitations, principals });
    await scope.register(adminOidcClientsRoutes, { oidc: deps.oidc, principals });
  }, { prefix: '/admin' });
  await app.register(serviceTokenRoutes, { prefix: '/auth', serviceAccounts: deps.serviceAccounts, limiter: deps.limiter });
  await app.register(accountRoutes, {
    prefix: '/auth', gate: deps.gate, account: deps.account, passwordless: deps.passwordless, redirects: deps.redirects, templates,
    limiter: deps.limiter, cookies: deps.cookies, guard, stepUp: (sid) => deps.mfa.requireRecent(sid),
  });
  await app.register(passkeysRoutes, { prefix: '/auth/passkeys', passkeys: deps.passkeys, limiter: deps.limiter, cookies: deps.cookies, guard, stepUp: (sid) => deps.mfa.requireRecent(sid) });
  await app.register(mfaRoutes, {
    prefix: '/auth', mfa: deps.mfa, gate: deps.gate, users: deps.users, passwords: deps.passwords, limiter: deps.limiter, cookies: deps.cookies, guard,
  });
  await app.register(oauthRoutes, { prefix: '/auth', oauth: deps.oauth, limiter: deps.limiter, loginLimiter: deps.limits.login, cookies: deps.cookies, guard, redirects: deps.redirects });
  await app.register(sessionsRoutes, { prefix: '/auth', sessions: deps.sessions, audit: deps.audit.recordBatched, guard, cookies: deps.cookies });
  await app.register(introspectRoutes, {
    prefix: '/auth', auth: deps.auth, limiter: deps.limiter, secret: deps.config.introspectionSecret,
    serviceTokens: createServiceTokenIntrospection({ verify: (t) => deps.tokens.verifyAnyToken(t), authenticate: (c) => deps.serviceAccounts.authenticateToken(c) }),
  });
  await app.register(tokensRoutes, { tokens: deps.tokens });
  await app.register(oidcRoutes, {
    oidc: deps.oidc, limiter: deps.limiter, csrf, guard, cookies: deps.cookies,
    clientCredentials: (id, secret, scope) => deps.serviceAccounts.clientCredentials(id, secret, scope),
  });
  await app.register(healthRoutes, { db: deps.db as never, checks: deps.readinessChecks, degraded: deps.degradedChecks });
  if (config.uiEnabled) {
    await app.register(webRoutes, {
      publicUrl: publicUrl(config), appName: config.appName, logoUrl: config.uiLogoUrl, redirects: deps.redirects, sms: config.mfaSmsEnabled, emailRequired: config.emailRequired,
      theme: { primary: config.uiPrimaryColor, background: config.uiBackgroundColor, text: config.uiTextColor },
      oidc: deps.oidc, cookies: deps.cookies,
      providers: async () => (await deps.oauth.registry.list()).filter((p) => p.enabled).map((p) => ({ name: p.name, displayName: p.displayName })),
    });
  }
  await app.register(async (scope) => metricsRoutes(scope, { metrics: deps.metrics, token: config.metricsToken }));
  if (config.compatProfiles.length) {
    await app.register(compatRoutes, {
      profiles: config.compatProfiles, prefixes: { myauth: config.compatPrefixMyauth, mstack: config.compatPrefixMstack, edd: config.compatPrefixEdd },
      auth: deps.auth, passwordSignIn: deps.passwordSignIn, account: deps.account, limiter: deps.limiter, limits: deps.limits, guard,
      gate: deps.gate, users: deps.users, mfa: deps.mfa, sessions: deps.sessions, passwords: deps.passwords,
      admin: deps.admin, rbac: deps.rbac, principals,
      locale: (acceptLanguage) => templates.resolveLocale(templates.fromAcceptLanguage(acceptLanguage)),
    });
  }

  return app;
}
