// /ui/reset-password: a new password with the proof of the reset message, the link's
// `?token=` or the address and the 6-digit code. Every session ends with the change.
import { $, api, bindForm, clearToken, hosted, say, t } from '../ui.js';
import { showPasswordRules, showRefusal } from '../password-rules.js';

const token = new URLSearchParams(location.search).get('token');

showPasswordRules($('#password-rules'));

bindForm($('#reset-form'), async ({ email, code, password, confirm }, form) => {
  const status = $('.status', form);
  if (password !== confirm) {
    say(status, t('resetPassword.mismatch'));
    return;
  }
  const proof = token ? { token } : { email, code };
  try {
    await api('/auth/password/reset', { method: 'POST', body: { ...proof, password } });
  } catch (err) {
    if (showRefusal(err, status)) return;
    throw err;
  }
  clearToken();
  // The spent token leaves the address bar and the history.
  history.replaceState(null, '', hosted('/ui/reset-password'));
  form.hidden = true;
  $('#new-link').hidden = true;
  $('#done').hidden = false;
  const done = $('#done-status');
  say(done, t('resetPassword.done'), 'success');
  done.setAttribute('tabindex', '-1');
  done.focus();
});
