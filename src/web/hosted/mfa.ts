// /ui/mfa: the second step of a sign-in that answered `mfa_required` (the challenge is in
// this tab's sessionStorage, put there by the sign-in page), and /ui/mfa/enroll: setting up
// an authenticator app, for a signed-in user or with the enrollment token a role that
// requires MFA hands out; its recovery codes are shown once at the end.
import type { FastifyInstance } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html } from '../html.ts';
import { flowOf, nothingPending } from './flow.ts';

const METHODS = ['totp', 'email', 'sms', 'recovery', 'passkey'] as const;

export function mfaPages(app: FastifyInstance, ctx: WebContext): void {
  app.get('/ui/mfa', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, k);
    const body = html`
${nothingPending(flow, t('mfa.none'), t('mfa.signIn'))}
<div id="challenge" hidden>
  <form id="code-form">
    <p id="code-intro">${t('mfa.intro.totp')}</p>
    <div class="field"><label for="code" id="code-label">${t('mfa.label.totp')}</label>
      <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" pattern="[0-9]{6}" maxlength="6" required aria-describedby="code-intro"></div>
    <div class="status" role="alert" hidden></div>
    <div class="actions">
      <button type="submit">${t('mfa.verify')}</button>
      <button type="button" class="link" id="resend" hidden>${t('mfa.resend')}</button>
    </div>
  </form>
  <p class="status info" id="resend-status" role="status" hidden></p>
  <h2 id="others-title">${t('mfa.others')}</h2>
  <div class="stack" role="group" aria-labelledby="others-title" id="others">
    ${METHODS.map((m) => html`<button type="button" class="secondary" data-method="${m}" hidden>${t(`mfa.use.${m}`)}</button>`)}
  </div>
  <p class="status" id="other-status" role="alert" hidden></p>
  <div id="ended" hidden><p class="actions"><a class="button" href="/ui/sign-in${flow.keep}">${t('mfa.startAgain')}</a></p></div>
</div>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('mfa.title'), body, script: 'mfa', messages: ['mfa.'], data: flow.data,
    }));
  });

  app.get('/ui/mfa/enroll', { schema: { hide: true } }, async (req, reply) => {
    const flow = flowOf(ctx, req, reply);
    if (!flow) return reply;
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string, v?: Record<string, string>) => ctx.dict.t(locale, k, v);
    const body = html`
<p class="status info" id="required" role="status" hidden>${t('mfaEnroll.required')}</p>
<p id="loading" role="status">${t('mfaEnroll.loading')}</p>
<div id="problem" hidden>
  <p class="status error" id="problem-status" role="alert"></p>
  <p class="actions">
    <a class="button" id="to-account" href="/ui/account" hidden>${t('mfaEnroll.toAccount')}</a>
    <button type="button" id="retry" hidden>${t('mfaEnroll.retry')}</button>
    <a class="button secondary" id="sign-in-again" href="/ui/sign-in${flow.keep}" hidden>${t('mfaEnroll.signIn')}</a>
  </p>
</div>
<div id="setup" hidden>
  <p>${t('mfaEnroll.scan')}</p>
  <img class="qr" id="qr" alt="${t('mfaEnroll.qrAlt', { app: ctx.appName })}" width="200" height="200">
  <p>${t('mfaEnroll.manual')}</p>
  <p><code id="totp-secret" class="secret"></code></p>
  <form id="verify-form">
    <p id="enter-code">${t('mfaEnroll.enter')}</p>
    <div class="field"><label for="code">${t('mfaEnroll.code')}</label>
      <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></div>
    <div class="status" role="alert" hidden></div>
    <button type="submit">${t('mfaEnroll.submit')}</button>
  </form>
</div>
<section id="codes" hidden aria-labelledby="codes-title">
  <h2 id="codes-title" tabindex="-1">${t('mfaEnroll.codesTitle')}</h2>
  <p id="codes-intro">${t('mfaEnroll.codesIntro')}</p>
  <ul class="codes" id="recovery-codes" aria-labelledby="codes-title"></ul>
  <p class="actions">
    <a class="button secondary" id="download" download="${t('mfaEnroll.fileName')}" hidden>${t('mfaEnroll.download')}</a>
    <button type="button" id="saved">${t('mfaEnroll.saved')}</button>
  </p>
</section>
<div id="reauth"></div>`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('mfaEnroll.title'), body, script: 'mfa-enroll', messages: ['mfaEnroll.', 'reauth.'], data: flow.data,
    }));
  });
}
