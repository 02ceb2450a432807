// buildApp(deps): the Fastify instance with every plugin and route. It never listens:
// main.ts does that, and most tests call it in memory with `inject`.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { AjvCompiler, type BuildCompilerFromPool } from '@fastify/ajv-compiler';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import helmet from 'helmet';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Deps } from './deps.ts';
import { AppError } from './core/errors/index.ts';
import { checkRequestInput, closeRouteBody, createAuthGuard, createCrossSiteGuard, createCsrfCheck, createOperationIdHook, declareSecurity, freeFormKeyword, installErrorHandler, openapiTransform, runWithContext, setActor } from './core/http/index.ts';
import { publicUrl } from './core/config/index.ts';
import { adminRoutes, createAdminStatsService, documentPermission } from './modules/admin/index.ts';
import { mfaRoutes } from './modules/mfa/index.ts';
import { passkeysRoutes } from './modules/passkeys/index.ts';
import { oauthRoutes } from './modules/oauth/index.ts';
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

/** The headers a request-independent middleware (helmet) sets, recorded once. */
function recordHeaders(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | string[]) => { headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value); },
    removeHeader: (name: string) => { delete headers[name.toLowerCase()]; },
    getHeader: (name: string) => headers[name.toLowerCase()],
  };
  let failed: unknown;
  middleware({ headers: {}, method: 'GET', url: '/' } as IncomingMessage, res as unknown as ServerResponse, (err) => { failed = err; });
  if (failed) throw failed as Error;
  return headers;
}

/**
 * Fastify gives every request a child logger, and a pino child with redaction costs a
 * noticeable share of a cached bearer check. This one is made on first use; a call at a
 * level that is off (the per-request lines below `info`) makes none.
 */
function lazyChildLogger(parent: FastifyBaseLogger, bindings: Parameters<FastifyBaseLogger['child']>[0], opts: Parameters<FastifyBaseLogger['child']>[1]): FastifyBaseLogger {
  let child: FastifyBaseLogger | undefined;
  const real = () => {
    if (!child) {
      child = parent.child(bindings, opts);
      for (const key of Reflect.ownKeys(target)) Reflect.set(child, key, Reflect.get(target, key));
    }
    return child;
  };
  const target = {} as FastifyBaseLogger;
  const noop = () => {};
  // Properties Fastify stores on the logger (symbols) live on the target until a child exists.
  return new Proxy(target, {
    set(t, prop, value) {
      if (child) return Reflect.set(child, prop, value);
      return Reflect.set(t, prop, value);
    },
    get(t, prop) {
      if (child) return Reflect.get(child, prop, child);
      if (typeof prop === 'symbol' || Object.hasOwn(t, prop)) return Reflect.get(t, prop);
      if (prop === 'level') return parent.level;
      // Fastify checks the methods exist on every request: hand out callers, not the child.
      if (LEVELS.has(prop)) {
        if (!(parent as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(prop)) return noop;
        return (...args: unknown[]) => (real() as unknown as Record<string, (...a: unknown[]) => void>)[prop]!(...args);
      }
      if (prop === 'child') return (...args: Parameters<FastifyBaseLogger['child']>) => real().child(...args);
      const c = real();
      const v = Reflect.get(c, prop, c) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
    },
  });
}
const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

type Validate = ((data: unknown, ctx?: unknown) => boolean) & { errors?: unknown; schemaEnv?: unknown };

/**
 * A validator compiled when first called. Fastify reads `errors` after a failed call and
 * hands Ajv validators (which have `schemaEnv`) their parent, so that a coerced or
 * stripped root value is written back: the wrapper offers both.
 */
function lazyValidator(compile: () => Validate): Validate {
  let fn: Validate | undefined;
  const wrapper: Validate = (data, ctx) => {
    fn ??= compile();
    const ok = fn(data, ctx);
    wrapper.errors = fn.errors;
    return ok;
  };
  wrapper.schemaEnv = true;
  return wrapper;
}

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
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    // NUL, unpaired surrogates and deep nesting are refused after parsing, by
    // checkRequestInput (JSON.parse itself walks any depth without recursing).
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = Object.assign(new SyntaxError('invalid JSON body'), { statusCode: 400 });
      done(err, undefined);
    }
  });

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
        { name: 'oauth', description: 'Social sign-in: google, github, facebook, twitter, linkedin, apple, microsoft, slack, discord, twitch, gitlab, bitbucket, spotify, and generic OpenID Connect issuers (AUTH_OIDC_PROVIDERS). Register the callback URL `<AUTH_PUBLIC_URL>/auth/oauth/<name>/callback` at each provider (GET /admin/oauth/providers lists each one\'s); provider setup is in docs/api.md#social-sign-in. Linked identities and provider tokens.' },
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
  await app.register(sessionsRoutes, { prefix: '/auth', sessions: deps.sessions, audit: deps.audit.record, guard, cookies: deps.cookies });
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
