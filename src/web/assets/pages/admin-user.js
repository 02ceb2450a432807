// /admin/ui/users/:id: one user (GET /admin/users/:id) with sessions, roles, factors,
// passkeys, linked identities and audit trail; the actions (disable or enable, end
// sessions, reset MFA, unlock, force a password reset, roles, delete) each report their
// outcome and reload what they changed.
import { $, api, ApiError, bindForm, confirmAction, el, errorMessage, go, pageData, say, when } from '../ui.js';
import { act, badge, button, codes, label, plural, section, start, table, tr } from '../admin.js';

const id = pageData.userId;
const base = `/admin/users/${encodeURIComponent(id)}`;
const params = new URLSearchParams(location.search);
const state = { detail: null, roles: null, auditCursor: null };

const device = (s) => [s.browser, s.os].filter(Boolean).join(' · ') || s.userAgent || tr('user.unknownDevice');
const place = (l) => (l ? [l.city, l.country].filter(Boolean).join(', ') : '');

function renderProfile() {
  const { user, mfa, passkeys } = state.detail;
  document.title = document.title.replace(/^[^·]*·/, `${user.username} ·`);
  $('main h1').textContent = tr('user.heading', { name: user.username });
  const hasMfa = (mfa?.factors?.length ?? 0) > 0 || passkeys.length > 0;
  $('#badges').replaceChildren(...[
    user.active ? badge(tr('users.active'), 'ok') : badge(tr('users.disabled'), 'bad'),
    // An account without an address has nothing to verify: no badge about it.
    user.email === null ? null : user.emailVerified ? badge(tr('users.emailVerified'), 'ok') : badge(tr('users.emailUnverified'), 'warn'),
    hasMfa ? badge(tr('users.mfaOn'), 'ok') : badge(tr('user.noMfa')),
    user.passwordResetRequired ? badge(tr('user.resetRequired'), 'warn') : null,
  ].filter(Boolean));
  const facts = [
    [tr('users.username'), user.username],
    [tr('users.email'), user.email ?? '—'],
    [tr('user.id'), el('code', {}, user.id)],
    [tr('user.defaultRole'), el('code', {}, user.role)],
    [tr('users.created'), when(user.createdAt)],
    [tr('users.lastLogin'), user.lastLogin ? when(user.lastLogin) : tr('common.never')],
    [tr('user.language'), user.locale || '—'],
    [tr('user.password'), user.hasPassword ? tr('user.passwordSet') : tr('user.passwordNotSet')],
  ];
  $('#profile').replaceChildren(...facts.map(([k, v]) => el('div', {}, el('dt', {}, k), el('dd', {}, v))));
  $('#toggle-active').textContent = user.active ? tr('user.disable') : tr('user.enable');
  $('#toggle-active').className = user.active ? 'danger' : 'secondary';
  $('#delete-label').textContent = tr('user.delete.confirmLabel', { name: user.username });
}

