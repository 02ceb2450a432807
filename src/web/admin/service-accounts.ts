// /admin/ui/service-accounts: machine clients (list, create, rotate the secret, disable,
// delete). A new or rotated secret is shown once, in a panel that says so.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { secretPanel, sendAdminPage } from './shell.ts';

export function serviceAccountsPage(app: FastifyInstance, ctx: WebContext): void {
  app.get('/admin/ui/service-accounts', { schema: { hide: true } }, async (req, reply) => sendAdminPage(ctx, req, reply, {
    section: 'serviceAccounts', script: 'admin-service-accounts', messages: ['admin.serviceAccounts.'],
    body: (t) => html`
${secretPanel(t, 'serviceAccounts')}
<section aria-labelledby="accounts-title">
  <h2 id="accounts-title" class="visually-hidden" tabindex="-1">${t('admin.serviceAccounts.list')}</h2>
  <p class="muted">${t('admin.serviceAccounts.explain')}</p>
  <p class="status" id="accounts-status" role="status" hidden></p>
  <div id="accounts"></div>
</section>
<section class="card" aria-labelledby="create-title">
  <h2 id="create-title">${t('admin.serviceAccounts.create.title')}</h2>
  <form id="create-account" class="form-grid">
    <div class="field"><label for="sa-name">${t('admin.serviceAccounts.create.name')}</label>
      <input id="sa-name" name="name" type="text" required maxlength="100" autocomplete="off"></div>
    <div class="field"><label for="sa-description">${t('admin.serviceAccounts.create.description')}</label>
      <input id="sa-description" name="description" type="text" maxlength="500" autocomplete="off"></div>
    <div class="field"><label for="sa-expires">${t('admin.serviceAccounts.create.expires')}</label>
      <input id="sa-expires" name="expires" type="date" aria-describedby="sa-expires-hint">
      <p class="hint" id="sa-expires-hint">${t('admin.serviceAccounts.create.expiresHint')}</p></div>
    <fieldset class="full">
      <legend>${t('admin.serviceAccounts.create.permissions')}</legend>
      <div class="checks" id="sa-permissions"></div>
      <div class="field" id="sa-permissions-text" hidden><label for="sa-permissions-input">${t('admin.serviceAccounts.create.permissionsText')}</label>
        <input id="sa-permissions-input" name="permissionsText" type="text" autocomplete="off" autocapitalize="none" spellcheck="false"></div>
    </fieldset>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full"><button type="submit">${t('admin.serviceAccounts.create.submit')}</button></div>
  </form>
</section>`,
  }));
}
