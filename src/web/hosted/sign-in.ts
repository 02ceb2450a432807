// /ui (where email links land) and /ui/sign-in: password, passkey, magic link, email code
// and each enabled social provider. After sign-in the browser goes to the checked
// `redirectTo` (an allowed URL, or this service's own pages; /ui/account by default).
import type { FastifyInstance } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { flowOf } from './flow.ts';
import { html } from '../html.ts';

type Query = { redirectTo?: string; lang?: string; email_verified?: string; email_changed?: string; error?: string };

export function signInPages(app: FastifyInstance, ctx: WebContext): void {
  // AUTH_CLIENT_URL=<public URL>/ui makes email links land here, with their outcome.
  app.get<{ Querystring: Query }>('/ui', { schema: { hide: true } }, async (req, reply) => {
    const q = req.query;
    if (q.email_verified === undefined && q.email_changed === undefined && q.error === undefined) return reply.redirect('/ui/account');
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const ok = q.email_verified === 'true' ? t('landing.emailVerified') : q.email_changed === 'true' ? t('landing.emailChanged') : undefined;
    const code = typeof q.error === 'string' && /^[a-z_]{1,64}$/.test(q.error) ? q.error : 'invalid_request';
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: ok ? t('landing.doneTitle') : t('common.errorTitle'),
      body: html`${ok ? html`<p class="status success" role="status">${ok}</p>` : html`<p class="status error" role="alert">${ctx.dict.t(locale, `errors.${code}`)}</p>`}
<p class="actions"><a class="button" href="/ui/account">${t('landing.toAccount')}</a> <a href="/ui/sign-in">${t('signIn.title')}</a></p>`,
    }), ok ? 200 : 400);
  });

  app.get<{ Querystring: Query }>('/ui/sign-in', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const { target, keep } = flow;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string, v?: Record<string, string>) => ctx.dict.t(locale, k, v);
    const providers = await ctx.providers();
    const body = html`
<p class="status info" id="notice" role="status" hidden></p>
<form id="password-form" aria-labelledby="password-legend">
  <h2 id="password-legend" class="visually-hidden">${t('signIn.withPassword')}</h2>
  <div class="field"><label for="identifier">${t('signIn.identifier')}</label>
    <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus></div>
  <div class="field"><label for="password">${t('signIn.password')}</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required></div>
  <p class="status" role="alert" hidden></p>
  <button type="submit">${t('signIn.submit')}</button>
  <p class="muted"><a href="/ui/forgot-password${keep}">${t('signIn.forgot')}</a></p>
</form>
<p class="divider">${t('signIn.or')}</p>
<div class="stack">
  <button type="button" class="secondary" id="passkey">${t('signIn.passkey')}</button>
  <p class="status" id="passkey-status" role="alert" hidden></p>
  ${providers.map((p) => html`<a class="button secondary" href="/auth/oauth/${encodeURIComponent(p.name)}?redirectTo=${encodeURIComponent(target)}">${t('signIn.provider', { provider: p.displayName })}</a>`)}
</div>
<form id="email-form" aria-labelledby="email-legend">
  <h2 id="email-legend">${t('signIn.byEmail')}</h2>
  <div class="field"><label for="email">${t('signIn.email')}</label>
    <input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required></div>
  <p class="status" role="alert" hidden></p>
  <div class="actions">
    <button type="submit" class="secondary" name="kind" value="link">${t('signIn.sendLink')}</button>
    <button type="submit" class="secondary" name="kind" value="code">${t('signIn.sendCode')}</button>
  </div>
</form>
<form id="code-form" hidden aria-labelledby="code-legend">
  <h2 id="code-legend">${t('signIn.codeTitle')}</h2>
  <div class="field"><label for="email-code">${t('signIn.code')}</label>
    <input id="email-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></div>
  <p class="status" role="alert" hidden></p>
  <button type="submit">${t('signIn.verifyCode')}</button>
</form>
<p>${t('signIn.noAccount')} <a href="/ui/sign-up${keep}">${t('signUp.title')}</a></p>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('signIn.title'), body, script: 'sign-in', messages: ['signIn.'],
      data: flow.data,
    }));
  });
}
