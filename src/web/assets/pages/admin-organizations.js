// /admin/ui/organizations: GET /admin/organizations in a table (search, members, delete),
// the members of the one chosen (remove), and POST /admin/organizations.
import { $, api, bindForm, confirmAction, el, say, when } from '../ui.js';
import { act, button, start, table, tr } from '../admin.js';

const state = { search: '', shown: null };

async function load() {
  const q = state.search ? `?search=${encodeURIComponent(state.search)}` : '';
  const { organizations } = await api(`/admin/organizations${q}`, { auth: true });
  $('#organizations').replaceChildren(table(tr('organizations.list'),
    [tr('organizations.name'), tr('organizations.slug'), tr('organizations.members'), tr('organizations.created'), tr('organizations.actions')],
    organizations.map((o) => [
      el('strong', {}, o.name), el('code', {}, o.slug), String(o.memberCount), when(o.createdAt),
      el('div', { class: 'actions' },
        button(tr('organizations.show'), () => showMembers(o), 'secondary', { 'aria-label': tr('organizations.showOne', { name: o.name }) }),
        button(tr('organizations.delete'), (e) => remove(e.currentTarget, o), 'danger', { 'aria-label': tr('organizations.deleteOne', { name: o.name }) })),
    ]), { empty: tr('organizations.none') }));
}

function remove(target, o) {
  if (!confirmAction(tr('organizations.confirmDelete', { name: o.name }))) return;
  act(target, $('#orgs-status'), async () => {
    await api(`/admin/organizations/${encodeURIComponent(o.id)}`, { method: 'DELETE', auth: true });
    if (state.shown?.id === o.id) { state.shown = null; $('#members-card').hidden = true; }
    await load();
    return tr('organizations.deleted', { name: o.name });
  });
}

async function showMembers(o) {
  state.shown = o;
  const { members } = await api(`/admin/organizations/${encodeURIComponent(o.id)}/members`, { auth: true });
  $('#members-title').textContent = tr('organizations.membersOf', { name: o.name });
  $('#members').replaceChildren(table(tr('organizations.membersOf', { name: o.name }),
    [tr('organizations.username'), tr('organizations.email'), tr('organizations.role'), tr('organizations.joined'), tr('organizations.actions')],
    members.map((m) => [
      m.username, m.email ?? '—', el('code', {}, m.role), when(m.joinedAt),
      button(tr('organizations.remove'), (e) => act(e.currentTarget, $('#members-status'), async () => {
        await api(`/admin/organizations/${encodeURIComponent(o.id)}/members/${encodeURIComponent(m.userId)}`, { method: 'DELETE', auth: true });
        await showMembers(o);
        await load();
        return tr('organizations.removed', { username: m.username });
      }), 'secondary', { 'aria-label': tr('organizations.removeOne', { username: m.username }) }),
    ]), { empty: tr('organizations.noMembers') }));
  $('#members-card').hidden = false;
  $('#members-title').focus();
}

bindForm($('#org-search'), async ({ search }) => {
  state.search = search.trim();
  await load();
});

bindForm($('#create-org'), async ({ name, ownerId }, form) => {
  const o = await api('/admin/organizations', { method: 'POST', auth: true, body: { name, ...(ownerId ? { ownerId } : {}) } });
  form.reset();
  await load();
  say($('#orgs-status'), tr('organizations.created', { name: o.name }), 'success');
});

start(load);
