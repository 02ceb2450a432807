// /ui/forgot-password: the same answer whether or not the address has an account.
import { $, api, bindForm, say, t } from '../ui.js';

bindForm($('#forgot-form'), async ({ email }, form) => {
  await api('/auth/password/forgot', { method: 'POST', body: { email } });
  form.hidden = true;
  $('#sent').hidden = false;
  const status = $('#sent-status');
  say(status, t('forgotPassword.sent', { email }), 'success');
  status.setAttribute('tabindex', '-1');
  status.focus();
});
