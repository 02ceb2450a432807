// /ui/sign-up: creates the account (the API does not sign in), then the verification page,
// which learns the address and the message's id from this tab's sessionStorage.
import { $, api, bindForm, go, hosted, locale, storeToken } from '../ui.js';
import { showPasswordRules, showRefusal } from '../password-rules.js';

const VERIFY = 'tessera.verify';

showPasswordRules($('#password-rules'));

bindForm($('#sign-up-form'), async ({ username, email, password }, form) => {
  let data;
  try {
    // No address (AUTH_EMAIL_REQUIRED=false): the field is left out, and there is nothing to verify.
    data = await api('/auth/register', { method: 'POST', body: { username, ...(email ? { email } : {}), password, locale } });
  } catch (err) {
    if (showRefusal(err, $('.status', form))) return;
    throw err;
  }
  // Registration answers without a session; should it ever sign in, the session is kept.
  if (data?.accessToken) storeToken(data.accessToken);
  if (!data?.verification) {
    go(hosted('/ui/sign-in'));
    return;
  }
  sessionStorage.setItem(VERIFY, JSON.stringify({ email: data?.user?.email ?? email, id: data?.verification?.id }));
  go(hosted('/ui/verify-email'));
});
