// /ui/sign-in: password, passkey, magic link and email code.
import { $, api, bindForm, errorMessage, pageData, say, signIn, t, ApiError } from '../ui.js';
import { getAssertion, supported } from '../webauthn.js';

const params = new URLSearchParams(location.search);
if (params.get('error')) say($('#notice'), errorMessage(params.get('error')), 'error');
// An application's login_hint (OpenID Connect) fills the identifier; the user may change it.
const hint = params.get('login_hint');
if (hint && hint.length <= 254) {
  $('#identifier').value = hint;
  const email = document.querySelector('#email');
  if (email && hint.includes('@')) email.value = hint;
}

bindForm($('#password-form'), ({ identifier, password }) => signIn(() => api('/auth/login', {
  method: 'POST',
  body: identifier.includes('@') ? { email: identifier, password } : { username: identifier, password },
})));

let codeEmail = '';
bindForm($('#email-form'), async ({ email }, form, submitter) => {
  const status = $('.status', form);
  if (submitter?.value === 'code') {
    await api('/auth/email-code', { method: 'POST', body: { email } });
    codeEmail = email;
    const codeForm = $('#code-form');
    codeForm.hidden = false;
    say($('#notice'), t('signIn.codeSent', { email }), 'info');
    $('#email-code').focus();
  } else {
    await api('/auth/magic-link', { method: 'POST', body: { email, redirectTo: pageData.target } });
    say(status, '', 'error');
    say($('#notice'), t('signIn.linkSent', { email }), 'info');
  }
});

bindForm($('#code-form'), ({ code }) => signIn(() => api('/auth/email-code/verify', { method: 'POST', body: { email: codeEmail, code } })));

const passkey = $('#passkey');
if (!supported()) passkey.hidden = true;
passkey.addEventListener('click', async () => {
  const status = $('#passkey-status');
  say(status, '', 'error');
  passkey.disabled = true;
  try {
    const options = await api('/auth/passkeys/login/options', { method: 'POST' });
    const response = await getAssertion(options);
    await signIn(() => api('/auth/passkeys/login/verify', { method: 'POST', body: { response } }));
  } catch (err) {
    say(status, err instanceof ApiError ? errorMessage(err.code) : t('signIn.passkeyFailed'));
  } finally {
    passkey.disabled = false;
  }
});
