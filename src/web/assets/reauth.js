// Step-up for the pages of a signed-in user. Some API calls (removing a factor, new
// recovery codes, changing the password or the email, deleting the account) answer 403
// `reauthentication_required` unless the session proved its user within the last minutes.
//
//   import { withReauth } from '../reauth.js';
//   const { recoveryCodes } = await withReauth(
//     () => api('/auth/mfa/recovery-codes', { method: 'POST', auth: true }), $('#reauth'));
//
// withReauth(fn, container) runs `fn`; when it answers `reauthentication_required`, a small
// form appears in `container` (an element outside any <form>) asking for the password or a
// code (authenticator app, recovery code, or one sent by email or SMS, as the account has
// them), POSTs /auth/reauthenticate, removes itself and runs `fn` once more. It resolves
// with what `fn` resolves; it rejects with `fn`'s other errors, or with the ApiError
// `reauthentication_required` when the user cancels. The page's messages must include the
// `reauth.` prefix (ctx.page({ messages: ['reauth.', ...] })).
import { ApiError, api, bindForm, el, errorMessage, say, t } from './ui.js';

let forms = 0;

/** The ways this account can confirm: the password, and its factors. */
async function ways() {
  const out = ['password'];
  try {
    const { factors, recoveryCodesRemaining } = await api('/auth/mfa', { auth: true });
    for (const type of ['totp', 'email', 'sms']) if (factors.some((f) => f.type === type)) out.push(type);
    if (recoveryCodesRemaining > 0) out.push('recovery');
  } catch { /* the password is still offered */ }
  return out;
}

/** Shows the form in `container`; resolves once the identity is confirmed, rejects on cancel. */
export async function confirmIdentity(container) {
  const methods = await ways();
  const n = ++forms;
  const id = (name) => `reauth-${n}-${name}`;
  return new Promise((resolve, reject) => {
    let verificationId = null;
    const method = el('select', { id: id('method'), name: 'method' },
      methods.map((m) => el('option', { value: m }, t(`reauth.methods.${m}`))));
    const label = el('label', { for: id('secret') }, t('reauth.password'));
    const input = el('input', { id: id('secret'), name: 'secret', type: 'password', autocomplete: 'current-password', required: true });
    const send = el('button', { type: 'button', class: 'secondary', hidden: true }, t('reauth.send'));
    const info = el('p', { class: 'status info', role: 'status', hidden: true });
    const status = el('p', { class: 'status', role: 'alert', hidden: true });
    const cancel = el('button', { type: 'button', class: 'secondary' }, t('reauth.cancel'));
    const form = el('form', { class: 'reauth' },
      el('fieldset', {},
        el('legend', {}, t('reauth.title')),
        el('p', { class: 'hint' }, t('reauth.intro')),
        methods.length > 1 ? el('div', { class: 'field' }, el('label', { for: id('method') }, t('reauth.method')), method) : null,
        el('div', { class: 'field' }, label, input),
        // The alert first: bindForm reports in the form's first `.status`.
        status, send, info,
        el('div', { class: 'actions' }, el('button', { type: 'submit' }, t('reauth.confirm')), cancel)));

    const choose = () => {
      const m = method.value;
      verificationId = null;
      input.value = '';
      info.hidden = true;
      label.textContent = m === 'password' ? t('reauth.password') : t(`reauth.code.${m}`);
      input.type = m === 'password' ? 'password' : 'text';
      input.setAttribute('autocomplete', m === 'password' ? 'current-password' : m === 'recovery' ? 'off' : 'one-time-code');
      if (m === 'password' || m === 'recovery') input.removeAttribute('inputmode');
      else input.setAttribute('inputmode', 'numeric');
      send.hidden = m !== 'email' && m !== 'sms';
    };
    method.addEventListener('change', choose);

    send.addEventListener('click', async () => {
      send.disabled = true;
      say(status, '', 'error');
      try {
        const r = await api('/auth/reauthenticate/send', { method: 'POST', body: { method: method.value }, auth: true });
        verificationId = r.verification_id;
        say(info, t('reauth.sent'), 'info');
        input.focus();
      } catch (err) {
        say(status, errorMessage(err instanceof ApiError ? err.code : 'generic'));
      } finally {
        send.disabled = false;
      }
    });

    const close = () => form.remove();
    cancel.addEventListener('click', () => {
      close();
      reject(new ApiError(403, { code: 'reauthentication_required' }));
    });

    bindForm(form, async ({ method: m = 'password', secret }) => {
      let body;
      if (m === 'password') body = { password: secret };
      else if (m === 'totp' || m === 'recovery') body = { method: m, code: secret };
      else if (verificationId) body = { method: m, verification_id: verificationId, code: secret };
      else {
        // The code has to be sent first.
        const r = await api('/auth/reauthenticate/send', { method: 'POST', body: { method: m }, auth: true });
        verificationId = r.verification_id;
        say(info, t('reauth.sent'), 'info');
        input.value = '';
        input.focus();
        return;
      }
      await api('/auth/reauthenticate', { method: 'POST', body, auth: true });
      close();
      resolve();
    });

    container.append(form);
    (methods.length > 1 ? method : input).focus();
  });
}

/** Runs `fn`, and once more after the user confirms their identity if it asked for that. */
export async function withReauth(fn, container) {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'reauthentication_required') throw err;
  }
  await confirmIdentity(container);
  return fn();
}
