// /admin/ui/roles: roles with their permissions and included roles (grant, take, include,
// delete, create) and the permissions themselves (create, delete). pages/admin-roles.js
// builds each role's card from GET /admin/roles.
import type { FastifyInstance } from 'fastify';
import type { WebContext } from '../context.ts';
import { html } from '../html.ts';
import { sendAdminPage } from './shell.ts';

export function rolesPage(app: FastifyInstance, ctx: WebContext): void {
  app.get('/admin/ui/roles', { schema: { hide: true } }, async (req, reply) => sendAdminPage(ctx, req, reply, {
    section: 'roles', script: 'admin-roles', messages: ['admin.roles.'],
    body: (t) => html`
<section aria-labelledby="roles-title">
  <h2 id="roles-title" class="visually-hidden" tabindex="-1">${t('admin.roles.roles')}</h2>
  <p class="muted">${t('admin.roles.explain')}</p>
  <p class="status" id="roles-status" role="status" hidden></p>
  <div class="cards" id="roles"></div>
</section>
<section class="card" aria-labelledby="create-role-title">
  <h2 id="create-role-title">${t('admin.roles.create.title')}</h2>
  <form id="create-role" class="form-grid">
    <div class="field"><label for="role-name">${t('admin.roles.create.name')}</label>
      <input id="role-name" name="name" type="text" required maxlength="63" pattern="[A-Za-z][A-Za-z0-9_.\\-]*" autocomplete="off" autocapitalize="none" spellcheck="false" aria-describedby="role-name-hint">
      <p class="hint" id="role-name-hint">${t('admin.roles.create.nameHint')}</p></div>
    <div class="field"><label for="role-description">${t('admin.roles.create.description')}</label>
      <input id="role-description" name="description" type="text" maxlength="500" autocomplete="off"></div>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full"><button type="submit">${t('admin.roles.create.submit')}</button></div>
  </form>
</section>
<section aria-labelledby="permissions-title">
  <h2 id="permissions-title" tabindex="-1">${t('admin.roles.permissions')}</h2>
  <p class="status" id="permissions-status" role="status" hidden></p>
  <div id="permissions"></div>
  <div class="card">
    <h3 id="create-permission-title">${t('admin.roles.createPermission.title')}</h3>
    <form id="create-permission" class="form-grid" aria-labelledby="create-permission-title">
      <div class="field"><label for="permission-name">${t('admin.roles.createPermission.name')}</label>
        <input id="permission-name" name="name" type="text" required maxlength="130" pattern="[A-Za-z0-9_.:*\\-]+" autocomplete="off" autocapitalize="none" spellcheck="false" aria-describedby="permission-name-hint">
        <p class="hint" id="permission-name-hint">${t('admin.roles.createPermission.nameHint')}</p></div>
      <div class="field"><label for="permission-description">${t('admin.roles.createPermission.description')}</label>
        <input id="permission-description" name="description" type="text" maxlength="500" autocomplete="off"></div>
      <p class="status full" role="alert" hidden></p>
      <div class="actions full"><button type="submit">${t('admin.roles.createPermission.submit')}</button></div>
    </form>
  </div>
</section>`,
  }));
}
