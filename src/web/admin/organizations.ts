// /admin/ui/organizations: every organization (GET /admin/organizations) with search,
// its members (remove), deletion and creation. pages/admin-organizations.js fills it.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { sendAdminPage } from './shell.ts';

export function organizationsPage(app: FastifyInstance, ctx: WebContext): void {
  app.get('/admin/ui/organizations', { schema: { hide: true } }, async (req, reply) => sendAdminPage(ctx, req, reply, {
    section: 'organizations', script: 'admin-organizations', messages: ['admin.organizations.'],
    body: (t) => html`
<section aria-labelledby="orgs-title">
  <h2 id="orgs-title" class="visually-hidden" tabindex="-1">${t('admin.organizations.list')}</h2>
  <p class="muted">${t('admin.organizations.explain')}</p>
  <form id="org-search" class="inline-form" role="search">
    <div class="field"><label for="org-search-text">${t('admin.organizations.search')}</label>
      <input id="org-search-text" name="search" type="search" maxlength="100" autocomplete="off"></div>
    <p class="status" role="alert" hidden></p>
    <button type="submit" class="secondary small">${t('admin.organizations.searchButton')}</button>
  </form>
  <p class="status" id="orgs-status" role="status" hidden></p>
  <div id="organizations"></div>
</section>
<section class="card" id="members-card" aria-labelledby="members-title" hidden>
  <h2 id="members-title" tabindex="-1"></h2>
  <p class="status" id="members-status" role="status" hidden></p>
  <div id="members"></div>
</section>
<section class="card" aria-labelledby="create-org-title">
  <h2 id="create-org-title">${t('admin.organizations.createTitle')}</h2>
  <form id="create-org" class="form-grid">
    <div class="field"><label for="org-name">${t('admin.organizations.name')}</label>
      <input id="org-name" name="name" type="text" required maxlength="100" autocomplete="off"></div>
    <div class="field"><label for="org-owner">${t('admin.organizations.ownerId')}</label>
      <input id="org-owner" name="ownerId" type="text" maxlength="36" autocomplete="off" autocapitalize="none" spellcheck="false" pattern="[0-9a-fA-F\\-]{36}"></div>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full"><button type="submit">${t('admin.organizations.createSubmit')}</button></div>
  </form>
</section>`,
  }));
}
