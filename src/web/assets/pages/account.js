// /ui/account: each section loads itself from the JSON API and reloads after each change.
// Sensitive actions answered with `reauthentication_required` ask the user to confirm who
// they are (reauth.js: password, or a code of one of their factors) in the section they
// started from, then run once more.
import { $, api, ApiError, bindForm, clearToken, confirmAction, el, errorMessage, go, locale, pageData, requireSession, say, t, when } from '../ui.js';
import { withReauth } from '../reauth.js';
import { createCredential, supported } from '../webauthn.js';

const tr = (key, values) => t(`account.${key}`, values);
/** A message chosen by the plural rule of the page's language (`one` or `other`). */
const plural = (key, count) => tr(`${key}.${new Intl.PluralRules(locale).select(count) === 'one' ? 'one' : 'other'}`, { count });
/** The label of a value (`account.<group>.<value>`), or the value itself when none exists. */
const label = (group, value) => {
  const key = `account.${group}.${value}`;
  const text = t(key);
  return text === key ? value : text;
};
const problem = (err) => {
  if (err instanceof ApiError) return errorMessage(err.code);
  console.error(err);
  return t('errors.generic', { code: err?.name || 'client' });
};

const state = { me: null, factors: [], sessions: [] };
const providers = JSON.parse(pageData.providers || '[]');
const providerName = (name) => providers.find((p) => p.name === name)?.displayName ?? name;

/** Runs a button's action with the button disabled; its message or error goes to `status`. */
async function act(button, status, run) {
  say(status, '', 'error');
  button.disabled = true;
  try {
    const message = await run();
    if (message) say(status, message, 'success');
    // The button went with the list it was in: keep the keyboard user's place.
    if (!button.isConnected && message) {
      status.setAttribute('tabindex', '-1');
      status.focus();
    }
  } catch (err) {
    say(status, problem(err), 'error');
  } finally {
    button.disabled = false;
  }
}

/** Runs `load` and shows its failure in `status` instead of leaving the section empty. */
async function loadInto(load, status) {
  try { await load(); } catch (err) { say(status, problem(err), 'error'); }
}

// ---- profile ---------------------------------------------------------------------------------

async function loadProfile() {
  const me = state.me = await api('/auth/me', { auth: true });
  $('#signed-in-as').textContent = tr('signedInAs', { username: me.username });
  $('#profile-username').textContent = me.username;
  // An account without an address (AUTH_EMAIL_REQUIRED=false) shows none, and nothing to verify.
  $('#profile-email').textContent = me.email ?? '—';
  const badge = $('#profile-verified');
  badge.textContent = me.emailVerified ? tr('profile.verified') : tr('profile.unverified');
  badge.className = `badge ${me.emailVerified ? 'ok' : 'warn'}`;
  badge.hidden = me.email === null;
  $('#profile-since').textContent = new Intl.DateTimeFormat(locale, { dateStyle: 'long' }).format(new Date(me.createdAt));
  if (document.activeElement !== $('#username')) $('#username').value = me.username;
  $('#unverified').hidden = me.emailVerified || me.email === null;
  showEmailFactorChoice();
}

bindForm($('#username-form'), async ({ username }, form) => {
  const r = await api('/auth/me', { method: 'PATCH', body: { username }, auth: true });
  await loadProfile();
  say($('.status', form), tr('profile.usernameSaved', { username: r.user.username }), 'success');
});

// ---- password --------------------------------------------------------------------------------

api('/auth/password-policy').then((policy) => {
  const hint = $('#new-password-hint');
  hint.textContent = tr('password.hint', { min: policy.minLength });
  hint.hidden = false;
}).catch(() => {});

bindForm($('#password-form'), async ({ currentPassword, newPassword, confirmPassword }, form) => {
  const status = $('.status', form);
  if (newPassword !== confirmPassword) {
    say(status, tr('password.mismatch'), 'error');
    return;
  }
  await withReauth(() => api('/auth/password/change', { method: 'POST', body: { currentPassword, newPassword }, auth: true }), $('#password-reauth'));
  form.reset();
  say(status, tr('password.changed'), 'success');
  await loadInto(loadSessions, $('#sessions-status'));
});

// ---- email -----------------------------------------------------------------------------------

bindForm($('#email-form'), async ({ newEmail }, form) => {
  await withReauth(() => api('/auth/email/change', { method: 'POST', body: { newEmail }, auth: true }), $('#email-reauth'));
  form.reset();
  say($('.status', form), tr('email.sent', { email: newEmail }), 'success');
});

