// The provider's pages: /oauth2/authorize (checks the request, then hands the browser to
// /ui/oauth2/authorize, whose script asks what is next: the hosted sign-in, the consent
// screen, or the way back to the application), RP-initiated logout (/oauth2/logout, with a
// confirmation when no id_token_hint names the session), and the signed-out page. An
// unknown client or an unregistered redirect URI is an error page of ours: never a redirect.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import { clearRefreshCookie, type CookieSettings } from '../../core/http/index.ts';
import type { AuthorizeQuery, LogoutQuery, OidcProvider } from '../../modules/oidc/index.ts';
import { errorPage, requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html } from '../html.ts';

const param = { type: 'string', maxLength: 4096 } as const;
const authorizeParams = ['client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce', 'code_challenge', 'code_challenge_method', 'prompt', 'max_age', 'login_hint', 'acr_values', 'request', 'request_uri', 'ui_locales', 'display', 'claims', 'id_token_hint'];
const logoutParams = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'ui_locales', 'logout_hint'];
const querySchema = (names: string[]) => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, param])) });

export function oauth2Pages(app: FastifyInstance, ctx: WebContext, oidc: OidcProvider, cookies: CookieSettings): void {
  const authorize = async (req: FastifyRequest, reply: FastifyReply, q: AuthorizeQuery) => {
    const r = await oidc.authorization.start(q);
    if (r.kind === 'page') return errorPage(ctx, req, reply, r.code);
    return reply.header('cache-control', 'no-store').redirect(r.kind === 'redirect' ? r.location : `/ui/oauth2/authorize?request=${r.handle}`, 302);
  };
  app.get<{ Querystring: AuthorizeQuery }>('/oauth2/authorize', {
    schema: {
      tags: ['oidc'], summary: 'Authorization endpoint (authorization code with PKCE S256)',
      description: 'Browsers only. `response_type=code`, `client_id`, `redirect_uri` (exactly as registered), `scope` (with `openid` for an ID token), `code_challenge` and `code_challenge_method=S256` (required), `state`, `nonce`, `prompt` (`none`, `login`, `consent`), `max_age`, `login_hint`, `acr_values` (`aal2` asks for a second factor). The answer comes back to `redirect_uri` with `code`, `state` and `iss` (RFC 9207), or `error`. An unknown client or redirect URI shows an error page instead.',
      querystring: querySchema(authorizeParams),
      // 302 to the hosted sign-in or back to the application; 400 an error page (HTML).
      response: { 302: { type: 'null', description: 'To the hosted sign-in or back to the application' } },
    },
  }, async (req, reply) => authorize(req, reply, req.query));

  // OpenID Connect Core 3.1.2.1: the authorization endpoint takes POST (a form) as well as GET.
  void app.register(async (scope) => {
    await scope.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    scope.post<{ Body: AuthorizeQuery }>('/oauth2/authorize', {
      schema: {
        tags: ['oidc'], summary: 'Authorization endpoint, as a form POST (the same parameters as GET)',
        consumes: ['application/x-www-form-urlencoded'],
        // Unknown parameters are ignored, as RFC 6749 3.1 asks of the authorization endpoint.
        body: { ...querySchema(authorizeParams), additionalProperties: true },
        response: { 302: { type: 'null', description: 'To the hosted sign-in or back to the application' } },
      },
    }, async (req, reply) => authorize(req, reply, req.body ?? {}));
  });

  app.get<{ Querystring: { request?: string; lang?: string } }>('/ui/oauth2/authorize', { schema: { hide: true } }, async (req, reply) => {
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string, v?: Record<string, string>) => ctx.dict.t(locale, `oauth2.${k}`, v);
    const request = typeof req.query.request === 'string' && /^[A-Za-z0-9_-]{10,128}$/.test(req.query.request) ? req.query.request : '';
    if (!request) return errorPage(ctx, req, reply, 'oidc_request_invalid');
    const body = html`
<p class="status info" id="working" role="status">${t('working')}</p>
<p class="status error" id="problem" role="alert" hidden></p>
<section id="consent" hidden aria-labelledby="consent-title">
  <h2 id="consent-title"></h2>
  <p id="consent-intro"></p>
  <ul id="consent-scopes"></ul>
  <p class="muted">${t('consentNote')}</p>
  <div class="actions">
    <button type="button" id="allow">${t('allow')}</button>
    <button type="button" class="secondary" id="deny">${t('deny')}</button>
  </div>
</section>`;
    return sendHtml(reply, ctx.page({ locale, path: '/ui/oauth2/authorize', title: t('title'), body, script: 'oidc-authorize', messages: ['oauth2.'], data: { request } }));
  });

  // RP-initiated logout: GET or a form POST (OpenID Connect RP-Initiated Logout 1.0, 2).
  const logout = async (req: FastifyRequest, reply: FastifyReply, q: LogoutQuery) => {
    const plan = await oidc.logout.plan(q);
    if (plan.kind === 'page') return errorPage(ctx, req, reply, plan.code);
    if (plan.kind === 'end') {
      await oidc.logout.endHinted(plan.sessionId, plan.userId, plan.client?.client_id).catch(() => undefined);
      // The refresh cookie belongs to /auth; it can be cleared from here all the same.
      clearRefreshCookie(reply, cookies);
      return reply.header('cache-control', 'no-store').redirect(plan.redirect ?? '/ui/oauth2/signed-out', 302);
    }
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string, v?: Record<string, string>) => ctx.dict.t(locale, `oauth2.${k}`, v);
    const text = plan.client ? t('logoutConfirmClient', { client: plan.client.name, app: ctx.appName }) : t('logoutConfirm', { app: ctx.appName });
    const body = html`<form id="logout-form" method="post" action="/auth/oauth2/logout">
  <p>${text}</p>
  <p class="status" role="alert" hidden></p>
  ${plan.client ? html`<input type="hidden" name="client_id" value="${plan.client.client_id}">` : ''}
  ${q.post_logout_redirect_uri ? html`<input type="hidden" name="post_logout_redirect_uri" value="${q.post_logout_redirect_uri}">` : ''}
  ${q.state !== undefined ? html`<input type="hidden" name="state" value="${q.state}">` : ''}
  <button type="submit">${t('logoutSubmit')}</button>
</form>`;
    // The page script posts the form with fetch: a form post under the pages' `no-referrer`
    // policy would say `Origin: null`, which the CSRF checks refuse.
    return sendHtml(reply, ctx.page({ locale, path: '/oauth2/logout', title: t('logoutTitle'), body, script: 'oidc-logout' }));
  };
  const logoutSchema = {
    tags: ['oidc'], summary: 'RP-initiated logout (end_session_endpoint)',
    description: 'With a valid `id_token_hint` the session it names ends at once, with every application signed in from it (back-channel logout notices go to those that registered a URI); without one, the user confirms on a page. Then to `post_logout_redirect_uri` (exactly as registered for the client, with `state`) or a signed-out page.',
    // 302 onwards; 200 the confirmation page, 400 an error page (HTML).
    response: { 302: { type: 'null', description: 'To the post-logout redirect URI or the signed-out page' } },
  };
  app.get<{ Querystring: LogoutQuery }>('/oauth2/logout', { schema: { ...logoutSchema, querystring: querySchema(logoutParams) } }, (req, reply) => logout(req, reply, req.query));
  void app.register(async (scope) => {
    await scope.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    scope.post<{ Body: LogoutQuery }>('/oauth2/logout', {
      schema: { ...logoutSchema, summary: 'RP-initiated logout (form POST)', consumes: ['application/x-www-form-urlencoded'], body: { ...querySchema(logoutParams), additionalProperties: true } },
    }, (req, reply) => logout(req, reply, req.body ?? {}));
  });

  app.get<{ Querystring: { lang?: string } }>('/ui/oauth2/signed-out', { schema: { hide: true } }, async (req, reply) => {
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, `oauth2.${k}`);
    return sendHtml(reply, ctx.page({
      locale, path: '/ui/oauth2/signed-out', title: t('signedOutTitle'),
      body: html`<p class="status success" role="status">${t('signedOut')}</p><p><a href="/ui/sign-in">${ctx.dict.t(locale, 'signIn.title')}</a></p>`,
    }));
  });
}
