// /ui/invitation?token=...: shows what the token invites to, then accepts it for the
// signed-in invitee, or creates the invited account and sends the new member to sign in.
import { $, accessToken, api, ApiError, bindForm, errorMessage, locale, say, t } from '../ui.js';
import { showPasswordRules, showRefusal } from '../password-rules.js';

const tr = (key, values) => t(`invitation.${key}`, values);
const token = new URLSearchParams(location.search).get('token') || '';
const here = `${location.pathname}${location.search}`;
const problem = (err) => (err instanceof ApiError ? errorMessage(err.code) : errorMessage('generic'));

async function start() {
  let info;
  try {
    info = await api('/auth/organizations/invitations/lookup', { method: 'POST', body: { token } });
  } catch (err) {
    $('#invitation-summary').hidden = true;
    say($('#invitation-status'), problem(err), 'error');
    return;
  }
  const organization = info.organization.name;
  $('#invitation-summary').textContent = tr('summary', { organization, role: info.role });
  const email = $('#invitation-email');
  email.textContent = tr('forEmail', { email: info.email });
  email.hidden = false;

  if (await accessToken()) {
    $('#accept-block').hidden = false;
    $('#accept').addEventListener('click', async (e) => {
      const button = e.currentTarget;
      button.disabled = true;
      say($('#invitation-status'), '', 'error');
      try {
        await api('/auth/organizations/invitations/accept', { method: 'POST', auth: true, body: { token } });
        $('#accept-block').hidden = true;
        $('#accepted-status').textContent = tr('accepted', { organization });
        $('#accepted').hidden = false;
      } catch (err) {
        say($('#invitation-status'), problem(err), 'error');
      } finally {
        button.disabled = false;
      }
    });
    return;
  }
  $('#sign-in-to-accept').href = `/ui/sign-in?redirectTo=${encodeURIComponent(here)}`;
  $('#created-sign-in').href = `/ui/sign-in?redirectTo=${encodeURIComponent('/ui/account')}`;
  $('#anonymous-block').hidden = false;
  showPasswordRules($('#password-rules'));
  bindForm($('#invitation-sign-up-form'), async ({ username, password }, form) => {
    try {
      await api('/auth/organizations/invitations/sign-up', { method: 'POST', body: { token, username, password, locale } });
    } catch (err) {
      if (showRefusal(err, $('.status', form))) return;
      throw err;
    }
    $('#anonymous-block').hidden = true;
    $('#created-status').textContent = tr('created', { organization });
    $('#created').hidden = false;
  });
}

await start();
document.body.dataset.loaded = 'true';
