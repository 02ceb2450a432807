// Shared by every hosted page and dashboard page: messages, calls to the JSON API,
// the access token, forms and DOM building. Plain ES modules, no build step, no
// dependency. Text from the server is always set with textContent, never as markup.

const body = document.body;
/** The page's settings from <body data-*> (redirectTo, locale, ...). */
export const pageData = body.dataset;
export const locale = pageData.locale || 'en';

const messages = JSON.parse(document.getElementById('tessera-messages')?.textContent || '{}');

/** A message in the page's language, `{name}` filled from `values`. */
export function t(key, values) {
  const text = messages[key] ?? key;
  return values ? text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m)) : text;
}

/** The message for an API error code, or the generic one with the code. */
export function errorMessage(code) {
  if (code && code !== 'generic' && messages[`errors.${code}`]) return messages[`errors.${code}`];
  return t('errors.generic', { code: code && code !== 'generic' ? code : 'client_error' });
}

export class ApiError extends Error {
  constructor(status, data) {
    super(data?.code || `http_${status}`);
    this.status = status;
    this.code = data?.code || (status === 0 ? 'network' : `http_${status}`);
    this.data = data || {};
  }
}

// ---- access token --------------------------------------------------------------------
// Kept in sessionStorage (this tab only, gone with it) so that moving between pages does
// not rotate the refresh token each time; the refresh token itself is an httpOnly cookie.
const TOKEN_KEY = 'tessera.access';

function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return (payload.exp || 0) * 1000;
  } catch { return 0; }
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let refreshing = null;
/** A fresh access token from the refresh cookie, or null when there is no session. */
export function refreshToken() {
  refreshing ??= fetch('/auth/refresh', { method: 'POST', credentials: 'same-origin', headers: { accept: 'application/json' } })
    .then(async (res) => {
      if (!res.ok) { clearToken(); return null; }
      const data = await res.json();
      storeToken(data.accessToken);
      return data.accessToken;
    })
    .catch(() => null)
    .finally(() => { refreshing = null; });
  return refreshing;
}

/** The current access token (refreshed when it expires within 15 s), or null. */
export async function accessToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && tokenExpiry(token) > Date.now() + 15_000) return token;
  return refreshToken();
}

/** The token, or a trip to the sign-in page that comes back here. */
export async function requireSession() {
  const token = await accessToken();
  if (token) return token;
  location.assign(`/ui/sign-in?redirectTo=${encodeURIComponent(location.pathname + location.search)}`);
  return new Promise(() => {});
}

// ---- API -------------------------------------------------------------------------------

/**
 * Calls the JSON API. `auth: true` sends the access token (refreshed first when needed,
 * once more after a 401). Resolves with the parsed body; throws ApiError otherwise.
 */
export async function api(path, { method = 'GET', body: payload, auth = false, headers = {} } = {}) {
  const send = async (token) => {
    const h = { accept: 'application/json', ...headers };
    if (payload !== undefined) h['content-type'] = 'application/json';
    if (token) h.authorization = `Bearer ${token}`;
    try {
      return await fetch(path, { method, headers: h, credentials: 'same-origin', body: payload === undefined ? undefined : JSON.stringify(payload) });
    } catch {
      throw new ApiError(0, { code: 'network' });
    }
  };
  let res = await send(auth ? await accessToken() : undefined);
  if (auth && res.status === 401) {
    const fresh = await refreshToken();
    if (fresh) res = await send(fresh);
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---- navigation --------------------------------------------------------------------------

/**
 * Where to go after signing in: the page's checked redirectTo (`data-next`: the service's
 * own pages as a path, so that the browser stays on this origin). API calls that take a
 * redirectTo send the absolute `pageData.target`.
 */
export function target() {
  return pageData.next || pageData.target || '/ui/account';
}

/** A hosted page's URL keeping redirectTo and lang. */
export function hosted(path, extra = {}) {
  const u = new URL(path, location.origin);
  if (pageData.redirectTo) u.searchParams.set('redirectTo', pageData.redirectTo);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.pathname + u.search;
}

export function go(url) {
  location.assign(url);
}

// ---- DOM ---------------------------------------------------------------------------------

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** el('button', {type: 'button', class: 'link', onclick}, 'text', child...) — text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = v;
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Shows a message in a form's (or section's) status region and moves focus to it. */
export function say(region, text, kind = 'error') {
  if (!region) return;
  region.textContent = text;
  region.className = `status ${kind}`;
  region.hidden = !text;
  if (text && kind === 'error') {
    region.setAttribute('tabindex', '-1');
    region.focus();
  }
}

/** The values of a form's named fields, trimmed except passwords. */
export function values(form) {
  const out = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    if (field.type === 'checkbox') out[field.name] = field.checked;
    else out[field.name] = field.type === 'password' ? field.value : field.value.trim();
  }
  return out;
}

/**
 * Handles a form's submit with `handler(values, form)`: the submit button is disabled while
 * it runs, and an ApiError is shown in the form's `.status` region in the page's language.
 */
export function bindForm(form, handler) {
  if (!form) return;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const status = $('.status', form);
    say(status, '', 'error');
    const buttons = $$('button', form);
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute('aria-busy', 'true');
    try {
      await handler(values(form), form, event.submitter);
    } catch (err) {
      say(status, err instanceof ApiError ? errorMessage(err.code) : errorMessage('generic'));
      if (!(err instanceof ApiError)) console.error(err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute('aria-busy');
    }
  });
}

/** A date in the page's language. */
export function when(iso) {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** Asks for confirmation with the native dialog (keyboard and screen-reader friendly). */
export function confirmAction(text) {
  return window.confirm(text);
}

// ---- after a sign-in step ------------------------------------------------------------------
// Pending second steps live in sessionStorage for the next page of this tab only.
export const PENDING = { mfa: 'tessera.mfa', enroll: 'tessera.enroll', expired: 'tessera.expired' };

export function pending(kind) {
  try { return JSON.parse(sessionStorage.getItem(PENDING[kind]) || 'null'); } catch { return null; }
}

export function setPending(kind, value) {
  if (value === null) sessionStorage.removeItem(PENDING[kind]);
  else sessionStorage.setItem(PENDING[kind], JSON.stringify(value));
}

/**
 * Runs a sign-in call and goes where its answer leads: the target with a session, the MFA
 * challenge, the enrolment a role requires, or the expired-password form. Other errors throw.
 */
export async function signIn(call) {
  try {
    const data = await call();
    storeToken(data.accessToken);
    for (const k of Object.keys(PENDING)) setPending(k, null);
    go(target());
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === 'mfa_required') {
      setPending('mfa', { verificationId: err.data.verification_id, methods: err.data.methods || [], expiresAt: err.data.expires_at });
      return go(hosted('/ui/mfa'));
    }
    if (err.code === 'mfa_enrollment_required') {
      setPending('enroll', { token: err.data.enrollment_token ?? err.data.details?.enrollment_token });
      return go(hosted('/ui/mfa/enroll'));
    }
    if (err.code === 'password_expired') {
      setPending('expired', { token: err.data.details?.passwordChangeToken });
      return go(hosted('/ui/password-expired'));
    }
    throw err;
  }
}