function renderSessions() {
  const { sessions } = state.detail;
  const status = $('#sessions-status');
  $('#sessions').replaceChildren(table(tr('user.sessions'), [tr('user.device'), tr('user.client'), tr('user.address'), tr('users.created'), tr('user.lastUsed'), tr('common.actions')],
    sessions.map((s) => [
      device(s), label('client', s.client), [s.ip || '—', place(s.location)].filter(Boolean).join(' · '), when(s.createdAt), when(s.lastUsedAt),
      button(tr('user.endSession'), (e) => act(e.currentTarget, status, async () => {
        await api(`${base}/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE', auth: true });
        await reload();
        return tr('user.sessionEnded');
      }), 'secondary', { 'aria-label': tr('user.endSessionOf', { device: device(s) }) }),
    ]), { empty: tr('user.noSessions') }));
}

function renderRoles() {
  const { user, permissions } = state.detail;
  const status = $('#roles-status');
  $('#roles').replaceChildren(el('ul', { class: 'tags' }, user.roles.map((r) => el('li', {},
    el('code', {}, r),
    r === user.role ? badge(tr('user.default')) : el('button', {
      type: 'button', class: 'link', 'aria-label': tr('user.removeRole', { role: r }),
      onclick: (e) => act(e.currentTarget, status, async () => {
        await api(`${base}/roles/${encodeURIComponent(r)}`, { method: 'DELETE', auth: true });
        await reload();
        return tr('user.roleRemoved', { role: r });
      }),
    }, tr('common.remove'))))));
  $('#permissions').replaceChildren(codes(permissions));
  const choice = $('#role-to-add');
  const available = (state.roles ?? []).filter((r) => !user.roles.includes(r.name));
  choice.replaceChildren(...available.map((r) => el('option', { value: r.name }, r.name)));
  $('#add-role').hidden = !state.roles || !available.length;
}

function renderFactors() {
  const { mfa, passkeys } = state.detail;
  const factors = mfa?.factors ?? [];
  $('#factors').replaceChildren(...[
    table(tr('user.factors'), [tr('user.method'), tr('user.detail'), tr('user.added'), tr('user.lastUsed')],
      factors.map((f) => [label('method', f.type), f.phone || '—', when(f.createdAt), f.lastUsedAt ? when(f.lastUsedAt) : tr('common.never')]), { empty: tr('user.noFactors') }),
    factors.length ? el('p', { class: 'muted' }, plural('user.recoveryLeft', mfa.recoveryCodesRemaining ?? 0)) : null,
    el('h3', {}, tr('user.passkeys')),
    table(tr('user.passkeys'), [tr('user.name'), tr('user.added'), tr('user.lastUsed')],
      passkeys.map((p) => [p.name || '—', when(p.createdAt), p.lastUsedAt ? when(p.lastUsedAt) : tr('common.never')]), { empty: tr('user.noPasskeys') }),
  ].filter(Boolean));
}

async function loadIdentities() {
  const { identities } = await api(`${base}/identities`, { auth: true });
  $('#identities').replaceChildren(table(tr('user.identities'), [tr('user.provider'), tr('users.email'), tr('user.name'), tr('user.linked'), tr('user.lastSignIn')],
    identities.map((i) => [i.provider, i.email || '—', i.name || '—', when(i.createdAt), i.lastSignInAt ? when(i.lastSignInAt) : tr('common.never')]),
    { empty: tr('user.noIdentities') }));
}

/** Who acted: this user, another user (linked), a service account, the system or nobody known. */
function actor(a) {
  if (a.type === 'user' && a.id === id) return tr('user.actorSelf');
  if (a.type === 'user' && a.id) return el('a', { href: `/admin/ui/users/${encodeURIComponent(a.id)}` }, label('actor', 'user'));
  return label('actor', a.type);
}

function auditRows(entries) {
  return entries.map((e) => [
    when(e.occurredAt), el('code', {}, e.type),
    e.success ? badge(tr('user.succeeded'), 'ok') : el('span', {}, badge(tr('user.failed'), 'bad'), ' ', e.reason ? label('reason', e.reason) : ''),
    actor(e.actor),
    e.ip || '—',
  ]);
}

async function loadAudit(more = false) {
  const q = new URLSearchParams({ userId: id, limit: '20' });
  if (more && state.auditCursor) q.set('cursor', state.auditCursor);
  const { entries, nextCursor } = await api(`/admin/audit?${q}`, { auth: true });
  state.auditCursor = nextCursor;
  const columns = [tr('user.when'), tr('user.event'), tr('user.outcome'), tr('user.actor'), tr('user.address')];
  if (more) {
    const body = $('#audit tbody');
    if (body) for (const r of auditRows(entries)) body.append(el('tr', {}, r.map((c, i) => (i === 0 ? el('th', { scope: 'row' }, c) : el('td', {}, c)))));
  } else {
    $('#audit').replaceChildren(table(tr('user.audit'), columns, auditRows(entries), { empty: tr('user.noAudit') }));
  }
  $('#audit-more').hidden = !nextCursor;
}

async function loadRoles() {
  state.roles = (await api('/admin/roles', { auth: true })).roles;
}

async function reload() {
  state.detail = await api(base, { auth: true });
  renderProfile();
  renderSessions();
  renderRoles();
  renderFactors();
  await section($('#audit'), () => loadAudit());
}

/** An action of the actions bar: confirmed first when `question()` names a message, then reloaded. */
function action(selector, question, run) {
  $(selector).addEventListener('click', (e) => {
    const name = state.detail?.user.username ?? '';
    const q = question();
    if (q && !confirmAction(tr(q, { name }))) return;
    act(e.currentTarget, $('#actions-status'), async () => {
      const message = await run(name);
      await reload();
      return message;
    });
  });
}

action('#toggle-active', () => (state.detail.user.active ? 'user.confirmDisable' : null), async (name) => {
  const active = state.detail.user.active;
  await api(`${base}/${active ? 'disable' : 'enable'}`, { method: 'POST', auth: true });
  return tr(active ? 'user.disabledDone' : 'user.enabledDone', { name });
});
action('#revoke-all', () => 'user.confirmRevokeAll', async () => {
  const { revoked } = await api(`${base}/sessions`, { method: 'DELETE', auth: true });
  return plural('user.sessionsEnded', revoked);
});
action('#reset-mfa', () => 'user.confirmResetMfa', async () => {
  const r = await api(`${base}/mfa/reset`, { method: 'POST', auth: true });
  return tr('user.mfaResetDone', { factors: r.factors, passkeys: r.passkeys });
});
action('#unlock', () => null, async (name) => {
  await api(`${base}/unlock`, { method: 'POST', auth: true });
  return tr('user.unlocked', { name });
});
action('#force-reset', () => 'user.confirmForceReset', async (name) => {
  await api(`${base}/password-reset`, { method: 'POST', auth: true });
  return tr('user.forceResetDone', { name });
});

bindForm($('#add-role'), async ({ role }) => {
  await api(`${base}/roles/${encodeURIComponent(role)}`, { method: 'PUT', auth: true });
  await reload();
  say($('#roles-status'), tr('user.roleAdded', { role }), 'success');
});

bindForm($('#delete-form'), async ({ confirm }) => {
  const { user } = state.detail;
  const status = $('#delete-form .status');
  if (confirm !== user.username && confirm.toLowerCase() !== (user.email ?? '').toLowerCase()) {
    say(status, tr('user.delete.mismatch', { name: user.username }), 'error');
    return;
  }
  if (!confirmAction(tr('user.delete.confirm', { name: user.username }))) return;
  await api(base, { method: 'DELETE', auth: true });
  go(`/admin/ui/users?notice=deleted&name=${encodeURIComponent(user.username)}`);
});

$('#audit-more').addEventListener('click', (e) => act(e.currentTarget, $('#audit-status'), async () => {
  await loadAudit(true);
  return '';
}));

start(async () => {
  try {
    await section(null, loadRoles);
    await reload();
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found') {
      $('#content').replaceChildren(el('p', { class: 'status error', role: 'alert' }, errorMessage('not_found')), el('p', {}, el('a', { href: '/admin/ui/users' }, tr('user.back'))));
      return;
    }
    throw err;
  }
  await section($('#identities'), loadIdentities);
  if (params.get('notice') === 'created') say($('#actions-status'), tr('user.created', { name: state.detail.user.username }), 'success');
});
