// /admin/ui/users: the list from GET /admin/users with the filters of the query string.
// Pages go forward with the API's nextCursor; the cursors of the pages before are kept in
// `back` (comma separated, `~` for the first page), so that "Previous" and reloads work.
import { $, api, bindForm, el, go, say, when } from '../ui.js';
import { badge, codes, plural, section, start, table, tr } from '../admin.js';

const params = new URLSearchParams(location.search);
const FILTERS = ['q', 'role', 'active', 'verified', 'mfa', 'sort', 'limit'];
const DEFAULTS = { sort: '-created_at', limit: '20' };
const cursor = params.get('cursor') || '';
const back = (params.get('back') || '').split(',').filter(Boolean);

/** This page's URL with other values (empty and default values left out). */
function pageUrl(values) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v && DEFAULTS[k] !== v) u.set(k, v);
  const s = u.toString();
  return `/admin/ui/users${s ? `?${s}` : ''}`;
}

const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || '']));

// Applying filters starts again at the first page, with a clean query string.
$('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  const values = Object.fromEntries(FILTERS.map((k) => [k, String(new FormData(event.currentTarget).get(k) ?? '').trim()]));
  go(pageUrl(values));
});

/** A pager link, or the same link marked disabled (role="link" keeps it one without its href). */
function setLink(a, href) {
  if (href) {
    a.href = href;
    a.removeAttribute('aria-disabled');
  } else {
    a.removeAttribute('href');
    a.setAttribute('aria-disabled', 'true');
  }
}

function statusBadges(u) {
  return el('span', { class: 'badges' },
    u.active ? badge(tr('users.active'), 'ok') : badge(tr('users.disabled'), 'bad'),
    u.emailVerified ? badge(tr('users.emailVerified'), 'ok') : badge(tr('users.emailUnverified'), 'warn'),
    u.hasMfa ? badge(tr('users.mfaOn'), 'ok') : null);
}

async function loadRoles() {
  const { roles } = await api('/admin/roles', { auth: true });
  const selectEl = $('#role');
  const current = filters.role;
  selectEl.replaceChildren(
    el('option', { value: '' }, tr('users.anyRole')),
    ...roles.map((r) => el('option', { value: r.name, selected: r.name === current }, r.name)),
    ...(current && !roles.some((r) => r.name === current) ? [el('option', { value: current, selected: true }, current)] : []),
  );
}

async function loadUsers() {
  const q = new URLSearchParams();
  for (const k of FILTERS) if (filters[k]) q.set(k, filters[k]);
  if (cursor) q.set('cursor', cursor);
  const { users, nextCursor } = await api(`/admin/users?${q}`, { auth: true });
  $('#users').replaceChildren(table(tr('users.results'), [tr('users.username'), tr('users.email'), tr('users.roles'), tr('users.state'), tr('users.created'), tr('users.lastLogin')],
    users.map((u) => [
      el('a', { href: `/admin/ui/users/${encodeURIComponent(u.id)}` }, u.username),
      u.email ?? '—', codes(u.roles), statusBadges(u), when(u.createdAt), u.lastLogin ? when(u.lastLogin) : tr('common.never'),
    ]), { empty: tr('users.noMatch') }));
  const page = back.length + 1;
  $('#result-count').textContent = users.length ? `${plural('users.shown', users.length)} · ${tr('users.page', { page })}` : '';
  $('#page-number').textContent = tr('users.page', { page });
  const prevCursor = back.length ? back[back.length - 1] : null;
  setLink($('#prev'), prevCursor === null ? null : pageUrl({ ...filters, cursor: prevCursor === '~' ? '' : prevCursor, back: back.slice(0, -1).join(',') }));
  setLink($('#next'), nextCursor ? pageUrl({ ...filters, cursor: nextCursor, back: [...back, cursor || '~'].join(',') }) : null);
}

bindForm($('#create-user'), async (v) => {
  const body = { username: v.username, emailVerified: v.emailVerified, sendPasswordSetup: v.sendPasswordSetup };
  // An empty address is no address (accepted with AUTH_EMAIL_REQUIRED=false).
  if (v.email) body.email = v.email;
  if (v.password) body.password = v.password;
  const { user } = await api('/admin/users', { method: 'POST', body, auth: true });
  go(`/admin/ui/users/${encodeURIComponent(user.id)}?notice=created`);
});

start(async () => {
  if (params.get('notice') === 'deleted') say($('#notice'), tr('users.deletedNotice', { name: params.get('name') || '' }), 'success');
  await loadUsers();
  await section(null, loadRoles);
});