$('#resend-verification').addEventListener('click', (e) => act(e.currentTarget, $('#email-status'), async () => {
  await api('/auth/verify-email/resend', { method: 'POST', body: { email: state.me.email } });
  return tr('email.resent', { email: state.me.email });
}));

// ---- two-step verification ----------------------------------------------------------------------

function showEmailFactorChoice() {
  const has = state.factors.some((f) => f.type === 'email');
  const verified = !!state.me?.emailVerified;
  $('#add-email-factor').hidden = has || !state.me || !verified;
  $('#email-factor-hint').hidden = has || !state.me || verified || state.me.email === null;
}

function showCodes(codes) {
  $('#codes').replaceChildren(...codes.map((c) => el('li', {}, c)));
  $('#recovery').hidden = false;
  $('#new-codes').hidden = false;
  $('#new-codes-note').focus();
}

function factorItem(f) {
  const name = f.phone ? `${label('mfa.types', f.type)} ${f.phone}` : label('mfa.types', f.type);
  const remove = (e) => act(e.currentTarget, $('#mfa-status'), async () => {
    if (!confirmAction(tr('mfa.removeConfirm', { name }))) return '';
    await withReauth(() => api(`/auth/mfa/${encodeURIComponent(f.id)}`, { method: 'DELETE', auth: true }), $('#mfa-reauth'));
    $('#new-codes').hidden = true;
    await loadFactors();
    return tr('mfa.removed', { name });
  });
  return el('li', {},
    el('div', {}, el('strong', {}, name),
      el('p', { class: 'muted' }, tr('mfa.added', { date: when(f.createdAt) }), el('br'), tr('mfa.lastUsed', { date: f.lastUsedAt ? when(f.lastUsedAt) : t('common.never') }))),
    el('button', { type: 'button', class: 'secondary', 'aria-label': tr('mfa.removeOne', { name }), onclick: remove }, t('common.remove')));
}

async function loadFactors() {
  const r = await api('/auth/mfa', { auth: true });
  state.factors = r.factors;
  $('#factors').replaceChildren(...r.factors.map(factorItem));
  $('#factors').hidden = r.factors.length === 0;
  $('#no-factors').hidden = r.factors.length > 0;
  $('#add-totp').hidden = r.factors.some((f) => f.type === 'totp');
  if ($('#sms-form')) $('#sms-form').hidden = r.factors.some((f) => f.type === 'sms');
  $('#recovery').hidden = r.factors.length === 0;
  $('#recovery-left').textContent = plural('mfa.recoveryLeft', r.recoveryCodesRemaining);
  showEmailFactorChoice();
}

$('#add-email-factor').addEventListener('click', (e) => act(e.currentTarget, $('#mfa-status'), async () => {
  const r = await api('/auth/mfa/email', { method: 'POST', auth: true });
  await loadFactors();
  if (r.recoveryCodes?.length) showCodes(r.recoveryCodes);
  return tr('mfa.emailAdded');
}));

// An SMS factor, when the service sends SMS: the phone is confirmed with the code it receives.
let smsVerification = '';
bindForm($('#sms-form'), async ({ phone }, form) => {
  const r = await api('/auth/mfa/sms/enroll', { method: 'POST', body: { phone }, auth: true });
  smsVerification = r.verification_id;
  say($('.status', form), '', 'error');
  $('#sms-verify-form').hidden = false;
  say($('#mfa-status'), tr('mfa.sms.sent', { phone }), 'info');
  $('#sms-code').focus();
});
bindForm($('#sms-verify-form'), async ({ code }, form) => {
  const r = await api('/auth/mfa/sms/verify', { method: 'POST', body: { verification_id: smsVerification, code }, auth: true });
  form.reset();
  form.hidden = true;
  $('#sms-form').reset();
  await loadFactors();
  if (r.recoveryCodes?.length) showCodes(r.recoveryCodes);
  say($('#mfa-status'), tr('mfa.sms.added'), 'success');
});

$('#regenerate-codes').addEventListener('click', (e) => act(e.currentTarget, $('#mfa-status'), async () => {
  if (!confirmAction(tr('mfa.regenerateConfirm'))) return '';
  const r = await withReauth(() => api('/auth/mfa/recovery-codes', { method: 'POST', auth: true }), $('#mfa-reauth'));
  await loadFactors();
  showCodes(r.recoveryCodes);
  return '';
}));

