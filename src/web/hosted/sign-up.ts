// /ui/sign-up (username, email and a password checked against the policy shown beside it)
// and /ui/verify-email (check your inbox: the emailed code typed here, or a new message).
// Registration does not sign in: the flow goes on to the verification page, then to
// sign-in, keeping `redirectTo` all the way.
import type { FastifyInstance } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html } from '../html.ts';
import { flowOf, newPassword } from './flow.ts';

// The API's rule (src/modules/auth/auth.schemas.ts), in the syntax of the HTML pattern
// attribute (`v` flag: `-` escaped inside a class).
const USERNAME_PATTERN = '[\\p{L}\\p{N}][\\p{L}\\p{N}._\\-]*';

export function signUpPages(app: FastifyInstance, ctx: WebContext): void {
  app.get('/ui/sign-up', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const body = html`
<form id="sign-up-form">
  <div class="field"><label for="username">${t('signUp.username')}</label>
    <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required minlength="3" maxlength="50" pattern="${USERNAME_PATTERN}" aria-describedby="username-hint" autofocus>
    <p class="hint" id="username-hint">${t('signUp.usernameHint')}</p></div>
  <div class="field"><label for="email">${t('signUp.email')}</label>
    <input id="email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false"${ctx.features.emailRequired ? html` required` : ''} maxlength="254"></div>
  ${newPassword({ id: 'password', label: t('signUp.password') })}
  <div class="status" role="alert" hidden></div>
  <button type="submit">${t('signUp.submit')}</button>
</form>
<p>${t('signUp.haveAccount')} <a href="/ui/sign-in${flow.keep}">${t('signIn.title')}</a></p>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('signUp.title'), body, script: 'sign-up', messages: ['signUp.', 'passwordRules.'], data: flow.data,
    }));
  });

  app.get('/ui/verify-email', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const body = html`
<p class="status info" id="notice" role="status">${t('verifyEmail.sent')}</p>
<form id="code-form" aria-labelledby="code-title">
  <h2 id="code-title">${t('verifyEmail.codeTitle')}</h2>
  <div class="field" id="code-email-field"><label for="code-email">${t('verifyEmail.email')}</label>
    <input id="code-email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254"></div>
  <div class="field"><label for="code">${t('verifyEmail.code')}</label>
    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></div>
  <div class="status" role="alert" hidden></div>
  <button type="submit">${t('verifyEmail.verify')}</button>
</form>
<div id="verified" hidden>
  <p class="status success" role="status" id="verified-status"></p>
  <p class="actions"><a class="button" id="continue" href="/ui/sign-in${flow.keep}">${t('verifyEmail.signIn')}</a></p>
</div>
<form id="resend-form" aria-labelledby="resend-title">
  <h2 id="resend-title">${t('verifyEmail.resendTitle')}</h2>
  <p class="hint">${t('verifyEmail.resendHint')}</p>
  <div class="field"><label for="resend-email">${t('verifyEmail.resendEmail')}</label>
    <input id="resend-email" name="email" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254"></div>
  <div class="status" role="alert" hidden></div>
  <button type="submit" class="secondary">${t('verifyEmail.resend')}</button>
</form>
<p><a href="/ui/sign-in${flow.keep}">${t('verifyEmail.signIn')}</a></p>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('verifyEmail.title'), body, script: 'verify-email', messages: ['verifyEmail.'], data: flow.data,
    }));
  });
}
