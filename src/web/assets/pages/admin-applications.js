// /admin/ui/applications: OpenID Connect clients (GET /admin/oauth-clients), registration,
// secret rotation, disable/enable and deletion. New secrets are shown once.
import { $, api, bindForm, confirmAction, el } from '../ui.js';
import { act, badge, button, codes, showSecret, start, table, tr } from '../admin.js';

const list = (v) => (v || '').split(/[\s,]+/).filter(Boolean);

function secretFacts(r) {
  return [
    { label: tr('applications.clientId'), value: r.client.clientId },
    ...(r.clientSecret ? [{ label: tr('applications.clientSecret'), value: r.clientSecret, secret: true }] : []),
  ];
}

async function load() {
  const { clients } = await api('/admin/oauth-clients', { auth: true });
  const status = $('#clients-status');
  const path = (c) => `/admin/oauth-clients/${encodeURIComponent(c.clientId)}`;
  $('#clients').replaceChildren(table(tr('applications.list'),
    [tr('applications.name'), tr('applications.clientId'), tr('applications.type'), tr('applications.redirectUris'), tr('applications.state'), tr('common.actions')],
    clients.map((c) => [
      c.name, el('code', {}, c.clientId),
      `${c.type === 'public' ? tr('applications.public') : tr('applications.confidential')}${c.firstParty ? ` · ${tr('applications.firstParty')}` : ''}`,
      codes(c.redirectUris), c.active ? badge(tr('applications.active'), 'ok') : badge(tr('applications.disabled'), 'bad'),
      el('div', { class: 'actions' },
        c.type === 'confidential' ? button(tr('applications.rotate'), (e) => {
          if (!confirmAction(tr('applications.confirmRotate', { name: c.name }))) return;
          act(e.currentTarget, status, async () => {
            const r = await api(`${path(c)}/rotate-secret`, { method: 'POST', auth: true });
            await load();
            showSecret(tr('applications.newSecretOf', { name: c.name }), secretFacts(r));
            return '';
          });
        }, 'secondary', { 'aria-label': tr('applications.rotateNamed', { name: c.name }) }) : null,
        button(c.active ? tr('applications.disable') : tr('applications.enable'), (e) => act(e.currentTarget, status, async () => {
          await api(path(c), { method: 'PATCH', body: { active: !c.active }, auth: true });
          await load();
          return tr(c.active ? 'applications.disabledDone' : 'applications.enabledDone', { name: c.name });
        }), 'secondary', { 'aria-label': tr(c.active ? 'applications.disableNamed' : 'applications.enableNamed', { name: c.name }) }),
        button(tr('applications.delete'), (e) => {
          if (!confirmAction(tr('applications.confirmDelete', { name: c.name }))) return;
          act(e.currentTarget, status, async () => {
            await api(path(c), { method: 'DELETE', auth: true });
            await load();
            return tr('applications.deleted', { name: c.name });
          });
        }, 'danger', { 'aria-label': tr('applications.deleteNamed', { name: c.name }) })),
    ]), { empty: tr('applications.none') }));
}

bindForm($('#create-client'), async (v, form) => {
  const body = { name: v.name, redirectUris: list(v.redirectUris), type: v.public ? 'public' : 'confidential', firstParty: Boolean(v.firstParty) };
  if (v.postLogoutRedirectUris) body.postLogoutRedirectUris = list(v.postLogoutRedirectUris);
  if (v.backchannelLogoutUri) body.backchannelLogoutUri = v.backchannelLogoutUri;
  const r = await api('/admin/oauth-clients', { method: 'POST', body, auth: true });
  form.reset();
  await load();
  showSecret(tr('applications.secretOf', { name: r.client.name }), secretFacts(r));
});

start(load);
