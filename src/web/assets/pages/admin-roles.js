// /admin/ui/roles: one card per role (GET /admin/roles) with its permissions and included
// roles, each removable, forms to grant and include more, and deletion; the permissions
// (GET /admin/permissions) in a table with creation and deletion.
import { $, api, bindForm, confirmAction, el, say } from '../ui.js';
import { act, badge, button, codes, plural, start, table, tr } from '../admin.js';

const state = { roles: [], permissions: [] };
// super_admin holds `*` and cannot be changed (the API answers role_built_in).
const FROZEN = 'super_admin';

async function load() {
  const [{ roles }, { permissions }] = [await api('/admin/roles', { auth: true }), await api('/admin/permissions', { auth: true })];
  state.roles = roles;
  state.permissions = permissions;
  renderRoles();
  renderPermissions();
}

/** A list of removable names (permissions or included roles). */
function tags(names, removeLabel, remove) {
  if (!names.length) return el('p', { class: 'muted' }, tr('common.none'));
  return el('ul', { class: 'tags' }, names.map((n) => el('li', {}, el('code', {}, n),
    remove ? el('button', { type: 'button', class: 'link', 'aria-label': removeLabel(n), onclick: (e) => remove(e.currentTarget, n) }, tr('common.remove')) : null)));
}

/** A one-select form ("add"), or nothing when there is nothing to choose. */
function addForm(idPrefix, labelText, options, submitText, onSubmit) {
  if (!options.length) return null;
  const form = el('form', { class: 'inline-form' },
    el('div', { class: 'field' }, el('label', { for: `${idPrefix}-select` }, labelText),
      el('select', { id: `${idPrefix}-select`, name: 'value', required: true }, options.map((o) => el('option', { value: o }, o)))),
    el('p', { class: 'status', role: 'alert', hidden: true }),
    el('button', { type: 'submit', class: 'secondary small' }, submitText));
  bindForm(form, ({ value }) => onSubmit(value));
  return form;
}

/** Shows a message in a role's card (drawn again after each change), focused for keyboard users. */
function sayRole(name, message) {
  const card = state.roles.findIndex((r) => r.name === name) >= 0 ? document.querySelector(`[data-role="${CSS.escape(name)}"] .role-status`) : null;
  const region = card ?? $('#roles-status');
  say(region, message, 'success');
  region.setAttribute('tabindex', '-1');
  region.focus();
}

function roleCard(role, index) {
  const status = el('p', { class: 'status role-status', role: 'status', hidden: true });
  const path = `/admin/roles/${encodeURIComponent(role.name)}`;
  const editable = role.name !== FROZEN;
  // After a change the cards are drawn again: the outcome goes to the new card (or the
  // section's status when the role is gone).
  const change = (button, run, message) => act(button, status, async () => {
    await run();
    await load();
    sayRole(role.name, message);
    return '';
  });
  // `*` (every permission) is granted through the API only, never by a slip of the mouse.
  const grantable = state.permissions.map((p) => p.name).filter((p) => p !== '*' && !role.permissions.includes(p));
  const includable = state.roles.map((r) => r.name).filter((r) => r !== role.name && !role.includes.includes(r));
  const headingId = `role-${index}-title`;
  return el('article', { class: 'card', 'aria-labelledby': headingId, 'data-role': role.name },
    el('h3', { id: headingId }, role.name),
    el('div', { class: 'badges' }, role.builtIn ? badge(tr('roles.builtIn')) : badge(tr('roles.custom'), 'ok'), badge(plural('roles.effective', role.effectivePermissions.length))),
    role.description ? el('p', {}, role.description) : null,
    el('h4', {}, tr('roles.grants')),
    tags(role.permissions, (p) => tr('roles.removePermission', { permission: p, role: role.name }), editable
      ? (b, p) => change(b, () => api(`${path}/permissions/${encodeURIComponent(p)}`, { method: 'DELETE', auth: true }), tr('roles.permissionRemoved', { permission: p, role: role.name }))
      : null),
    editable ? addForm(`grant-${index}`, tr('roles.addPermission', { role: role.name }), grantable, tr('roles.grant'), async (p) => {
      await api(`${path}/permissions/${encodeURIComponent(p)}`, { method: 'PUT', auth: true });
      await load();
      sayRole(role.name, tr('roles.permissionAdded', { permission: p, role: role.name }));
    }) : null,
    el('h4', {}, tr('roles.includes')),
    tags(role.includes, (r) => tr('roles.removeInclude', { included: r, role: role.name }), editable
      ? (b, r) => change(b, () => api(`${path}/includes/${encodeURIComponent(r)}`, { method: 'DELETE', auth: true }), tr('roles.includeRemoved', { included: r, role: role.name }))
      : null),
    editable ? addForm(`include-${index}`, tr('roles.addInclude', { role: role.name }), includable, tr('roles.include'), async (r) => {
      await api(`${path}/includes/${encodeURIComponent(r)}`, { method: 'PUT', auth: true });
      await load();
      sayRole(role.name, tr('roles.includeAdded', { included: r, role: role.name }));
    }) : null,
    !role.builtIn ? el('div', { class: 'actions' }, button(tr('roles.delete'), (e) => {
      if (!confirmAction(tr('roles.confirmDelete', { role: role.name }))) return;
      change(e.currentTarget, () => api(path, { method: 'DELETE', auth: true }), tr('roles.deleted', { role: role.name }));
    }, 'danger', { 'aria-label': tr('roles.deleteNamed', { role: role.name }) })) : null,
    status,
  );
}

function renderRoles() {
  $('#roles').replaceChildren(...state.roles.map(roleCard));
}

function renderPermissions() {
  const status = $('#permissions-status');
  $('#permissions').replaceChildren(table(tr('roles.permissions'), [tr('roles.permission'), tr('roles.description'), tr('roles.grantedBy'), tr('common.actions')],
    state.permissions.map((p) => [
      el('code', {}, p.name), p.description || '—', codes(p.roles),
      p.builtIn ? badge(tr('roles.builtIn')) : button(tr('roles.delete'), (e) => {
        if (!confirmAction(tr('roles.confirmDeletePermission', { permission: p.name }))) return;
        act(e.currentTarget, status, async () => {
          await api(`/admin/permissions/${encodeURIComponent(p.name)}`, { method: 'DELETE', auth: true });
          await load();
          return tr('roles.permissionDeleted', { permission: p.name });
        });
      }, 'danger', { 'aria-label': tr('roles.deletePermission', { permission: p.name }) }),
    ])));
}

bindForm($('#create-role'), async ({ name, description }, form) => {
  await api('/admin/roles', { method: 'POST', body: { name, ...(description ? { description } : {}) }, auth: true });
  form.reset();
  await load();
  sayRole(name, tr('roles.created', { role: name }));
});

bindForm($('#create-permission'), async ({ name, description }, form) => {
  await api('/admin/permissions', { method: 'POST', body: { name, ...(description ? { description } : {}) }, auth: true });
  form.reset();
  await load();
  say($('#permissions-status'), tr('roles.permissionCreated', { permission: name }), 'success');
});

start(load);
