// What every page handler shares: the dictionary, the layout, the request's locale, and
// the check of `redirectTo` (an allowed target, or this service's own pages).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RedirectPolicy } from '../modules/account/index.ts';
import { html } from './html.ts';
import type { Dictionary } from './i18n.ts';
import type { RenderPage } from './layout.ts';

export interface WebContext {
  dict: Dictionary;
  page: RenderPage;
  /** The service's public origin + path prefix (`https://auth.example.com`). */
  publicUrl: string;
  appName: string;
  redirects: RedirectPolicy;
  features: { sms: boolean; emailRequired: boolean };
  /** Enabled social sign-in providers. */
  providers(): Promise<Array<{ name: string; displayName: string }>>;
}

const LANG_COOKIE = 'tessera_lang';

/** The locale of this request; a valid `?lang=` is remembered in a cookie for the next pages. */
export function requestLocale(ctx: WebContext, req: FastifyRequest, reply: FastifyReply): string {
  const q = (req.query as Record<string, unknown> | undefined)?.lang;
  const locale = ctx.dict.pick(typeof q === 'string' ? q : undefined, req.cookies?.[LANG_COOKIE], req.headers['accept-language']);
  if (typeof q === 'string' && q === locale) reply.setCookie(LANG_COOKIE, locale, { path: '/', sameSite: 'lax', maxAge: 31_536_000, httpOnly: true });
  return locale;
}

/** Resolves `redirectTo` for after sign-in: absolute allowed URL; own pages by default. */
export function resolveTarget(ctx: WebContext, redirectTo: unknown, fallback = '/ui/account'): string {
  if (typeof redirectTo !== 'string' || redirectTo === '') return `${ctx.publicUrl}${fallback}`;
  // A path on this service (`/ui/account`) is made absolute, then checked like any URL.
  const absolute = redirectTo.startsWith('/') && !redirectTo.startsWith('//') && !redirectTo.startsWith('/\\') ? `${ctx.publicUrl}${redirectTo}` : redirectTo;
  return ctx.redirects.check(absolute);
}

/** A page that only says what went wrong (a bad link, a refused redirectTo), with the code. */
export function errorPage(ctx: WebContext, req: FastifyRequest, reply: FastifyReply, code: string, status = 400): FastifyReply {
  const locale = requestLocale(ctx, req, reply);
  const t = (k: string) => ctx.dict.t(locale, k);
  const message = ctx.dict.t(locale, `errors.${code}`);
  return sendHtml(reply, ctx.page({
    locale, title: t('common.errorTitle'), path: req.url.split('?')[0]!,
    body: html`<p class="status error" role="alert">${message === `errors.${code}` ? t('common.errorTitle') : message}</p><p class="muted">${code}</p><p><a href="/ui/sign-in">${t('signIn.title')}</a></p>`,
  }), status);
}

export function sendHtml(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}
