// /admin/ui/providers: GET /admin/oauth/providers in a table (secrets never shown: "set"
// or "not set"); providers stored in the database are edited, enabled or disabled with
// PUT (omitted secrets keep their stored value) and deleted.
import { $, api, bindForm, confirmAction, el, say } from '../ui.js';
import { act, badge, button, label, start, table, tr } from '../admin.js';

const ADVANCED = ['authorizationUrl', 'tokenUrl', 'userinfoUrl', 'jwksUrl', 'baseUrl', 'tenantId', 'teamId', 'keyId'];
const state = { providers: [], editing: null };
const form = $('#provider-form');
const path = (name) => `/admin/oauth/providers/${encodeURIComponent(name)}`;

/** The PUT body that stores `p` again as it is, with `changes`. */
function bodyOf(p, changes = {}) {
  return { kind: p.kind, clientId: p.clientId, enabled: p.enabled, displayName: p.displayName, ...(p.scopes ? { scopes: p.scopes } : {}), ...p.settings, ...changes };
}

async function load() {
  state.providers = (await api('/admin/oauth/providers', { auth: true })).providers;
  const status = $('#providers-status');
  $('#providers').replaceChildren(table(tr('providers.list'),
    [tr('providers.name'), tr('providers.kind'), tr('providers.source'), tr('providers.state'), tr('providers.clientId'), tr('providers.clientSecret'), tr('providers.callbackUrl'), tr('common.actions')],
    state.providers.map((p) => [
      el('span', {}, el('code', {}, p.name), el('br'), p.displayName),
      label('kind', p.kind),
      p.source === 'env' ? badge(tr('providers.fromEnv')) : badge(tr('providers.fromDatabase'), 'ok'),
      p.enabled ? badge(tr('providers.enabled'), 'ok') : badge(tr('providers.disabled'), 'bad'),
      el('code', {}, p.clientId),
      p.clientSecretSet || p.privateKeySet ? badge(tr('providers.secretSet'), 'ok') : badge(tr('providers.secretNotSet'), 'warn'),
      el('code', {}, p.callbackUrl),
      p.source === 'env' ? el('span', { class: 'muted' }, tr('providers.envManaged')) : el('div', { class: 'actions' },
        button(tr('providers.edit'), () => edit(p), 'secondary', { 'aria-label': tr('providers.editNamed', { name: p.name }) }),
        button(p.enabled ? tr('providers.disable') : tr('providers.enable'), (e) => act(e.currentTarget, status, async () => {
          await api(path(p.name), { method: 'PUT', body: bodyOf(p, { enabled: !p.enabled }), auth: true });
          await load();
          return tr(p.enabled ? 'providers.disabledDone' : 'providers.enabledDone', { name: p.name });
        }), 'secondary', { 'aria-label': tr(p.enabled ? 'providers.disableNamed' : 'providers.enableNamed', { name: p.name }) }),
        button(tr('providers.delete'), (e) => {
          if (!confirmAction(tr('providers.confirmDelete', { name: p.name }))) return;
          act(e.currentTarget, status, async () => {
            await api(path(p.name), { method: 'DELETE', auth: true });
            if (state.editing === p.name) stopEditing();
            await load();
            return tr('providers.deleted', { name: p.name });
          });
        }, 'danger', { 'aria-label': tr('providers.deleteNamed', { name: p.name }) })),
    ]), { empty: tr('providers.none') }));
}

function field(name) {
  return form.elements.namedItem(name);
}

function edit(p) {
  state.editing = p.name;
  form.reset();
  field('name').value = p.name;
  field('name').readOnly = true;
  field('kind').value = p.kind;
  field('displayName').value = p.displayName;
  field('clientId').value = p.clientId;
  field('scopes').value = (p.scopes ?? []).join(' ');
  field('issuer').value = p.settings.issuer ?? '';
  for (const k of ADVANCED) field(k).value = p.settings[k] ?? '';
  field('enabled').checked = p.enabled;
  $('#p-secret-hint').textContent = p.clientSecretSet ? tr('providers.form.secretKeep') : tr('providers.form.secretHint');
  $('#form-title').textContent = tr('providers.form.editTitle', { name: p.name });
  $('#p-cancel').hidden = false;
  if (ADVANCED.some((k) => p.settings[k])) form.querySelector('details').open = true;
  $('#form-title').focus();
}

function stopEditing() {
  state.editing = null;
  form.reset();
  field('name').readOnly = false;
  $('#p-secret-hint').textContent = tr('providers.form.secretHint');
  $('#form-title').textContent = tr('providers.form.addTitle');
  $('#p-cancel').hidden = true;
}

$('#p-cancel').addEventListener('click', () => {
  stopEditing();
  $('#form-title').focus();
});

bindForm(form, async (v) => {
  const body = { kind: v.kind, clientId: v.clientId, enabled: v.enabled };
  for (const k of ['displayName', 'issuer', ...ADVANCED]) if (v[k]) body[k] = v[k];
  const scopes = v.scopes.split(/[\s,]+/).filter(Boolean);
  if (scopes.length) body.scopes = scopes;
  if (v.clientSecret) body.clientSecret = v.clientSecret;
  if (v.privateKey) body.privateKey = v.privateKey;
  const name = v.name;
  await api(path(name), { method: 'PUT', body, auth: true });
  const edited = state.editing !== null;
  stopEditing();
  await load();
  say($('#providers-status'), tr(edited ? 'providers.saved' : 'providers.added', { name }), 'success');
  $('#providers-title').focus();
});

start(load);