// ---- passkeys --------------------------------------------------------------------------------

let fieldIds = 0;

function passkeyItem(p) {
  const item = el('li');
  const show = () => {
    item.replaceChildren(
      el('div', {}, el('strong', {}, p.name), p.backedUp ? [' ', el('span', { class: 'badge' }, tr('passkeys.synced'))] : null,
        el('p', { class: 'muted' }, tr('passkeys.added', { date: when(p.createdAt) }), el('br'), tr('passkeys.lastUsed', { date: p.lastUsedAt ? when(p.lastUsedAt) : t('common.never') }))),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'secondary', 'aria-label': tr('passkeys.renameOne', { name: p.name }), onclick: rename }, tr('passkeys.rename')),
        el('button', { type: 'button', class: 'secondary', 'aria-label': tr('passkeys.removeOne', { name: p.name }), onclick: remove }, t('common.remove'))));
  };
  const rename = () => {
    const id = `passkey-rename-${++fieldIds}`;
    const input = el('input', { id, name: 'name', type: 'text', required: true, maxlength: 100, autocomplete: 'off', value: p.name });
    const cancel = () => { show(); $('button', item).focus(); };
    const form = el('form', { class: 'inline-form' },
      el('div', { class: 'field' }, el('label', { for: id }, tr('passkeys.newName', { name: p.name })), input),
      el('p', { class: 'status', role: 'alert', hidden: true }),
      el('div', { class: 'actions' }, el('button', { type: 'submit' }, t('common.save')), el('button', { type: 'button', class: 'secondary', onclick: cancel }, t('common.cancel'))));
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') cancel(); });
    bindForm(form, async ({ name }) => {
      Object.assign(p, await api(`/auth/passkeys/${encodeURIComponent(p.id)}`, { method: 'PATCH', body: { name }, auth: true }));
      show();
      $('button', item).focus();
      say($('#passkeys-status'), tr('passkeys.renamed', { name: p.name }), 'success');
    });
    item.replaceChildren(form);
    input.focus();
    input.select();
  };
  const remove = (e) => act(e.currentTarget, $('#passkeys-status'), async () => {
    if (!confirmAction(tr('passkeys.removeConfirm', { name: p.name }))) return '';
    await withReauth(() => api(`/auth/passkeys/${encodeURIComponent(p.id)}`, { method: 'DELETE', auth: true }), $('#passkeys-reauth'));
    await loadPasskeys();
    return tr('passkeys.removed', { name: p.name });
  });
  show();
  return item;
}

async function loadPasskeys() {
  const { passkeys } = await api('/auth/passkeys', { auth: true });
  $('#passkeys').replaceChildren(...passkeys.map(passkeyItem));
  $('#passkeys').hidden = passkeys.length === 0;
  $('#no-passkeys').hidden = passkeys.length > 0;
}

if (!supported()) {
  $('#passkey-form').hidden = true;
  $('#passkeys-unsupported').hidden = false;
}

bindForm($('#passkey-form'), async ({ name }, form) => {
  const options = await api('/auth/passkeys/register/options', { method: 'POST', auth: true });
  let response;
  try {
    response = await createCredential(options);
  } catch (err) {
    // Cancelled, timed out, or no authenticator: the browser says no more than that.
    console.warn(err);
    say($('.status', form), tr('passkeys.failed'), 'error');
    return;
  }
  const created = await api('/auth/passkeys/register/verify', { method: 'POST', body: { response, ...(name ? { name } : {}) }, auth: true });
  form.reset();
  await loadPasskeys();
  say($('#passkeys-status'), tr('passkeys.addedOne', { name: created.name }), 'success');
});

// ---- linked accounts -------------------------------------------------------------------------

function identityItem(i) {
  const name = providerName(i.provider);
  const who = [i.name, i.email].filter(Boolean).join(' · ');
  const unlink = (e) => act(e.currentTarget, $('#identities-status'), async () => {
    if (!confirmAction(tr('identities.unlinkConfirm', { provider: name }))) return '';
    await api(`/auth/identities/${encodeURIComponent(i.provider)}`, { method: 'DELETE', auth: true });
    await loadIdentities();
    return tr('identities.unlinked', { provider: name });
  });
  return el('li', {},
    el('div', {}, el('strong', {}, name), i.needsReconsent ? [' ', el('span', { class: 'badge warn' }, tr('identities.reconsent'))] : null,
      el('p', { class: 'muted' }, who || null, who ? el('br') : null, tr('identities.linkedOn', { date: when(i.createdAt) }))),
    el('button', { type: 'button', class: 'secondary', 'aria-label': tr('identities.unlinkOne', { provider: name }), onclick: unlink }, tr('identities.unlink')));
}

