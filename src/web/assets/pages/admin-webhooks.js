// /admin/ui/webhooks: endpoints (GET /admin/webhooks) with their actions, and the
// deliveries of the endpoint in ?endpoint= (newest first, their attempts summed up),
// each finished one replayable.
import { $, $$, api, bindForm, confirmAction, el, go, pageData, when } from '../ui.js';
import { act, badge, button, codes, label, showSecret, start, table, tr } from '../admin.js';

const state = { endpoints: [], selected: pageData.endpoint || '', cursor: null };

const deliveriesUrl = (id) => `/admin/ui/webhooks?endpoint=${encodeURIComponent(id)}`;

function secretFacts(r) {
  return [
    { label: tr('webhooks.url'), value: r.endpoint.url },
    { label: tr('webhooks.signingSecret'), value: r.secret, secret: true },
  ];
}

async function loadEndpoints() {
  state.endpoints = (await api('/admin/webhooks', { auth: true })).webhooks;
  const status = $('#endpoints-status');
  const path = (e) => `/admin/webhooks/${encodeURIComponent(e.id)}`;
  $('#endpoints').replaceChildren(table(tr('webhooks.endpoints'),
    [tr('webhooks.url'), tr('webhooks.events'), tr('webhooks.state'), tr('webhooks.pending'), tr('webhooks.dead'), tr('common.actions')],
    state.endpoints.map((e) => [
      el('span', {}, el('code', {}, e.url), e.description ? el('span', { class: 'muted' }, el('br'), e.description) : null),
      e.eventTypes.length ? codes(e.eventTypes) : tr('webhooks.allEvents'),
      e.active ? badge(tr('webhooks.active'), 'ok') : badge(tr('webhooks.disabled'), 'bad'),
      String(e.pending), e.dead ? badge(String(e.dead), 'bad') : '0',
      el('div', { class: 'actions' },
        el('a', { class: 'button secondary small', href: deliveriesUrl(e.id), 'aria-current': e.id === state.selected ? 'true' : undefined, 'aria-label': tr('webhooks.deliveriesOf', { url: e.url }) }, tr('webhooks.showDeliveries')),
        button(e.active ? tr('webhooks.disable') : tr('webhooks.enable'), (ev) => act(ev.currentTarget, status, async () => {
          await api(path(e), { method: 'PATCH', body: { active: !e.active }, auth: true });
          await loadEndpoints();
          return tr(e.active ? 'webhooks.disabledDone' : 'webhooks.enabledDone', { url: e.url });
        }), 'secondary', { 'aria-label': tr(e.active ? 'webhooks.disableNamed' : 'webhooks.enableNamed', { url: e.url }) }),
        button(tr('webhooks.rotate'), (ev) => {
          if (!confirmAction(tr('webhooks.confirmRotate', { url: e.url }))) return;
          act(ev.currentTarget, status, async () => {
            const r = await api(`${path(e)}/secret`, { method: 'POST', auth: true });
            showSecret(tr('webhooks.newSecretOf', { url: e.url }), secretFacts(r));
            return '';
          });
        }, 'secondary', { 'aria-label': tr('webhooks.rotateNamed', { url: e.url }) }),
        button(tr('webhooks.delete'), (ev) => {
          if (!confirmAction(tr('webhooks.confirmDelete', { url: e.url }))) return;
          act(ev.currentTarget, status, async () => {
            await api(path(e), { method: 'DELETE', auth: true });
            if (state.selected === e.id) return go('/admin/ui/webhooks');
            await loadEndpoints();
            return tr('webhooks.deleted', { url: e.url });
          });
        }, 'danger', { 'aria-label': tr('webhooks.deleteNamed', { url: e.url }) })),
    ]), { empty: tr('webhooks.none') }));
}

function lastResult(d) {
  if (d.lastStatusCode !== null) return tr('webhooks.httpStatus', { code: d.lastStatusCode });
  return d.lastError || '—';
}

function deliveryRows(deliveries) {
  const status = $('#deliveries-status');
  return deliveries.map((d) => [
    el('code', {}, d.eventType),
    badge(label('delivery', d.status), d.status === 'succeeded' ? 'ok' : d.status === 'dead' ? 'bad' : 'warn'),
    String(d.attempts), lastResult(d), when(d.createdAt),
    d.replayOf ? tr('webhooks.replayYes') : '—',
    d.status === 'pending' ? el('span', { class: 'muted' }, tr('webhooks.inProgress')) : button(tr('webhooks.replay'), (e) => act(e.currentTarget, status, async () => {
      await api(`/admin/webhooks/${encodeURIComponent(state.selected)}/deliveries/${encodeURIComponent(d.id)}/replay`, { method: 'POST', auth: true });
      await loadDeliveries();
      return tr('webhooks.replayed', { type: d.eventType });
    }), 'secondary', { 'aria-label': tr('webhooks.replayNamed', { type: d.eventType, when: when(d.createdAt) }) }),
  ]);
}

async function loadDeliveries(more = false) {
  const endpoint = state.endpoints.find((e) => e.id === state.selected);
  const sectionEl = $('#deliveries-section');
  if (!endpoint) {
    sectionEl.hidden = true;
    return;
  }
  sectionEl.hidden = false;
  $('#deliveries-endpoint').textContent = tr('webhooks.deliveriesTo', { url: endpoint.url });
  const q = new URLSearchParams({ limit: '25' });
  if (more && state.cursor) q.set('cursor', state.cursor);
  const { deliveries, nextCursor } = await api(`/admin/webhooks/${encodeURIComponent(endpoint.id)}/deliveries?${q}`, { auth: true });
  state.cursor = nextCursor;
  const columns = [tr('webhooks.eventType'), tr('webhooks.deliveryState'), tr('webhooks.attempts'), tr('webhooks.lastResult'), tr('webhooks.created'), tr('webhooks.isReplay'), tr('common.actions')];
  const body = $('#deliveries tbody');
  if (more && body) {
    for (const r of deliveryRows(deliveries)) body.append(el('tr', {}, r.map((c, i) => (i === 0 ? el('th', { scope: 'row' }, c) : el('td', {}, c)))));
  } else {
    $('#deliveries').replaceChildren(table(tr('webhooks.deliveries'), columns, deliveryRows(deliveries), { empty: tr('webhooks.noDeliveries') }));
  }
  $('#deliveries-more').hidden = !nextCursor;
}

$('#deliveries-refresh').addEventListener('click', (e) => act(e.currentTarget, $('#deliveries-status'), async () => {
  await loadEndpoints();
  await loadDeliveries();
  return tr('webhooks.refreshed');
}));
$('#deliveries-more').addEventListener('click', (e) => act(e.currentTarget, $('#deliveries-status'), async () => {
  await loadDeliveries(true);
  return '';
}));

bindForm($('#create-endpoint'), async (v, form) => {
  const eventTypes = $$('input[data-event]', form).filter((i) => i.checked).map((i) => i.value);
  const body = { url: v.url, eventTypes, active: v.active };
  if (v.description) body.description = v.description;
  const r = await api('/admin/webhooks', { method: 'POST', body, auth: true });
  form.reset();
  await loadEndpoints();
  showSecret(tr('webhooks.secretOf', { url: r.endpoint.url }), secretFacts(r));
});

start(async () => {
  await loadEndpoints();
  await loadDeliveries();
  if (state.selected && !$('#deliveries-section').hidden) requestAnimationFrame(() => $('#deliveries-title').focus());
});
