// /ui/account: the signed-in user's own page. Profile, password, email, two-step
// verification, passkeys, linked accounts, organizations (and invitations to them), sessions
// and account deletion. The server
// renders the sections' headings, labels and forms in the request's language; the page
// script (pages/account.js) signs in or goes to the sign-in page, then fills each section
// from the JSON API with the access token. Nothing about the user is known here.
import type { FastifyInstance } from 'fastify';
import { requestLocale, sendHtml, type WebContext } from '../context.ts';
import { html } from '../html.ts';

const SECTIONS = ['profile', 'password', 'email', 'mfa', 'passkeys', 'identities', 'organizations', 'sessions', 'danger'] as const;

export function accountPages(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: { lang?: string } }>('/ui/account', { schema: { hide: true } }, async (req, reply) => {
    const locale = requestLocale(ctx, req, reply);
    const t = (k: string, v?: Record<string, string>) => ctx.dict.t(locale, `account.${k}`, v);
    const providers = await ctx.providers();
    const enroll = `/ui/mfa/enroll?redirectTo=${encodeURIComponent('/ui/account')}`;
    const body = html`
<div class="account-head">
  <p id="signed-in-as" class="muted">${ctx.dict.t(locale, 'common.loading')}</p>
  <button type="button" class="secondary" id="sign-out">${ctx.dict.t(locale, 'common.signOut')}</button>
</div>
<p class="status" id="notice" role="status" hidden></p>
<p class="status" id="sign-out-status" role="alert" hidden></p>
<nav class="toc" aria-label="${t('onThisPage')}">
  <ul>${SECTIONS.map((s) => html`<li${s === 'identities' ? html` id="toc-identities"` : ''}><a href="#${s}-title">${t(`${s}.title`)}</a></li>`)}</ul>
</nav>
<div id="account" class="account">

<section class="card" aria-labelledby="profile-title">
  <h2 id="profile-title" tabindex="-1">${t('profile.title')}</h2>
  <dl class="facts">
    <div><dt>${t('profile.username')}</dt><dd id="profile-username">—</dd></div>
    <div><dt>${t('profile.email')}</dt><dd><span id="profile-email">—</span> <span class="badge" id="profile-verified" hidden></span></dd></div>
    <div><dt>${t('profile.memberSince')}</dt><dd id="profile-since">—</dd></div>
  </dl>
  <form id="username-form" aria-labelledby="username-legend">
    <h3 id="username-legend">${t('profile.changeUsername')}</h3>
    <div class="field"><label for="username">${t('profile.newUsername')}</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required minlength="3" maxlength="50" aria-describedby="username-hint">
      <p class="hint" id="username-hint">${t('profile.usernameHint')}</p></div>
    <p class="status" role="alert" hidden></p>
    <div class="actions"><button type="submit" class="secondary">${t('profile.saveUsername')}</button></div>
  </form>
</section>

<section class="card" aria-labelledby="password-title">
  <h2 id="password-title" tabindex="-1">${t('password.title')}</h2>
  <form id="password-form" aria-labelledby="password-title">
    <div class="field"><label for="current-password">${t('password.current')}</label>
      <input id="current-password" name="currentPassword" type="password" autocomplete="current-password" required></div>
    <div class="field"><label for="new-password">${t('password.new')}</label>
      <input id="new-password" name="newPassword" type="password" autocomplete="new-password" required aria-describedby="new-password-hint">
      <p class="hint" id="new-password-hint" hidden></p></div>
    <div class="field"><label for="confirm-password">${t('password.confirm')}</label>
      <input id="confirm-password" name="confirmPassword" type="password" autocomplete="new-password" required></div>
    <p class="status" role="alert" hidden></p>
    <div class="actions"><button type="submit">${t('password.submit')}</button></div>
  </form>
  <div class="reauth-slot" id="password-reauth"></div>
</section>

<section class="card" aria-labelledby="email-title">
  <h2 id="email-title" tabindex="-1">${t('email.title')}</h2>
  <div id="unverified" class="stack" hidden>
    <p>${t('email.unverified')}</p>
    <div class="actions"><button type="button" class="secondary" id="resend-verification">${t('email.resend')}</button></div>
  </div>
  <p class="status" id="email-status" role="status" hidden></p>
  <form id="email-form" aria-labelledby="email-change-legend">
    <h3 id="email-change-legend">${t('email.change')}</h3>
    <div class="field"><label for="new-email">${t('email.newEmail')}</label>
      <input id="new-email" name="newEmail" type="email" autocomplete="email" autocapitalize="none" spellcheck="false" required maxlength="254" aria-describedby="new-email-hint">
      <p class="hint" id="new-email-hint">${t('email.hint')}</p></div>
    <p class="status" role="alert" hidden></p>
    <div class="actions"><button type="submit" class="secondary">${t('email.submit')}</button></div>
  </form>
  <div class="reauth-slot" id="email-reauth"></div>
</section>

<section class="card" aria-labelledby="mfa-title">
  <h2 id="mfa-title" tabindex="-1">${t('mfa.title')}</h2>
  <p class="muted">${t('mfa.intro')}</p>
  <ul class="list" id="factors" aria-labelledby="mfa-title"><li>${ctx.dict.t(locale, 'common.loading')}</li></ul>
  <p id="no-factors" hidden>${t('mfa.none')}</p>
  <div class="reauth-slot" id="mfa-reauth"></div>
  <p class="status" id="mfa-status" role="status" hidden></p>
  <div class="actions">
    <a class="button secondary" id="add-totp" href="${enroll}">${t('mfa.addTotp')}</a>
    <button type="button" class="secondary" id="add-email-factor" hidden>${t('mfa.addEmail')}</button>
  </div>
  <p class="hint" id="email-factor-hint" hidden>${t('mfa.emailNeedsVerification')}</p>
  ${ctx.features.sms ? html`<form id="sms-form" aria-labelledby="sms-title">
    <h3 id="sms-title">${t('mfa.sms.title')}</h3>
    <div class="field"><label for="sms-phone">${t('mfa.sms.phone')}</label>
      <input id="sms-phone" name="phone" type="tel" autocomplete="tel" inputmode="tel" pattern="\+[1-9][0-9]{6,14}" aria-describedby="sms-phone-hint" required>
      <p class="hint" id="sms-phone-hint">${t('mfa.sms.phoneHint')}</p></div>
    <p class="status" role="alert" hidden></p>
    <div class="actions"><button type="submit" class="secondary">${t('mfa.sms.send')}</button></div>
  </form>
  <form id="sms-verify-form" hidden aria-labelledby="sms-verify-title">
    <h3 id="sms-verify-title">${t('mfa.sms.verifyTitle')}</h3>
    <div class="field"><label for="sms-code">${t('mfa.sms.code')}</label>
      <input id="sms-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required></div>
    <p class="status" role="alert" hidden></p>
    <div class="actions"><button type="submit">${t('mfa.sms.verify')}</button></div>
  </form>` : ''}
  <div id="recovery" class="stack" hidden>
    <h3 id="recovery-title">${t('mfa.recoveryTitle')}</h3>
    <p id="recovery-left"></p>
    <div class="actions"><button type="button" class="secondary" id="regenerate-codes">${t('mfa.regenerate')}</button></div>
    <div id="new-codes" class="stack" hidden>
      <p class="status info" id="new-codes-note" tabindex="-1">${t('mfa.codesOnce')}</p>
      <ol class="codes" id="codes" aria-labelledby="new-codes-note"></ol>
    </div>
  </div>
</section>

<section class="card" aria-labelledby="passkeys-title">
  <h2 id="passkeys-title" tabindex="-1">${t('passkeys.title')}</h2>
  <p class="muted">${t('passkeys.intro')}</p>
  <ul class="list" id="passkeys" aria-labelledby="passkeys-title"><li>${ctx.dict.t(locale, 'common.loading')}</li></ul>
  <p id="no-passkeys" hidden>${t('passkeys.none')}</p>
  <div class="reauth-slot" id="passkeys-reauth"></div>
  <p class="status" id="passkeys-status" role="status" hidden></p>
  <form id="passkey-form" aria-labelledby="passkey-legend">
    <h3 id="passkey-legend">${t('passkeys.add')}</h3>
    <div class="field"><label for="passkey-name">${t('passkeys.name')}</label>
      <input id="passkey-name" name="name" type="text" maxlength="100" autocomplete="off" aria-describedby="passkey-name-hint">
      <p class="hint" id="passkey-name-hint">${t('passkeys.nameHint')}</p></div>
    <p class="status" role="alert" hidden></p>
    <div class="actions"><button type="submit" class="secondary">${t('passkeys.addButton')}</button></div>
  </form>
  <p class="hint" id="passkeys-unsupported" hidden>${t('passkeys.unsupported')}</p>
</section>

<section class="card" id="identities-section" aria-labelledby="identities-title">
  <h2 id="identities-title" tabindex="-1">${t('identities.title')}</h2>
  <p class="muted">${t('identities.intro')}</p>
  <ul class="list" id="identities" aria-labelledby="identities-title"><li>${ctx.dict.t(locale, 'common.loading')}</li></ul>
  <p id="no-identities" hidden>${t('identities.none')}</p>
  <p class="status" id="identities-status" role="status" hidden></p>
  <div class="actions" id="link-providers"></div>
</section>

<section class="card" aria-labelledby="organizations-title">
  <h2 id="organizations-title" tabindex="-1">${t('organizations.title')}</h2>
  <p class="muted">${t('organizations.intro')}</p>
  <ul class="list" id="organizations" aria-labelledby="organizations-title"><li>${ctx.dict.t(locale, 'common.loading')}</li></ul>
  <p id="no-organizations" hidden>${t('organizations.none')}</p>
  <p class="status" id="organizations-status" role="status" hidden></p>
  <h3 id="org-invitations-title">${t('organizations.invitationsTitle')}</h3>
  <ul class="list" id="org-invitations" aria-labelledby="org-invitations-title"></ul>
  <p id="no-org-invitations" hidden>${t('organizations.noInvitations')}</p>
  <p class="hint" id="org-invitations-hint" hidden>${t('organizations.openEmail')}</p>
</section>

<section class="card" aria-labelledby="apps-title">
  <h2 id="apps-title" tabindex="-1">${ctx.dict.t(locale, 'oauth2.appsTitle')}</h2>
  <ul class="list" id="apps" aria-labelledby="apps-title"><li>${ctx.dict.t(locale, 'common.loading')}</li></ul>
  <p class="muted" id="no-apps" hidden>${ctx.dict.t(locale, 'oauth2.appsNone')}</p>
  <p class="status" id="apps-status" role="status" hidden></p>
</section>

<section class="card" aria-labelledby="sessions-title">
  <h2 id="sessions-title" tabindex="-1">${t('sessions.title')}</h2>
  <p class="muted">${t('sessions.intro')}</p>
  <ul class="list" id="sessions" aria-labelledby="sessions-title"><li>${ctx.dict.t(locale, 'common.loading')}</li></ul>
  <p class="status" id="sessions-status" role="status" hidden></p>
  <div class="actions"><button type="button" class="secondary" id="sign-out-others" hidden>${t('sessions.signOutOthers')}</button></div>
</section>

<section class="card danger-zone" aria-labelledby="danger-title">
  <h2 id="danger-title" tabindex="-1">${t('danger.title')}</h2>
  <p>${t('danger.intro')}</p>
  <div class="reauth-slot" id="danger-reauth"></div>
  <p class="status" id="danger-status" role="alert" hidden></p>
  <div class="actions"><button type="button" class="danger" id="delete-account">${t('danger.delete')}</button></div>
</section>
</div>
`;
    return sendHtml(reply, ctx.page({
      locale, path: req.url, title: t('title'), body, script: 'account', messages: ['account.', 'reauth.', 'oauth2.'], wide: true,
      data: { providers: JSON.stringify(providers.map((p) => ({ name: p.name, displayName: p.displayName }))), 'account-url': `${ctx.publicUrl}/ui/account` },
    }));
  });
}
