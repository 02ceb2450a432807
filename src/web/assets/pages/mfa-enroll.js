// /ui/mfa/enroll: an authenticator app (TOTP) for the signed-in user, or, when a role
// requires MFA, for the user holding the enrollment token the sign-in page kept (the
// verify step then signs in). The secret is shown as a QR code and as text; the recovery
// codes are shown once, at the end.
import { $, ApiError, api, bindForm, el, errorMessage, go, pending, requireSession, say, setPending, storeToken, t, target } from '../ui.js';
import { withReauth } from '../reauth.js';

const enrollment = pending('enroll')?.token;

/** A call as the enrolling user: with the enrollment token, or signed in (confirming the identity if asked). */
function call(path, body = {}) {
  if (enrollment) return api(path, { method: 'POST', body: { ...body, enrollmentToken: enrollment } });
  return withReauth(() => api(path, { method: 'POST', body, auth: true }), $('#reauth'));
}

function problem(err) {
  const code = err instanceof ApiError ? err.code : 'generic';
  if (!(err instanceof ApiError)) console.error(err);
  $('#problem').hidden = false;
  $('#to-account').hidden = code !== 'mfa_factor_exists';
  // An enrollment token that expired or was spent: only a new sign-in gives another.
  const restart = enrollment && (code === 'unauthorized' || code === 'invalid_token');
  if (restart) setPending('enroll', null);
  $('#sign-in-again').hidden = !restart;
  $('#retry').hidden = code === 'mfa_factor_exists' || restart;
  say($('#problem-status'), code === 'mfa_factor_exists' ? t('mfaEnroll.exists') : errorMessage(code));
}

async function setup() {
  $('#problem').hidden = true;
  $('#loading').hidden = false;
  let data;
  try {
    data = await call('/auth/mfa/totp/setup');
  } catch (err) {
    return problem(err);
  } finally {
    $('#loading').hidden = true;
  }
  $('#qr').src = data.qrCode.dataUrl;
  $('#totp-secret').textContent = data.secret;
  $('#setup').hidden = false;
  $('#code').focus();
}

function showCodes(codes) {
  $('#setup').hidden = true;
  $('#required').hidden = true;
  const list = $('#recovery-codes');
  if (codes?.length) {
    list.replaceChildren(...codes.map((c) => el('li', {}, c)));
    const download = $('#download');
    download.href = URL.createObjectURL(new Blob([`${codes.join('\n')}\n`], { type: 'text/plain' }));
    download.hidden = false;
  } else {
    // The account had codes already (from another factor): they still work.
    list.hidden = true;
    $('#codes-intro').hidden = true;
    $('#codes-title').textContent = t('mfaEnroll.codesKept');
  }
  $('#codes').hidden = false;
  $('#codes-title').focus();
}

bindForm($('#verify-form'), async ({ code }) => {
  const data = await call('/auth/mfa/totp/verify', { code });
  if (data.accessToken) storeToken(data.accessToken);
  setPending('enroll', null);
  showCodes(data.recoveryCodes);
});

$('#retry').addEventListener('click', () => { setup(); });
$('#saved').addEventListener('click', () => go(target()));

if (enrollment) $('#required').hidden = false;
else await requireSession();
setup();
