// /ui/verify-email: the emailed 6-digit code typed here (with the message's id when this tab
// registered, else with the address), or a new message. The emailed link itself goes to
// /auth/verify-email, which lands on /ui?email_verified=true.
import { $, accessToken, api, bindForm, say, t, target } from '../ui.js';

const VERIFY = 'tessera.verify';

function load() {
  try { return JSON.parse(sessionStorage.getItem(VERIFY) || 'null'); } catch { return null; }
}

let known = load();

/** What the page says and asks for, given the address it knows (if any). */
function render() {
  const field = $('#code-email-field');
  const input = $('#code-email');
  const email = known?.email;
  field.hidden = !!email;
  input.disabled = !!email;
  if (email) {
    $('#notice').textContent = t('verifyEmail.sentTo', { email });
    if (!$('#resend-email').value) $('#resend-email').value = email;
  }
}
render();

bindForm($('#code-form'), async ({ email, code }) => {
  const body = known?.id ? { id: known.id, code } : { email: known?.email ?? email, code };
  await api('/auth/verify-email', { method: 'POST', body });
  sessionStorage.removeItem(VERIFY);
  for (const id of ['#code-form', '#resend-form', '#notice']) $(id).hidden = true;
  $('#verified').hidden = false;
  const status = $('#verified-status');
  say(status, t('verifyEmail.verified'), 'success');
  // Signed in (in this tab or through the refresh cookie): straight on; else sign in first.
  if (await accessToken()) {
    const next = $('#continue');
    next.href = target();
    next.textContent = t('verifyEmail.continue');
  }
  status.setAttribute('tabindex', '-1');
  status.focus();
});

bindForm($('#resend-form'), async ({ email }) => {
  await api('/auth/verify-email/resend', { method: 'POST', body: { email } });
  // The new message replaces the earlier one: its id no longer works, the address does.
  known = { email };
  sessionStorage.setItem(VERIFY, JSON.stringify(known));
  render();
  say($('#notice'), t('verifyEmail.resent', { email }), 'info');
});
