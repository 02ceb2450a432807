// /admin/ui/providers: social sign-in providers from the environment (read only) and the
// database (add, edit, enable or disable, delete). Secrets are never shown: only whether
// one is stored; an empty secret field keeps the stored one.
import type { FastifyInstance } from 'fastify';
import { OAUTH_PROVIDER_IDS } from '../../modules/oauth/index.ts';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { sendAdminPage } from './shell.ts';

const ADVANCED = ['authorizationUrl', 'tokenUrl', 'userinfoUrl', 'jwksUrl', 'baseUrl', 'tenantId', 'teamId', 'keyId'] as const;

export function providersPage(app: FastifyInstance, ctx: WebContext): void {
  app.get('/admin/ui/providers', { schema: { hide: true } }, async (req, reply) => sendAdminPage(ctx, req, reply, {
    section: 'providers', script: 'admin-providers', messages: ['admin.providers.'],
    body: (t) => html`
<section aria-labelledby="providers-title">
  <h2 id="providers-title" tabindex="-1">${t('admin.providers.list')}</h2>
  <p class="muted">${t('admin.providers.explain')}</p>
  <p class="status" id="providers-status" role="status" hidden></p>
  <div id="providers"></div>
</section>
<section class="card" aria-labelledby="form-title">
  <h2 id="form-title" tabindex="-1">${t('admin.providers.form.addTitle')}</h2>
  <form id="provider-form" class="form-grid">
    <div class="field"><label for="p-name">${t('admin.providers.form.name')}</label>
      <input id="p-name" name="name" type="text" required maxlength="32" pattern="[a-z][a-z0-9\\-]{0,31}" autocomplete="off" autocapitalize="none" spellcheck="false" aria-describedby="p-name-hint">
      <p class="hint" id="p-name-hint">${t('admin.providers.form.nameHint')}</p></div>
    <div class="field"><label for="p-kind">${t('admin.providers.form.kind')}</label>
      <select id="p-kind" name="kind" required>${[...OAUTH_PROVIDER_IDS, 'oidc'].map((k) => html`<option value="${k}">${t(`admin.labels.kind.${k}`)}</option>`)}</select></div>
    <div class="field"><label for="p-display">${t('admin.providers.form.displayName')}</label>
      <input id="p-display" name="displayName" type="text" maxlength="100" autocomplete="off"></div>
    <div class="field"><label for="p-client-id">${t('admin.providers.form.clientId')}</label>
      <input id="p-client-id" name="clientId" type="text" required maxlength="500" autocomplete="off" spellcheck="false"></div>
    <div class="field"><label for="p-secret">${t('admin.providers.form.clientSecret')}</label>
      <input id="p-secret" name="clientSecret" type="password" maxlength="2000" autocomplete="new-password" aria-describedby="p-secret-hint">
      <p class="hint" id="p-secret-hint">${t('admin.providers.form.secretHint')}</p></div>
    <div class="field"><label for="p-scopes">${t('admin.providers.form.scopes')}</label>
      <input id="p-scopes" name="scopes" type="text" autocomplete="off" spellcheck="false" aria-describedby="p-scopes-hint">
      <p class="hint" id="p-scopes-hint">${t('admin.providers.form.scopesHint')}</p></div>
    <div class="field"><label for="p-issuer">${t('admin.providers.form.issuer')}</label>
      <input id="p-issuer" name="issuer" type="url" maxlength="2000" autocomplete="off" spellcheck="false" aria-describedby="p-issuer-hint">
      <p class="hint" id="p-issuer-hint">${t('admin.providers.form.issuerHint')}</p></div>
    <details class="full">
      <summary>${t('admin.providers.form.advanced')}</summary>
      <div class="form-grid">
        ${ADVANCED.map((k) => html`<div class="field"><label for="p-${k}">${t(`admin.providers.form.${k}`)}</label>
          <input id="p-${k}" name="${k}" type="${k.endsWith('Url') ? 'url' : 'text'}" maxlength="2000" autocomplete="off" spellcheck="false"></div>`)}
        <div class="field full"><label for="p-private-key">${t('admin.providers.form.privateKey')}</label>
          <textarea id="p-private-key" name="privateKey" rows="4" maxlength="10000" spellcheck="false" aria-describedby="p-private-key-hint"></textarea>
          <p class="hint" id="p-private-key-hint">${t('admin.providers.form.privateKeyHint')}</p></div>
      </div>
    </details>
    <div class="field full"><label class="check"><input type="checkbox" name="enabled" checked> ${t('admin.providers.form.enabled')}</label></div>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full">
      <button type="submit" id="p-submit">${t('admin.providers.form.save')}</button>
      <button type="button" class="secondary" id="p-cancel" hidden>${t('admin.providers.form.cancel')}</button>
    </div>
  </form>
</section>`,
  }));
}
