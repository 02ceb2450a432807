// /admin/ui/users: the user list with its search, filters, sort and pages (the state is
// in the query string, so reloads and the back button keep it), and a form to create a
// user; /admin/ui/users/:id: one user with their sessions, roles, factors, identities
// and audit trail, and the administrator's actions on the account.
import type { FastifyInstance } from 'fastify';
import { errorPage, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { sendAdminPage, type Translate } from './shell.ts';

type ListQuery = { q?: string; role?: string; active?: string; verified?: string; mfa?: string; sort?: string; limit?: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SORTS = ['-created_at', 'created_at', 'email', '-email', 'username', '-username'];
const LIMITS = ['20', '50', '100'];

/** A <select> whose options are [value, label]; the current value selected. */
function select(id: string, name: string, current: string | undefined, options: [string, string][]): Html {
  return html`<select id="${id}" name="${name}">${options.map(([v, l]) => html`<option value="${v}"${v === (current ?? '') ? html` selected` : ''}>${l}</option>`)}</select>`;
}

function listBody(t: Translate, q: ListQuery, emailRequired: boolean): Html {
  const yesNo = (yes: string, no: string): [string, string][] => [['', t('admin.users.any')], ['true', t(yes)], ['false', t(no)]];
  // The role list comes from the API (pages/admin-users.js); the current filter is kept meanwhile.
  const roleOptions: [string, string][] = [['', t('admin.users.anyRole')], ...(q.role ? [[q.role, q.role] as [string, string]] : [])];
  return html`
<p class="status success" id="notice" role="status" hidden></p>
<form id="filters" class="filters" role="search" aria-label="${t('admin.users.filtersLabel')}" method="get" action="/admin/ui/users">
  <div class="field wide"><label for="q">${t('admin.users.search')}</label>
    <input id="q" name="q" type="search" value="${q.q ?? ''}" maxlength="254" autocapitalize="none" spellcheck="false" aria-describedby="q-hint">
    <p class="hint" id="q-hint">${t('admin.users.searchHint')}</p></div>
  <div class="field"><label for="role">${t('admin.users.role')}</label>${select('role', 'role', q.role, roleOptions)}</div>
  <div class="field"><label for="active">${t('admin.users.status')}</label>${select('active', 'active', q.active, yesNo('admin.users.activeOnly', 'admin.users.disabledOnly'))}</div>
  <div class="field"><label for="verified">${t('admin.users.verified')}</label>${select('verified', 'verified', q.verified, yesNo('admin.users.verifiedOnly', 'admin.users.unverifiedOnly'))}</div>
  <div class="field"><label for="mfa">${t('admin.users.mfa')}</label>${select('mfa', 'mfa', q.mfa, yesNo('admin.users.withMfa', 'admin.users.withoutMfa'))}</div>
  <div class="field"><label for="sort">${t('admin.users.sort')}</label>${select('sort', 'sort', q.sort ?? '-created_at', SORTS.map((s) => [s, t(`admin.users.sorts.${s}`)]))}</div>
  <div class="field"><label for="limit">${t('admin.users.perPage')}</label>${select('limit', 'limit', q.limit ?? '20', LIMITS.map((l) => [l, l]))}</div>
  <div class="actions"><button type="submit">${t('admin.users.apply')}</button> <a class="button secondary" href="/admin/ui/users">${t('admin.users.reset')}</a></div>
</form>
<section aria-labelledby="results-title">
  <h2 id="results-title" tabindex="-1">${t('admin.users.results')}</h2>
  <p class="muted" id="result-count" role="status"></p>
  <div id="users"></div>
  <nav class="pager" aria-label="${t('admin.users.pages')}">
    <a id="prev" role="link" rel="prev" aria-disabled="true">${t('admin.users.previous')}</a>
    <span class="muted" id="page-number"></span>
    <a id="next" role="link" rel="next" aria-disabled="true">${t('admin.users.next')}</a>
  </nav>
</section>
<section class="card" aria-labelledby="create-title">
  <h2 id="create-title">${t('admin.users.create.title')}</h2>
  <form id="create-user" class="form-grid">
    <div class="field"><label for="new-username">${t('admin.users.create.username')}</label>
      <input id="new-username" name="username" type="text" required minlength="3" maxlength="50" autocomplete="off" autocapitalize="none" spellcheck="false"></div>
    <div class="field"><label for="new-email">${t('admin.users.create.email')}</label>
      <input id="new-email" name="email" type="email"${emailRequired ? html` required` : ''} maxlength="254" autocomplete="off" autocapitalize="none" spellcheck="false"></div>
    <div class="field"><label for="new-password">${t('admin.users.create.password')}</label>
      <input id="new-password" name="password" type="password" autocomplete="new-password" aria-describedby="new-password-hint">
      <p class="hint" id="new-password-hint">${t('admin.users.create.passwordHint')}</p></div>
    <div class="field full">
      <label class="check"><input type="checkbox" name="emailVerified"> ${t('admin.users.create.emailVerified')}</label>
      <label class="check"><input type="checkbox" name="sendPasswordSetup"> ${t('admin.users.create.sendSetup')}</label></div>
    <p class="status full" role="alert" hidden></p>
    <div class="actions full"><button type="submit">${t('admin.users.create.submit')}</button></div>
  </form>
</section>`;
}

function userBody(t: Translate): Html {
  const s = (k: string, v?: Record<string, string>) => t(`admin.user.${k}`, v);
  return html`
<p><a href="/admin/ui/users" id="back">${s('back')}</a></p>
<section class="card" aria-labelledby="profile-title">
  <h2 id="profile-title" tabindex="-1">${s('profile')}</h2>
  <div class="badges" id="badges"></div>
  <dl class="profile" id="profile"></dl>
</section>
<section class="card" aria-labelledby="actions-title">
  <h2 id="actions-title">${s('actions')}</h2>
  <div class="actions">
    <button type="button" class="secondary" id="toggle-active"></button>
    <button type="button" class="secondary" id="revoke-all">${s('revokeAll')}</button>
    <button type="button" class="secondary" id="reset-mfa">${s('resetMfa')}</button>
    <button type="button" class="secondary" id="unlock">${s('unlock')}</button>
    <button type="button" class="secondary" id="force-reset">${s('forceReset')}</button>
  </div>
  <p class="status" id="actions-status" role="status" hidden></p>
  <div class="danger-zone">
    <h3 id="delete-title">${s('delete.title')}</h3>
    <p>${s('delete.explain')}</p>
    <form id="delete-form" aria-labelledby="delete-title">
      <div class="field"><label for="delete-confirm" id="delete-label">${s('delete.confirmLabel', { name: '…' })}</label>
        <input id="delete-confirm" name="confirm" type="text" required autocomplete="off" autocapitalize="none" spellcheck="false"></div>
      <p class="status" role="alert" hidden></p>
      <div class="actions"><button type="submit" class="danger">${s('delete.submit')}</button></div>
    </form>
  </div>
</section>
<section class="card" aria-labelledby="sessions-title">
  <h2 id="sessions-title" tabindex="-1">${s('sessions')}</h2>
  <p class="status" id="sessions-status" role="status" hidden></p>
  <div id="sessions"></div>
</section>
<section class="card" aria-labelledby="roles-title">
  <h2 id="roles-title" tabindex="-1">${s('roles')}</h2>
  <p class="status" id="roles-status" role="status" hidden></p>
  <div id="roles"></div>
  <form id="add-role" class="inline-form">
    <div class="field"><label for="role-to-add">${s('roleToAdd')}</label><select id="role-to-add" name="role" required></select></div>
    <p class="status" role="alert" hidden></p>
    <button type="submit" class="secondary">${s('addRole')}</button>
  </form>
  <h3>${s('permissions')}</h3>
  <div id="permissions"></div>
</section>
<section class="card" aria-labelledby="factors-title">
  <h2 id="factors-title">${s('factors')}</h2>
  <div id="factors"></div>
</section>
<section class="card" aria-labelledby="identities-title">
  <h2 id="identities-title">${s('identities')}</h2>
  <div id="identities"></div>
</section>
<section class="card" aria-labelledby="audit-title">
  <h2 id="audit-title">${s('audit')}</h2>
  <div id="audit"></div>
  <p class="status" id="audit-status" role="status" hidden></p>
  <div class="actions"><button type="button" class="secondary" id="audit-more" hidden>${s('olderEntries')}</button></div>
</section>`;
}

export function userPages(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Querystring: ListQuery }>('/admin/ui/users', { schema: { hide: true } }, async (req, reply) => {
    const q = Object.fromEntries(Object.entries(req.query).filter(([, v]) => typeof v === 'string')) as ListQuery;
    return sendAdminPage(ctx, req, reply, { section: 'users', script: 'admin-users', messages: ['admin.users.'], body: (t) => listBody(t, q, ctx.features.emailRequired) });
  });

  app.get<{ Params: { id: string } }>('/admin/ui/users/:id', { schema: { hide: true } }, async (req, reply) => {
    if (!UUID.test(req.params.id)) return errorPage(ctx, req, reply, 'not_found', 404);
    return sendAdminPage(ctx, req, reply, {
      section: 'users', sub: true, title: 'admin.user.title', script: 'admin-user', messages: ['admin.user.', 'admin.users.'], data: { 'user-id': req.params.id.toLowerCase() }, body: userBody,
    });
  });
}
