// /oauth2/logout's confirmation: signs out through the API (the browser's session cookie
// goes with the call), then goes where the application asked (or the signed-out page).
import { $, api, bindForm, values } from '../ui.js';

const form = $('#logout-form');
bindForm(form, async () => {
  const r = await api('/auth/oauth2/logout', { method: 'POST', body: values(form) });
  location.assign(r.location);
});