/** Linking starts with the bearer token: the API answers the provider's URL, where the browser goes. */
const link = (button, p) => act(button, $('#identities-status'), async () => {
  const { url } = await api(`/auth/oauth/${encodeURIComponent(p.name)}?link=true&redirectTo=${encodeURIComponent(pageData.accountUrl)}`, { auth: true });
  go(url);
  return '';
});

async function loadIdentities() {
  const { identities } = await api('/auth/identities', { auth: true });
  // Without any provider in service and nothing linked, the section has nothing to offer.
  const empty = identities.length === 0 && providers.length === 0;
  $('#identities-section').hidden = empty;
  $('#toc-identities').hidden = empty;
  $('#identities').replaceChildren(...identities.map(identityItem));
  $('#identities').hidden = identities.length === 0;
  $('#no-identities').hidden = identities.length > 0;
  const linked = new Set(identities.map((i) => i.provider));
  $('#link-providers').replaceChildren(...providers.filter((p) => !linked.has(p.name)).map((p) =>
    el('button', { type: 'button', class: 'secondary', onclick: (e) => link(e.currentTarget, p) }, tr('identities.link', { provider: p.displayName }))));
}

// ---- sessions --------------------------------------------------------------------------------

function deviceName(s) {
  if (s.browser && s.os) return tr('sessions.browserOn', { browser: s.browser, os: s.os });
  return s.browser || s.os || (s.client === 'native' ? tr('sessions.app') : tr('sessions.unknown'));
}

function place(l) {
  if (!l) return '';
  return [...new Set([l.city, l.region, l.countryName || l.country].filter(Boolean))].join(', ');
}

