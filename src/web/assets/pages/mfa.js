// /ui/mfa: the second step of a sign-in. The challenge ({verificationId, methods, expiresAt})
// was kept in sessionStorage by the page that got `mfa_required`; its first method is the
// preferred one, whose code (email, SMS) has been sent already. Other methods are a button
// away; email and SMS codes are sent when chosen. A passkey answers through WebAuthn.
import { $, $$, ApiError, api, bindForm, errorMessage, pending, say, setPending, signIn, t } from '../ui.js';
import { getAssertion, supported } from '../webauthn.js';

const CODE_METHODS = ['totp', 'email', 'sms', 'recovery'];
const SENT = ['email', 'sms'];
// Answers after which this challenge cannot succeed: only a new sign-in helps.
const FINAL = new Set(['mfa_challenge_invalid', 'mfa_challenge_expired', 'too_many_attempts']);

const challenge = pending('mfa');
const verification_id = challenge?.verificationId;
const methods = (challenge?.methods ?? []).filter((m) => CODE_METHODS.includes(m) || (m === 'passkey' && supported()));
const sent = new Set(SENT.includes(methods[0]) ? [methods[0]] : []);
let current;

/** The challenge is over: say why, and offer a new sign-in. */
function end(code) {
  setPending('mfa', null);
  $('#code-form').hidden = true;
  $('#resend-status').hidden = true;
  $('#others-title').hidden = true;
  $('#others').hidden = true;
  $('#ended').hidden = false;
  say($('#other-status'), `${errorMessage(code)} ${t('mfa.ended')}`);
}

function fail(region, err) {
  if (err instanceof ApiError && FINAL.has(err.code)) return end(err.code);
  say(region, err instanceof ApiError ? errorMessage(err.code) : errorMessage('generic'));
  if (!(err instanceof ApiError)) console.error(err);
}

/** Asks for the code of `method`. */
function show(method) {
  current = method;
  const form = $('#code-form');
  form.hidden = !method;
  const others = $$('[data-method]');
  for (const b of others) b.hidden = !methods.includes(b.dataset.method) || b.dataset.method === method;
  const anyOther = others.some((b) => !b.hidden);
  $('#others-title').hidden = !anyOther;
  if (!method) return;
  $('#code-intro').textContent = t(`mfa.intro.${method}`);
  $('#code-label').textContent = t(`mfa.label.${method}`);
  $('#resend').hidden = !SENT.includes(method);
  $('#resend-status').hidden = true;
  say($('.status', form), '', 'error');
  const input = $('#code');
  input.value = '';
  if (method === 'recovery') {
    input.setAttribute('inputmode', 'text');
    input.setAttribute('autocomplete', 'off');
    input.removeAttribute('pattern');
    input.maxLength = 32;
  } else {
    input.setAttribute('inputmode', 'numeric');
    input.setAttribute('autocomplete', 'one-time-code');
    input.setAttribute('pattern', '[0-9]{6}');
    input.maxLength = 6;
  }
}

const send = (method) => api('/auth/login/mfa/send', { method: 'POST', body: { verification_id, method } });

async function usePasskey(button) {
  const status = $('#other-status');
  button.disabled = true;
  try {
    const options = await api('/auth/passkeys/login/options', { method: 'POST', body: { verification_id } });
    const response = await getAssertion(options);
    await signIn(() => api('/auth/passkeys/login/verify', { method: 'POST', body: { response } }));
  } catch (err) {
    if (err instanceof ApiError) fail(status, err);
    else say(status, t('mfa.passkeyFailed'));
  } finally {
    button.disabled = false;
  }
}

if (!verification_id) {
  $('#none').hidden = false;
} else {
  $('#challenge').hidden = false;
  // A preferred passkey comes first among the other ways.
  if (methods[0] === 'passkey') $('#others').prepend($('[data-method=passkey]'));
  show(methods.find((m) => CODE_METHODS.includes(m)));
  if (current) $('#code').focus();
  else $('[data-method=passkey]')?.focus();

  bindForm($('#code-form'), async ({ code }) => {
    try {
      await signIn(() => api('/auth/login/mfa', { method: 'POST', body: { verification_id, code, method: current } }));
    } catch (err) {
      if (err instanceof ApiError && FINAL.has(err.code)) return end(err.code);
      throw err;
    }
  });

  $('#resend').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      await send(current);
      say($('#resend-status'), t('mfa.resent'), 'info');
    } catch (err) {
      fail($('.status', $('#code-form')), err);
    } finally {
      button.disabled = false;
    }
  });

  $('#others').addEventListener('click', async (event) => {
    const button = event.target.closest('[data-method]');
    if (!button) return;
    const method = button.dataset.method;
    say($('#other-status'), '', 'error');
    if (method === 'passkey') return usePasskey(button);
    if (SENT.includes(method) && !sent.has(method)) {
      button.disabled = true;
      try {
        await send(method);
        sent.add(method);
      } catch (err) {
        return fail($('#other-status'), err);
      } finally {
        button.disabled = false;
      }
    }
    show(method);
    $('#code').focus();
  });
}
