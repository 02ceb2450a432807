// /admin/ui/applications: the OpenID Connect clients (applications that sign users in with
// Tessera): list, register, rotate the secret, disable, delete. A new secret is shown once.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { secretPanel, sendAdminPage } from './shell.ts';

export function oidcClientsPage(app: FastifyInstance, ctx: WebContext): void {
  app.get('/admin/ui/applications', { schema: { hide: true } }, async (req, reply) => sendAdminPage(ctx, req, reply, {
    section: 'applications', script: 'admin-applications', messages: ['admin.applications.'],
    body: (t) => html`
${secretPanel(t, 'applications')}
<section aria-labelledby="clients-title">
  <h2 id="clients-title" class="visually-hidden" tabindex="-1">${t('admin.applications.list')}</h2>
  <p class="muted">${t('admin.applications.explain')}</p>
  <p class="status" id="clients-status" role="status" hidden></p>
  <div id="clients"></div>
</section>
<section class="card" aria-labelledby="create-title">
  <h2 id="create-title">${t('admin.applications.create.title')}</h2>
  <form id="create-client" class="form-grid">
    <div class="field"><label for="app-name">${t('admin.applications.create.name')}</label>
      <input id="app-name" name="name" type="text" required maxlength="200" autocomplete="off"></div>
    <div class="field"><label for="app-redirects">${t('admin.applications.create.redirectUris')}</label>
      <input id="app-redirects" name="redirectUris" type="text" required autocomplete="off" spellcheck="false" aria-describedby="app-redirects-hint">
      <p class="hint" id="app-redirects-hint">${t('admin.applications.create.redirectHint')}</p></div>
    <div class="field"><label for="app-logout">${t('admin.applications.create.postLogout')}</label>
      <input id="app-logout" name="postLogoutRedirectUris" type="text" autocomplete="off" spellcheck="false"></div>
    <div class="field"><label for="app-backchannel">${t('admin.applications.create.backchannel')}</label>
      <input id="app-backchannel" name="backchannelLogoutUri" type="url" autocomplete="off" spellcheck="false"></div>
    <div class="field full"><label><input type="checkbox" name="public"> ${t('admin.applications.create.public')}</label></div>
    <div class="field full"><label><input type="checkbox" name="firstParty"> ${t('admin.applications.create.firstParty')}</label></div>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full"><button type="submit">${t('admin.applications.create.submit')}</button></div>
  </form>
</section>`,
  }));
}
