// /ui/invitation?token=...: the page an invitation email links to (unless
// AUTH_ORGANIZATION_INVITATION_URL names the application's own). The page script reads
// what the token invites to, then accepts it for the signed-in invitee, or creates the
// invited account (the token proves the address) and sends the new member to sign in.
// The token stays in the page: the response forbids referrers and caching.
import type { FastifyInstance } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html } from '../html.ts';
import { newPassword } from './flow.ts';

export function invitationPages(app: FastifyInstance, ctx: WebContext): void {
  app.get('/ui/invitation', { schema: { hide: true } }, async (req, reply) => {
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string) => ctx.dict.t(locale, `invitation.${k}`);
    const body = html`
<p class="status info" id="invitation-summary" role="status">${t('loading')}</p>
<p class="muted" id="invitation-email" hidden></p>
<p class="status" id="invitation-status" role="alert" hidden></p>
<div id="accept-block" class="stack" hidden>
  <div class="actions"><button type="button" id="accept">${t('accept')}</button></div>
</div>
<div id="accepted" class="stack" hidden>
  <p class="status success" id="accepted-status" role="status"></p>
  <p class="actions"><a class="button" href="/ui/account">${t('toAccount')}</a></p>
</div>
<div id="anonymous-block" class="stack" hidden>
  <p class="actions"><a class="button secondary" id="sign-in-to-accept" href="/ui/sign-in">${t('signInToAccept')}</a></p>
  <form id="invitation-sign-up-form" aria-labelledby="create-title">
    <h2 id="create-title">${t('createTitle')}</h2>
    <div class="field"><label for="username">${t('username')}</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required minlength="3" maxlength="50"></div>
    ${newPassword({ id: 'password', label: t('password') })}
    <div class="status" role="alert" hidden></div>
    <button type="submit">${t('create')}</button>
  </form>
</div>
<div id="created" class="stack" hidden>
  <p class="status success" id="created-status" role="status"></p>
  <p class="actions"><a class="button" id="created-sign-in" href="/ui/sign-in">${t('signIn')}</a></p>
</div>`;
    reply.header('referrer-policy', 'no-referrer');
    return sendHtml(reply, ctx.page({ locale, path: req.url, title: t('title'), body, script: 'invitation', messages: ['invitation.', 'passwordRules.'] }));
  });
}
