// /ui/password-expired: the new password a `password_expired` sign-in asked for, with the
// single-use token the sign-in page kept in sessionStorage; the answer signs in.
import { $, ApiError, api, bindForm, pending, say, signIn, t } from '../ui.js';
import { showPasswordRules, showRefusal } from '../password-rules.js';

const change = pending('expired');
const form = $('#expired-form');

if (change?.token) {
  form.hidden = false;
  showPasswordRules($('#password-rules'));
  $('#password').focus();
} else {
  $('#none').hidden = false;
}

bindForm(form, async ({ password, confirm }) => {
  const status = $('.status', form);
  if (password !== confirm) {
    say(status, t('passwordExpired.mismatch'));
    return;
  }
  try {
    await signIn(() => api('/auth/password/expired', { method: 'POST', body: { token: change.token, newPassword: password } }));
  } catch (err) {
    if (showRefusal(err, status)) return;
    // A spent or expired token: only a new sign-in gives another.
    if (err instanceof ApiError && !err.code.startsWith('password_') && err.code !== 'validation_failed') $('#restart').hidden = false;
    throw err;
  }
});
