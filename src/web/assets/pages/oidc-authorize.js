// /ui/oauth2/authorize: asks the server what the authorization request needs next (the
// browser's session cookie goes with the call), then follows it: back to the application,
// to the hosted sign-in (which returns here), or the consent screen.
import { $, api, el, errorMessage, pageData, say, t, ApiError } from '../ui.js';

const request = pageData.request;

async function next(decision) {
  const body = decision ? { request, decision } : { request };
  try {
    const r = await api('/auth/oauth2/authorize', { method: 'POST', body });
    if (r.action === 'consent') return showConsent(r);
    location.assign(r.location);
  } catch (err) {
    $('#working').hidden = true;
    say($('#problem'), err instanceof ApiError ? errorMessage(err.code) : errorMessage('generic'));
  }
}

function showConsent(r) {
  $('#working').hidden = true;
  $('#consent-title').textContent = t('oauth2.consentTitle', { client: r.client.name });
  $('#consent-intro').textContent = t('oauth2.consentIntro', { client: r.client.name });
  const list = $('#consent-scopes');
  list.replaceChildren(...r.scopes.map((s) => el('li', {}, t(`oauth2.scope.${s}`))));
  $('#consent').hidden = false;
  $('#allow').focus();
}

$('#allow').addEventListener('click', () => { $('#allow').disabled = true; void next('approve'); });
$('#deny').addEventListener('click', () => { $('#deny').disabled = true; void next('deny'); });
void next();
