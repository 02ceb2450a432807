// What every dashboard page script (pages/admin-*.js) shares: the start (a session or
// the sign-in page, then the page's data; a 403 from the admin API shows the "not
// allowed" message instead of the content), actions on buttons with their outcome in a
// status region, tables, badges, the secret shown once, and the navigation's sign-out.
import { $, api, ApiError, clearToken, el, errorMessage, locale, requireSession, say, t } from './ui.js';

/** A dashboard message (`admin.<key>`). */
export const tr = (key, values) => t(`admin.${key}`, values);

/** A message chosen by the plural rule of the page's language: `<key>.one` or `<key>.other`. */
export const plural = (key, count) => tr(`${key}.${new Intl.PluralRules(locale).select(count) === 'one' ? 'one' : 'other'}`, { count: fmt(count) });

/** The label of a code (`admin.labels.<group>.<value>`), or the code itself when there is none. */
export function label(group, value) {
  const key = `admin.labels.${group}.${value}`;
  const text = t(key);
  return text === key ? String(value) : text;
}

/** A number in the page's language. */
export const fmt = (n, options) => new Intl.NumberFormat(locale, options).format(n);

/** An error as a sentence in the page's language. */
export function problem(err) {
  if (err instanceof ApiError) return errorMessage(err.code);
  console.error(err);
  return t('errors.generic', { code: err?.name || 'client' });
}

export const isForbidden = (err) => err instanceof ApiError && err.status === 403 && err.code === 'forbidden';

/** Sends the browser to sign in again (the session ended while the page was open). */
function signInAgain() {
  clearToken();
  location.assign(`/ui/sign-in?redirectTo=${encodeURIComponent(location.pathname + location.search)}`);
}

/** The message shown instead of a page or a section the caller may not see. */
export function forbiddenText(err) {
  const permission = err?.data?.details?.permission;
  return permission ? `${tr('common.forbidden')} ${tr('common.needsPermission', { permission })}` : tr('common.forbidden');
}

/**
 * Starts a page: requires a session, then runs `load`. Until it succeeds the content stays
 * hidden; a 403 shows the localized "not allowed" message instead of it.
 */
export async function start(load) {
  bindSignOut();
  await requireSession();
  const loading = $('#loading');
  try {
    await load();
    $('#content').hidden = false;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signInAgain();
    if (isForbidden(err)) {
      const box = $('#forbidden');
      box.textContent = forbiddenText(err);
      box.hidden = false;
    } else {
      say($('#page-status'), problem(err), 'error');
    }
  } finally {
    loading.hidden = true;
  }
}

/**
 * Loads a section that may be refused on its own (another permission than the page's):
 * a 403 shows the "not allowed" message in `region` (when given) instead of failing the
 * page. Resolves true when the section loaded.
 */
export async function section(region, load) {
  try {
    await load();
    return true;
  } catch (err) {
    if (!isForbidden(err)) throw err;
    region?.replaceChildren(el('p', { class: 'muted' }, forbiddenText(err)));
    return false;
  }
}

/**
 * Runs a button's action with the button disabled; the message it returns (or the error)
 * goes to `status`. A 401 sends to the sign-in page.
 */
export async function act(button, status, run) {
  say(status, '', 'error');
  if (button) button.disabled = true;
  try {
    const message = await run();
    if (message) say(status, message, 'success');
    if (message && button && !button.isConnected) {
      // The button went with the list it was in: keep the keyboard user's place.
      status.setAttribute('tabindex', '-1');
      status.focus();
    }
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signInAgain();
    say(status, problem(err), 'error');
  } finally {
    if (button) button.disabled = false;
  }
}

/** `<span class="badge kind">text</span>` */
export const badge = (text, kind = '') => el('span', { class: `badge ${kind}`.trim() }, text);

/** A table in a scrolling wrapper: `columns` are header texts, `rows` arrays of cells (text or nodes). */
export function table(caption, columns, rows, { empty = tr('common.empty'), captionHidden = true, className = '' } = {}) {
  if (!rows.length) return el('p', { class: 'muted empty' }, empty);
  return el('div', { class: 'table-wrap' },
    el('table', { class: className || undefined },
      el('caption', { class: captionHidden ? 'visually-hidden' : undefined }, caption),
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col' }, c)))),
      el('tbody', {}, rows.map((r) => el('tr', {}, r.map((cell, i) => (i === 0 ? el('th', { scope: 'row' }, cell) : el('td', {}, cell))))))));
}

/** A small button. */
export const button = (text, onclick, kind = 'secondary', attrs = {}) => el('button', { type: 'button', class: `${kind} small`, onclick, ...attrs }, text);

/** A list of short codes (permissions, roles) as inline code elements, or "none". */
export function codes(list) {
  if (!list?.length) return el('span', { class: 'muted' }, tr('common.none'));
  return el('span', { class: 'codes-inline' }, list.map((x) => el('code', {}, x)));
}

/** Copies text to the clipboard and says so in `status`. */
export async function copy(text, status) {
  try {
    await navigator.clipboard.writeText(text);
    say(status, tr('common.copied'), 'success');
  } catch {
    say(status, tr('common.copyFailed'), 'error');
  }
}

function bindSignOut() {
  const b = $('#sign-out');
  if (!b || b.dataset.bound) return;
  b.dataset.bound = '1';
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const current = await api('/auth/sessions/current', { auth: true });
      await api(`/auth/sessions/${encodeURIComponent(current.id)}`, { method: 'DELETE', auth: true });
    } catch (err) {
      // Already signed out elsewhere: nothing left to end here.
      if (!(err instanceof ApiError)) console.error(err);
    }
    clearToken();
    location.assign('/ui/sign-in?redirectTo=%2Fadmin%2Fui');
  });
}

/**
 * Shows a secret once in the page's #secret-panel: `facts` are [label, value] pairs, the
 * secret among them marked by `secret: true`. The panel is focused; "Copy" copies the
 * secret, "I have stored it" hides the panel and forgets the value.
 */
export function showSecret(title, facts) {
  const panel = $('#secret-panel');
  const secret = facts.find((f) => f.secret)?.value ?? '';
  $('#secret-title').textContent = title;
  $('#secret-facts').replaceChildren(...facts.map((f) => el('div', {}, el('dt', {}, f.label), el('dd', {}, el('code', { class: f.secret ? 'secret' : undefined }, f.value)))));
  say($('#copy-status'), '', 'info');
  panel.hidden = false;
  $('#secret-title').focus();
  $('#copy-secret').onclick = () => copy(secret, $('#copy-status'));
  $('#hide-secret').onclick = () => {
    panel.hidden = true;
    $('#secret-facts').replaceChildren();
    $('main h1').setAttribute('tabindex', '-1');
    $('main h1').focus();
  };
}
