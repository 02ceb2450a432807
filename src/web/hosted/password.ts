// The password pages: /ui/forgot-password (same answer whether or not the account exists),
// /ui/reset-password (where the reset email's link lands, `?token=`; without a token it
// takes the email and the 6-digit code of the message instead) and /ui/password-expired
// (the new password a `password_expired` sign-in asks for; it then signs in).
import type { FastifyInstance } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html } from '../html.ts';
import { flowOf, newPassword, nothingPending } from './flow.ts';

export function passwordPages(app: FastifyInstance, ctx: WebContext): void {
  app.get('/ui/forgot-password', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const body = html`
<form id="forgot-form">
  <p>${t('forgotPassword.intro')}</p>
  <div class="field"><label for="email">${t('forgotPassword.email')}</label>
    <input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254" autofocus></div>
  <div class="status" role="alert" hidden></div>
  <button type="submit">${t('forgotPassword.submit')}</button>
</form>
<div id="sent" hidden>
  <p class="status success" role="status" id="sent-status"></p>
  <p><a href="/ui/reset-password${flow.keep}">${t('forgotPassword.haveCode')}</a></p>
</div>
<p><a href="/ui/sign-in${flow.keep}">${t('forgotPassword.backToSignIn')}</a></p>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('forgotPassword.title'), body, script: 'forgot-password', messages: ['forgotPassword.'], data: flow.data,
    }));
  });

  app.get<{ Querystring: { token?: string } }>('/ui/reset-password', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const withToken = typeof req.query.token === 'string' && req.query.token !== '';
    // The token stays in the address bar only: the page script reads it from there.
    const body = html`
<form id="reset-form">
  ${withToken ? '' : html`<p>${t('resetPassword.withCode')}</p>
  <div class="field"><label for="email">${t('resetPassword.email')}</label>
    <input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254" autofocus></div>
  <div class="field"><label for="code">${t('resetPassword.code')}</label>
    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></div>`}
  ${newPassword({ id: 'password', label: t('resetPassword.password'), confirm: t('resetPassword.confirm') })}
  <div class="status" role="alert" hidden></div>
  <button type="submit">${t('resetPassword.submit')}</button>
</form>
<div id="done" hidden>
  <p class="status success" role="status" id="done-status"></p>
  <p class="actions"><a class="button" href="/ui/sign-in${flow.keep}">${t('resetPassword.signIn')}</a></p>
</div>
<p id="new-link"><a href="/ui/forgot-password${flow.keep}">${t('resetPassword.newLink')}</a></p>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('resetPassword.title'), body, script: 'reset-password', messages: ['resetPassword.', 'passwordRules.'], data: flow.data,
    }));
  });

  app.get('/ui/password-expired', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const body = html`
${nothingPending(flow, t('passwordExpired.none'), t('passwordExpired.signIn'))}
<form id="expired-form" hidden>
  <p>${t('passwordExpired.intro')}</p>
  ${newPassword({ id: 'password', label: t('passwordExpired.password'), confirm: t('passwordExpired.confirm') })}
  <div class="status" role="alert" hidden></div>
  <button type="submit">${t('passwordExpired.submit')}</button>
</form>
<p id="restart" hidden><a href="/ui/sign-in${flow.keep}">${t('passwordExpired.signIn')}</a></p>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('passwordExpired.title'), body, script: 'password-expired', messages: ['passwordExpired.', 'passwordRules.'], data: flow.data,
    }));
  });
}