function sessionItem(s) {
  const name = deviceName(s);
  const where = [s.deviceType ? label('sessions.deviceTypes', s.deviceType) : null, s.ip, place(s.location) || null].filter(Boolean).join(' · ');
  const signOut = (e) => act(e.currentTarget, $('#sessions-status'), async () => {
    await api(`/auth/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE', auth: true });
    await loadSessions();
    return tr('sessions.revoked', { device: name });
  });
  return el('li', s.current ? { 'data-current': 'true' } : {},
    el('div', {}, el('strong', {}, name), s.current ? [' ', el('span', { class: 'badge ok' }, tr('sessions.thisDevice'))] : null,
      el('p', { class: 'muted' }, where || null, where ? el('br') : null,
        tr('sessions.created', { date: when(s.createdAt) }), el('br'), tr('sessions.lastActive', { date: when(s.lastUsedAt) }))),
    s.current ? null : el('button', { type: 'button', class: 'secondary', 'aria-label': tr('sessions.signOutOne', { device: name }), onclick: signOut }, tr('sessions.signOut')));
}

// ---- organizations -----------------------------------------------------------------------------

async function loadOrganizations() {
  const [{ organizations }, { invitations }] = await Promise.all([
    api('/auth/organizations', { auth: true }), api('/auth/organizations/invitations', { auth: true }),
  ]);
  const list = $('#organizations');
  list.replaceChildren(...organizations.map((o) => {
    const leave = (e) => act(e.currentTarget, $('#organizations-status'), async () => {
      if (!confirmAction(tr('organizations.leaveConfirm', { name: o.name }))) return '';
      await api(`/auth/organizations/${encodeURIComponent(o.id)}/leave`, { method: 'POST', auth: true });
      await loadOrganizations();
      return tr('organizations.left', { name: o.name });
    });
    return el('li', { 'data-organization': o.slug },
      el('div', {}, el('strong', {}, o.name), ' ', el('span', { class: 'muted' }, o.slug), el('p', { class: 'muted' }, tr('organizations.role', { role: o.role }))),
      el('button', { type: 'button', class: 'secondary', 'aria-label': tr('organizations.leaveOne', { name: o.name }), onclick: leave }, tr('organizations.leave')));
  }));
  list.hidden = organizations.length === 0;
  $('#no-organizations').hidden = organizations.length > 0;
  const invites = $('#org-invitations');
  invites.replaceChildren(...invitations.map((i) => el('li', { 'data-invitation': i.id },
    el('div', {}, el('strong', {}, i.organization.name), el('p', { class: 'muted' }, tr('organizations.invitedAs', { role: i.role, date: when(i.expiresAt) }))))));
  invites.hidden = invitations.length === 0;
  $('#no-org-invitations').hidden = invitations.length > 0;
  $('#org-invitations-hint').hidden = invitations.length === 0;
}

// ---- connected applications (OpenID Connect consents) ------------------------------------------

function appItem(c) {
  const remove = (e) => act(e.currentTarget, $('#apps-status'), async () => {
    await api(`/auth/oauth2/consents/${encodeURIComponent(c.clientId)}`, { method: 'DELETE', auth: true });
    await loadApps();
    return t('oauth2.appsRevoked');
  });
  return el('li', {},
    el('div', {}, el('strong', {}, c.name), el('p', { class: 'muted' }, t('oauth2.appsScopes', { scopes: c.scopes.map((s) => t(`oauth2.scope.${s}`)).join(', ') }))),
    el('button', { type: 'button', class: 'secondary', 'aria-label': `${t('oauth2.appsRevoke')}: ${c.name}`, onclick: remove }, t('oauth2.appsRevoke')));
}

async function loadApps() {
  const { consents } = await api('/auth/oauth2/consents', { auth: true });
  $('#apps').replaceChildren(...consents.map(appItem));
  $('#apps').hidden = consents.length === 0;
  $('#no-apps').hidden = consents.length > 0;
}

async function loadSessions() {
  const { sessions } = await api('/auth/sessions', { auth: true });
  // This device first, then the others newest first (the API's order).
  state.sessions = [...sessions.filter((s) => s.current), ...sessions.filter((s) => !s.current)];
  $('#sessions').replaceChildren(...state.sessions.map(sessionItem));
  $('#sign-out-others').hidden = !sessions.some((s) => !s.current);
}

$('#sign-out-others').addEventListener('click', (e) => act(e.currentTarget, $('#sessions-status'), async () => {
  const r = await api('/auth/sessions', { method: 'DELETE', auth: true });
  await loadSessions();
  $('#sessions-title').focus();
  return plural('sessions.othersRevoked', r.revoked);
}));

// ---- signing out, deleting the account ----------------------------------------------------------

/** Signs this browser out (its session only; the sessions list signs out the others). */
$('#sign-out').addEventListener('click', (e) => act(e.currentTarget, $('#sign-out-status'), async () => {
  try {
    const current = state.sessions.find((s) => s.current) ?? await api('/auth/sessions/current', { auth: true });
    await api(`/auth/sessions/${encodeURIComponent(current.id)}`, { method: 'DELETE', auth: true });
  } catch (err) {
    // Already signed out (revoked elsewhere, expired): nothing left to end here.
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
  }
  clearToken();
  go('/ui/sign-in');
  return '';
}));

$('#delete-account').addEventListener('click', (e) => act(e.currentTarget, $('#danger-status'), async () => {
  if (!confirmAction(tr('danger.confirm'))) return '';
  await withReauth(() => api('/auth/me', { method: 'DELETE', auth: true }), $('#danger-reauth'));
  clearToken();
  for (const part of [$('#account'), $('.toc'), $('.account-head')]) part.hidden = true;
  say($('#notice'), tr('danger.deleted'), 'success');
  $('#notice').setAttribute('tabindex', '-1');
  $('#notice').focus();
  return '';
}));

// ---- start -----------------------------------------------------------------------------------

await requireSession();

// Back from a provider after linking (`?linked=`) or with its error (`?error=`).
const params = new URLSearchParams(location.search);
if (params.has('linked')) say($('#notice'), tr('identities.linked', { provider: providerName(params.get('linked')) }), 'success');
else if (params.has('error')) say($('#notice'), errorMessage(params.get('error')), 'error');
if (params.has('linked') || params.has('error')) {
  for (const k of ['linked', 'error', 'error_description']) params.delete(k);
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
}

await Promise.all([
  loadInto(loadProfile, $('#notice')),
  loadInto(loadFactors, $('#mfa-status')),
  loadInto(loadPasskeys, $('#passkeys-status')),
  loadInto(loadIdentities, $('#identities-status')),
  loadInto(loadOrganizations, $('#organizations-status')),
  loadInto(loadSessions, $('#sessions-status')),
  loadInto(loadApps, $('#apps-status')),
]);
document.body.dataset.loaded = 'true';
