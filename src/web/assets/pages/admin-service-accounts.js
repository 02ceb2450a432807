// /admin/ui/service-accounts: the list (GET /admin/service-accounts), creation with its
// permissions, secret rotation, disable/enable and deletion. New secrets are shown once.
import { $, $$, api, bindForm, confirmAction, el, when } from '../ui.js';
import { act, badge, button, codes, section, showSecret, start, table, tr } from '../admin.js';

const state = { accounts: [] };

function secretFacts(r) {
  return [
    { label: tr('serviceAccounts.clientId'), value: r.serviceAccount.clientId },
    { label: tr('serviceAccounts.clientSecret'), value: r.clientSecret, secret: true },
  ];
}

function stateBadge(a) {
  if (!a.active) return badge(tr('serviceAccounts.disabled'), 'bad');
  if (a.secretExpiresAt && Date.parse(a.secretExpiresAt) <= Date.now()) return badge(tr('serviceAccounts.expired'), 'warn');
  return badge(tr('serviceAccounts.active'), 'ok');
}

async function load() {
  state.accounts = (await api('/admin/service-accounts', { auth: true })).serviceAccounts;
  const status = $('#accounts-status');
  $('#accounts').replaceChildren(table(tr('serviceAccounts.list'),
    [tr('serviceAccounts.name'), tr('serviceAccounts.clientId'), tr('serviceAccounts.permissions'), tr('serviceAccounts.state'), tr('serviceAccounts.secretExpires'), tr('serviceAccounts.lastUsed'), tr('common.actions')],
    state.accounts.map((a) => [
      el('span', {}, a.name, a.description ? el('span', { class: 'muted' }, el('br'), a.description) : null),
      el('code', {}, a.clientId), codes(a.permissions), stateBadge(a),
      a.secretExpiresAt ? when(a.secretExpiresAt) : tr('common.never'), a.lastUsedAt ? when(a.lastUsedAt) : tr('common.never'),
      el('div', { class: 'actions' },
        button(tr('serviceAccounts.rotate'), (e) => {
          if (!confirmAction(tr('serviceAccounts.confirmRotate', { name: a.name }))) return;
          act(e.currentTarget, status, async () => {
            const r = await api(`/admin/service-accounts/${encodeURIComponent(a.id)}/secret`, { method: 'POST', auth: true });
            await load();
            showSecret(tr('serviceAccounts.newSecretOf', { name: a.name }), secretFacts(r));
            return '';
          });
        }, 'secondary', { 'aria-label': tr('serviceAccounts.rotateNamed', { name: a.name }) }),
        button(a.active ? tr('serviceAccounts.disable') : tr('serviceAccounts.enable'), (e) => {
          if (a.active && !confirmAction(tr('serviceAccounts.confirmDisable', { name: a.name }))) return;
          act(e.currentTarget, status, async () => {
            await api(`/admin/service-accounts/${encodeURIComponent(a.id)}`, { method: 'PATCH', body: { active: !a.active }, auth: true });
            await load();
            return tr(a.active ? 'serviceAccounts.disabledDone' : 'serviceAccounts.enabledDone', { name: a.name });
          });
        }, 'secondary', { 'aria-label': tr(a.active ? 'serviceAccounts.disableNamed' : 'serviceAccounts.enableNamed', { name: a.name }) }),
        button(tr('serviceAccounts.delete'), (e) => {
          if (!confirmAction(tr('serviceAccounts.confirmDelete', { name: a.name }))) return;
          act(e.currentTarget, status, async () => {
            await api(`/admin/service-accounts/${encodeURIComponent(a.id)}`, { method: 'DELETE', auth: true });
            await load();
            return tr('serviceAccounts.deleted', { name: a.name });
          });
        }, 'danger', { 'aria-label': tr('serviceAccounts.deleteNamed', { name: a.name }) })),
    ]), { empty: tr('serviceAccounts.none') }));
}

async function loadPermissions() {
  const { permissions } = await api('/admin/permissions', { auth: true });
  $('#sa-permissions').replaceChildren(...permissions.filter((p) => p.name !== '*').map((p, i) => el('label', { for: `perm-${i}` },
    el('input', { type: 'checkbox', id: `perm-${i}`, name: `perm-${i}`, value: p.name, 'data-permission': p.name }), el('code', {}, p.name))));
}

/** Without roles:read the permissions cannot be listed: they are typed instead. */
function typedPermissions() {
  $('#sa-permissions').hidden = true;
  $('#sa-permissions-text').hidden = false;
}

bindForm($('#create-account'), async (v, form) => {
  const typed = $('#sa-permissions-text').hidden ? [] : v.permissionsText.split(/[\s,]+/).filter(Boolean);
  const checked = $$('input[data-permission]', form).filter((i) => i.checked).map((i) => i.value);
  const body = { name: v.name, permissions: [...checked, ...typed] };
  if (v.description) body.description = v.description;
  if (v.expires) body.secretExpiresAt = new Date(`${v.expires}T23:59:59.999Z`).toISOString();
  const r = await api('/admin/service-accounts', { method: 'POST', body, auth: true });
  form.reset();
  await load();
  showSecret(tr('serviceAccounts.secretOf', { name: r.serviceAccount.name }), secretFacts(r));
});

start(async () => {
  await load();
  if (!(await section(null, loadPermissions))) typedPermissions();
});
