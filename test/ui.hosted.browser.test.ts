// The hosted sign-up, verification, password and second-factor pages in Chromium, through
// their labels and roles: sign-up with the verification email followed in the browser,
// TOTP enrolment read off the page and a second step at the next sign-in, recovery codes,
// an email code and a passkey as the second step, a password reset by the emailed link
// (or its code), an expired password, enrolment required by role, step-up (reauth.js),
// errors in the page's language, French, and a keyboard-only sign-in.
// Every page passes axe-core and is photographed (docs/screenshots/).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'otplib';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, json, register, uniqueCredentials, type Credentials } from './helpers/app.ts';
import { browserSkip, createCredential, launch, pageServer, withAuthenticator } from './helpers/browser.ts';
import { codeOf, linkOf } from './helpers/smtp.ts';
import { checkPage, startUiServer, type UiServer } from './helpers/ui.ts';

const skip = browserSkip();
const totp = (secret: string, ms: number) => generate({ secret, epoch: Math.floor(ms / 1000) });

describe('hosted sign-up, password and MFA pages in Chromium', { skip }, () => {
  // Frozen at the real time (the browser checks token expiry with its own clock), moved by hand.
  const clock = new ManualClock(Date.now());
  let s: UiServer;
  let browser: Browser;
  let rp: Awaited<ReturnType<typeof pageServer>>;
  /** An application's page that the flows end at (an allowed redirectTo). */
  let done: string;
  const contexts: BrowserContext[] = [];

  before(async () => {
    rp = await pageServer();
    done = `${rp.origin}/done`;
    s = await startUiServer({ clock, env: { AUTH_REDIRECT_ALLOWLIST: done } });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await rp?.close();
  });

  /** A fresh browser (no cookie, no sessionStorage) on one of the service's pages. */
  async function open(path: string): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${s.origin}${path}`);
    return page;
  }
  const withTarget = (path: string) => `${path}?redirectTo=${encodeURIComponent(done)}`;

  async function signInOnPage(page: Page, identifier: string, password: string): Promise<void> {
    await page.getByLabel('Email or username').fill(identifier);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  /** The access token this tab keeps for the service (read on one of its pages: the tab may be at the application now). */
  async function tokenOf(page: Page): Promise<string | null> {
    await page.goto(`${s.origin}/healthz`);
    return page.evaluate(() => sessionStorage.getItem('tessera.access'));
  }
  const alert = (page: Page, text: string | RegExp) => page.getByRole('alert').filter({ hasText: text });
  const me = async (token: string) => json(await s.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) }));
  const apiLogin = (c: Pick<Credentials, 'email' | 'password'>) =>
    s.t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: c.email, password: c.password, client: 'native' } });

  /** A user with an active authenticator app (through the API); returns its secret and recovery codes. */
  async function withTotp(): Promise<{ creds: Credentials; secret: string; recoveryCodes: string[] }> {
    const { creds } = await register(s.t.app);
    const token = json(await apiLogin(creds)).accessToken as string;
    const setup = json(await s.t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(token) }));
    const verify = await s.t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(token), payload: { code: await totp(setup.secret, clock.now()) } });
    assert.equal(verify.statusCode, 200, verify.body);
    clock.advance(30_000); // the enrolment code's time step is spent
    return { creds, secret: setup.secret, recoveryCodes: json(verify).recoveryCodes };
  }

  test('sign up, then the emailed verification link lands on /ui?email_verified=true', async () => {
    const c = uniqueCredentials('signup');
    const page = await open(withTarget('/ui/sign-up'));
    await page.locator('#password-rules li').first().waitFor();
    assert.match(await page.locator('#password-rules').innerText(), /8 to 128 characters/);
    await checkPage(page, 'sign-up');
    await page.getByLabel('Username').fill(c.username);
    await page.getByLabel('Email').fill(c.email);
    await page.getByLabel('Password', { exact: true }).fill(c.password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.waitForURL(/\/ui\/verify-email\?redirectTo=/);
    await page.getByText(`We sent a link and a 6-digit code to ${c.email}`).waitFor();
    assert.equal(await page.getByLabel('Your email address').inputValue(), c.email);
    await checkPage(page, 'verify-email');

    const mail = await s.sink.latest(c.email, /Verify your email/);
    await page.goto(linkOf(mail, `${s.origin}/auth/verify-email`));
    await page.waitForURL(/\/ui\?email_verified=true$/);
    await page.getByText('Your email address is verified.').waitFor();
    // Registration does not sign in: a fresh sign-in shows the address verified.
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tessera.access')), null);
    const login = await apiLogin(c);
    assert.equal(login.statusCode, 200, login.body);
    assert.equal((await me(json(login).accessToken)).emailVerified, true);
  });

  test('verify-email: the 6-digit code; after a new message only the new code works', async () => {
    const c = uniqueCredentials('code');
    const page = await open('/ui/sign-up');
    await page.getByLabel('Username').fill(c.username);
    await page.getByLabel('Email').fill(c.email);
    await page.getByLabel('Password', { exact: true }).fill(c.password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.waitForURL(/\/ui\/verify-email$/);
    const first = await s.sink.latest(c.email, /Verify your email/);

    // Too soon for another message: the API's 429, in words.
    await page.getByRole('button', { name: 'Send it again' }).click();
    await alert(page, 'Too many attempts').waitFor();
    clock.advance(61_000);
    const before = s.sink.messages.length;
    await page.getByRole('button', { name: 'Send it again' }).click();
    await page.getByText(`If ${c.email} has an account that is not verified yet, a new message is on its way.`).waitFor();
    const second = await s.sink.latest(c.email, /Verify your email/, before);
    assert.notEqual(codeOf(second), codeOf(first));

    await page.getByLabel('6-digit code').fill(codeOf(first));
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await alert(page, 'The code is not right').waitFor();
    await page.getByLabel('6-digit code').fill(codeOf(second));
    await page.getByRole('button', { name: 'Verify my email' }).click();
    await page.getByRole('status').filter({ hasText: 'Your email address is verified.' }).waitFor();
    // Not signed in: the way on is signing in, keeping the flow.
    assert.equal(await page.getByRole('link', { name: 'Sign in' }).first().getAttribute('href'), '/ui/sign-in');
    assert.equal((await me(json(await apiLogin(c)).accessToken)).emailVerified, true);
  });

  test('sign-up errors: a weak password, a common one and a taken email, in words', async () => {
    const taken = (await register(s.t.app)).creds;
    const c = uniqueCredentials('weak');
    const page = await open('/ui/sign-up');
    // The API's username rule, checked by the browser first.
    const username = page.getByLabel('Username');
    const invalid = () => username.evaluate((i: HTMLInputElement) => !i.checkValidity());
    for (const bad of ['-ada', 'ad', 'ada lovelace']) { await username.fill(bad); assert.equal(await invalid(), true, bad); }
    for (const good of ['ada.lovelace_1-2', 'Zoë']) { await username.fill(good); assert.equal(await invalid(), false, good); }
    await username.fill(c.username);
    await page.getByLabel('Email').fill(c.email);
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await alert(page, 'The password is too short').waitFor();
    await page.getByLabel('Password', { exact: true }).fill('password123');
    await page.getByRole('button', { name: 'Create the account' }).click();
    await alert(page, 'The password is too common').waitFor();
    await page.getByLabel('Email').fill(taken.email);
    await page.getByLabel('Password', { exact: true }).fill(c.password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await alert(page, 'An account with this email already exists').waitFor();
    assert.match(page.url(), /\/ui\/sign-up$/);
    const users = await s.t.deps.db.selectFrom('users').select('id').where('username', '=', c.username).execute();
    assert.equal(users.length, 0);
  });

  test('TOTP enrolment on the page, recovery codes once, then the second step at the next sign-in', async () => {
    const { creds } = await register(s.t.app);
    const page = await open(`/ui/sign-in?redirectTo=${encodeURIComponent('/ui/mfa/enroll')}`);
    await signInOnPage(page, creds.username, creds.password);
    await page.waitForURL(/\/ui\/mfa\/enroll$/);
    const secretBox = page.locator('#totp-secret');
    await secretBox.filter({ hasText: /^[A-Z2-7]{32}$/ }).waitFor();
    const qr = page.getByRole('img', { name: /QR code to add Tessera to an authenticator app/ });
    assert.match(await qr.getAttribute('src') ?? '', /^data:image\/png;base64,/);
    assert.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'the QR code is drawn');
    await checkPage(page, 'mfa-enroll');

    const secret = (await secretBox.textContent())!;
    await page.getByLabel('6-digit code').fill('000000');
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await alert(page, 'The code is not right').waitFor();
    await page.getByLabel('6-digit code').fill(await totp(secret, clock.now()));
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page.getByRole('list', { name: 'Save your recovery codes' }).getByRole('listitem').allTextContents();
    assert.equal(codes.length, 10);
    for (const code of codes) assert.match(code, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
    assert.equal(await page.getByRole('link', { name: 'Download the codes' }).getAttribute('download'), 'recovery-codes.txt');
    await checkPage(page, 'mfa-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them, continue' }).click();
    await page.waitForURL((u) => u.pathname === '/ui/account');

    // Sign out (no sign-out button on these pages: the call the account page makes).
    const out = await page.evaluate(async () => {
      const res = await fetch('/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${sessionStorage.getItem('tessera.access')}` } });
      sessionStorage.clear();
      return res.status;
    });
    assert.equal(out, 200);
    clock.advance(30_000); // the step of the enrolment code was used

    await page.goto(`${s.origin}${withTarget('/ui/sign-in')}`);
    await signInOnPage(page, creds.email, creds.password);
    await page.waitForURL(/\/ui\/mfa\?redirectTo=/);
    const code = page.getByLabel('Code from your authenticator app');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'code');
    assert.equal(await page.getByRole('button', { name: 'Send the code again' }).isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Use a recovery code' }).isVisible(), true);
    await checkPage(page, 'mfa');
    await code.fill(await totp(secret, clock.now()));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.waitForURL(done);
    const token = await tokenOf(page);
    assert.ok(token);
    assert.equal((await me(token)).email, creds.email);
  });

  test('/ui/mfa: a wrong code says so; a recovery code signs in and is spent', async () => {
    const { creds, recoveryCodes } = await withTotp();
    const page = await open(withTarget('/ui/sign-in'));
    await signInOnPage(page, creds.email, creds.password);
    await page.waitForURL(/\/ui\/mfa\?/);
    await page.getByLabel('Code from your authenticator app').fill('000000');
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await alert(page, 'The code is not right').waitFor();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    const field = page.getByLabel('Recovery code');
    await field.waitFor();
    assert.equal(await page.getByRole('button', { name: 'Use your authenticator app' }).isVisible(), true);
    assert.equal(await page.getByRole('button', { name: 'Use a recovery code' }).isVisible(), false);
    await field.fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.waitForURL(done);
    // Spent: the same code no longer completes a sign-in.
    const challenge = json(await apiLogin(creds));
    const again = await s.t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { verification_id: challenge.verification_id, code: recoveryCodes[0], method: 'recovery' } });
    assert.equal(json(again).code, 'invalid_code');
  });

  test('/ui/mfa: an email code, sent when chosen and again on demand; five wrong codes end the challenge', async () => {
    // Authenticator app first (the preferred method), the verified address as a second factor.
    const { creds, registrant } = await register(s.t.app);
    const verified = await s.t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: creds.email, code: codeOf(await s.sink.latest(creds.email, /Verify your email/)) }, cookies: { tessera_registrant: registrant } });
    assert.equal(verified.statusCode, 200, verified.body);
    const token = json(await apiLogin(creds)).accessToken as string;
    assert.equal((await s.t.app.inject({ method: 'POST', url: '/auth/mfa/email', headers: bearer(token) })).statusCode, 200);
    const setup = json(await s.t.app.inject({ method: 'POST', url: '/auth/mfa/totp/setup', headers: bearer(token) }));
    assert.equal((await s.t.app.inject({ method: 'POST', url: '/auth/mfa/totp/verify', headers: bearer(token), payload: { code: await totp(setup.secret, clock.now()) } })).statusCode, 200);

    const page = await open(withTarget('/ui/sign-in'));
    await signInOnPage(page, creds.email, creds.password);
    await page.waitForURL(/\/ui\/mfa\?/);
    const codeMail = /sign-in code/;
    assert.equal(s.sink.to(creds.email).filter((m) => codeMail.test(m.subject)).length, 0, 'the app is preferred: no code mailed yet');
    let before = s.sink.messages.length;
    await page.getByRole('button', { name: 'Send a code by email' }).click();
    const field = page.getByLabel('Code from the email');
    await field.waitFor();
    const first = await s.sink.latest(creds.email, codeMail, before);
    before = s.sink.messages.length;
    await page.getByRole('button', { name: 'Send the code again' }).click();
    await page.getByRole('status').filter({ hasText: 'A new code is on its way.' }).waitFor();
    const second = await s.sink.latest(creds.email, codeMail, before);
    assert.notEqual(second, first);
    await field.fill(codeOf(second));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.waitForURL(done);

    // Five wrong codes: the challenge is over, and the page says how to go on.
    const again = await open(withTarget('/ui/sign-in'));
    await signInOnPage(again, creds.email, creds.password);
    await again.waitForURL(/\/ui\/mfa\?/);
    for (let i = 1; i <= 5; i++) {
      await again.getByLabel('Code from your authenticator app').fill('000000');
      await again.getByRole('button', { name: 'Verify', exact: true }).click();
      if (i < 5) await alert(again, 'The code is not right').waitFor();
    }
    await alert(again, 'Too many wrong codes').waitFor();
    assert.equal(await again.getByRole('link', { name: 'Sign in again' }).isVisible(), true);
    assert.equal(await again.getByLabel('Code from your authenticator app').isVisible(), false);
    assert.equal(await again.evaluate(() => sessionStorage.getItem('tessera.mfa')), null);
  });

  test('/ui/mfa with no sign-in waiting says so and links to sign-in', async () => {
    const page = await open(withTarget('/ui/mfa'));
    await page.getByText('No sign-in is waiting for a second step').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Sign in' }).getAttribute('href'), withTarget('/ui/sign-in'));
  });

  test('/ui/mfa: a passkey as the second step', async () => {
    const { creds } = await register(s.t.app);
    const token = json(await apiLogin(creds)).accessToken as string;
    const a = await withAuthenticator(browser, s.origin);
    contexts.push(a.context);
    const options = json(await s.t.app.inject({ method: 'POST', url: '/auth/passkeys/register/options', headers: bearer(token) }));
    const credential = await createCredential(a.page, options);
    const added = await s.t.app.inject({ method: 'POST', url: '/auth/passkeys/register/verify', headers: bearer(token), payload: { response: credential } });
    assert.equal(added.statusCode, 201, added.body);

    await a.page.goto(`${s.origin}${withTarget('/ui/sign-in')}`);
    await signInOnPage(a.page, creds.username, creds.password);
    await a.page.waitForURL(/\/ui\/mfa\?/);
    await a.page.getByRole('button', { name: 'Use a passkey' }).click();
    await a.page.waitForURL(done);
    const claims = JSON.parse(Buffer.from((await tokenOf(a.page))!.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(claims.amr, ['pwd', 'hwk']);
  });

  test('forgot password, the emailed link, a new password: the new one works, the old one no longer', async () => {
    const { creds } = await register(s.t.app);
    const page = await open(withTarget('/ui/forgot-password'));
    await checkPage(page, 'forgot-password');
    await page.getByLabel('Email').fill(creds.email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByRole('status').filter({ hasText: `If ${creds.email} has an account` }).waitFor();
    // Same answer for an address without an account.
    const nobody = await open('/ui/forgot-password');
    await nobody.getByLabel('Email').fill('nobody@example.test');
    await nobody.getByRole('button', { name: 'Send me a link' }).click();
    await nobody.getByRole('status').filter({ hasText: 'If nobody@example.test has an account' }).waitFor();

    const mail = await s.sink.latest(creds.email, /Reset your/);
    const link = linkOf(mail, `${s.origin}/ui/reset-password?token=`);
    await page.goto(link);
    await page.locator('#password-rules li').first().waitFor();
    await checkPage(page, 'reset-password');
    const fresh = `new-${creds.password}`;
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Confirm the new password').fill(`${fresh}!`);
    await page.getByRole('button', { name: 'Change my password' }).click();
    await alert(page, 'The two passwords are not the same.').waitFor();
    await page.getByLabel('Confirm the new password').fill(fresh);
    await page.getByRole('button', { name: 'Change my password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password has been changed' }).waitFor();
    assert.doesNotMatch(page.url(), /token=/);

    // The emailed link cannot carry redirectTo: the flow ends at the account page.
    await page.getByRole('link', { name: 'Sign in with the new password' }).click();
    await page.waitForURL(/\/ui\/sign-in$/);
    await signInOnPage(page, creds.email, creds.password);
    await alert(page, 'The email, username or password is not right.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(fresh);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/ui/account');
    assert.equal((await apiLogin(creds)).statusCode, 401);
    assert.equal((await apiLogin({ email: creds.email, password: fresh })).statusCode, 200);

    // The link works once.
    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(`again-${fresh}`);
    await page.getByLabel('Confirm the new password').fill(`again-${fresh}`);
    await page.getByRole('button', { name: 'Change my password' }).click();
    await alert(page, 'The link or code is invalid or was already used').waitFor();
  });

  test('reset with the emailed code instead of the link', async () => {
    const { creds } = await register(s.t.app);
    const page = await open('/ui/forgot-password');
    await page.getByLabel('Email').fill(creds.email);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByRole('link', { name: 'Enter the code from the email' }).click();
    await page.waitForURL(/\/ui\/reset-password$/);
    const mail = await s.sink.latest(creds.email, /Reset your/);
    const fresh = `code-${creds.password}`;
    await page.getByLabel('Email').fill(creds.email);
    await page.getByLabel('6-digit code').fill(codeOf(mail));
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Confirm the new password').fill(fresh);
    await page.getByRole('button', { name: 'Change my password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password has been changed' }).waitFor();
    assert.equal((await apiLogin({ email: creds.email, password: fresh })).statusCode, 200);
  });

  test('reauth.js: a call that needs a recent sign-in asks for the password, then runs again', async () => {
    const { creds } = await register(s.t.app);
    const page = await open(`/ui/sign-in?redirectTo=${encodeURIComponent('/ui/mfa/enroll')}`);
    await signInOnPage(page, creds.username, creds.password);
    await page.waitForURL(/\/ui\/mfa\/enroll$/);
    await page.locator('#totp-secret').filter({ hasText: /\S/ }).waitFor();
    clock.advance(6 * 60_000); // past AUTH_REAUTH_MAX_AGE
    const fresh = `changed-${creds.password}`;
    await page.evaluate(async ([currentPassword, newPassword]) => {
      const { withReauth } = await import('/ui/assets/reauth.js' as string);
      const { api } = await import('/ui/assets/ui.js' as string);
      const w = window as unknown as { reauthDone: Promise<unknown> };
      w.reauthDone = withReauth(
        () => api('/auth/password/change', { method: 'POST', auth: true, body: { currentPassword, newPassword } }),
        document.querySelector('#reauth')).catch((err: { code?: string }) => ({ failed: err.code ?? String(err) }));
    }, [creds.password, fresh] as const);
    const form = page.getByRole('group', { name: 'Confirm it\'s you' });
    await form.waitFor();
    // No factor: the password is the only way, so there is nothing to choose.
    assert.equal(await form.getByLabel('How to confirm').count(), 0);
    await form.getByLabel('Password', { exact: true }).fill('not the password');
    await form.getByRole('button', { name: 'Confirm' }).click();
    await alert(page, 'not right').waitFor();
    await form.getByLabel('Password', { exact: true }).fill(creds.password);
    await form.getByRole('button', { name: 'Confirm' }).click();
    const result = await page.evaluate(() => (window as unknown as { reauthDone: Promise<{ message: string }> }).reauthDone);
    assert.match(result.message, /Password changed/);
    assert.equal(await form.count(), 0, 'the form is gone');
    assert.equal((await apiLogin({ email: creds.email, password: fresh })).statusCode, 200);
  });

  test('reauth.js: with an authenticator app, a code from it confirms instead; cancelling rejects', async () => {
    const { creds, secret } = await withTotp();
    const challenge = json(await apiLogin(creds));
    const signedIn = json(await s.t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { verification_id: challenge.verification_id, code: await totp(secret, clock.now()), method: 'totp' } }));
    const page = await open('/healthz');
    await page.evaluate((token) => sessionStorage.setItem('tessera.access', token), signedIn.accessToken as string);
    await page.goto(`${s.origin}/ui/mfa/enroll`);
    await alert(page, 'Your account already has an authenticator app.').waitFor();
    clock.advance(6 * 60_000);
    const start = () => page.evaluate(async () => {
      const { withReauth } = await import('/ui/assets/reauth.js' as string);
      const { api } = await import('/ui/assets/ui.js' as string);
      (window as unknown as { reauthDone: Promise<unknown> }).reauthDone = withReauth(
        () => api('/auth/mfa/recovery-codes', { method: 'POST', auth: true }),
        document.querySelector('#reauth')).catch((err: { code?: string }) => ({ failed: err.code ?? String(err) }));
    });
    const outcome = () => page.evaluate(() => (window as unknown as { reauthDone: Promise<Record<string, unknown>> }).reauthDone);
    const form = page.getByRole('group', { name: 'Confirm it\'s you' });

    await start();
    await form.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await outcome(), { failed: 'reauthentication_required' });
    assert.equal(await form.count(), 0);

    await start();
    const how = form.getByLabel('How to confirm');
    await how.waitFor(); // the form appears once the account's factors are known
    assert.deepEqual(await how.locator('option').allTextContents(), ['My password', 'A code from my authenticator app', 'A recovery code']);
    await how.selectOption({ label: 'A code from my authenticator app' });
    await form.getByLabel('Code from your authenticator app').fill(await totp(secret, clock.now()));
    await form.getByRole('button', { name: 'Confirm' }).click();
    const result = await outcome();
    assert.equal((result.recoveryCodes as string[]).length, 10);
    assert.equal(await form.count(), 0);
  });

  test('French: the pages and their scripts speak French', async () => {
    const c = uniqueCredentials('fr');
    const page = await open('/ui/sign-up?lang=fr');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await page.getByRole('heading', { level: 1, name: 'Créer un compte' }).waitFor();
    await page.locator('#password-rules li').first().waitFor();
    assert.match(await page.locator('#password-rules').innerText(), /Votre mot de passe doit :[\s\S]*compter de 8 à 128 caractères/);
    await page.getByLabel('Nom d’utilisateur').fill(c.username);
    await page.getByLabel('E-mail').fill(c.email);
    await page.getByLabel('Mot de passe', { exact: true }).fill('court');
    await page.getByRole('button', { name: 'Créer le compte' }).click();
    await alert(page, 'Le mot de passe est trop court.').waitFor();
    // The language is remembered for the next pages.
    await page.goto(`${s.origin}/ui/reset-password?token=x`);
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill('un mot de passe');
    await page.getByLabel('Confirmez le nouveau mot de passe').fill('un autre');
    await page.getByRole('button', { name: 'Changer mon mot de passe' }).click();
    await alert(page, 'Les deux mots de passe ne sont pas identiques.').waitFor();
    await page.goto(`${s.origin}/ui/mfa`);
    await page.getByText('Aucune connexion n’attend de deuxième étape').waitFor();
  });

  test('keyboard only: the sign-in page in focus order, identifier, password, then the button', async () => {
    const { creds } = await register(s.t.app);
    const page = await open(withTarget('/ui/sign-in'));
    await checkPage(page, 'sign-in');
    const focused = () => page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      return a ? (a.id || `${a.tagName.toLowerCase()}:${a.textContent?.trim() ?? ''}`) : '';
    });
    // The identifier has autofocus; should the browser not honour it, Tab gets there first.
    const path: string[] = [];
    for (let i = 0; i < 10 && (await focused()) !== 'identifier'; i++) {
      await page.keyboard.press('Tab');
      path.push(await focused());
    }
    assert.equal(await focused(), 'identifier', `focus went ${path.join(' > ')}`);
    await page.keyboard.type(creds.username);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'password');
    await page.keyboard.type(creds.password);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'button:Sign in');
    await page.keyboard.press('Enter');
    await page.waitForURL(done);
  });

  after(async () => { for (const c of contexts) await c.close().catch(() => {}); });
});

describe('hosted pages under stricter settings: MFA required for admins, passwords that expire', { skip }, () => {
  const clock = new ManualClock(Date.now());
  let s: UiServer;
  let browser: Browser;
  before(async () => {
    s = await startUiServer({ clock, env: { AUTH_MFA_REQUIRED_FOR_ROLES: 'admin', AUTH_PASSWORD_CHANGE_REQUIRED_DAYS: '1' } });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  test('an admin without a factor enrols on /ui/mfa/enroll with the enrollment token, which signs in', async () => {
    const { creds, user } = await register(s.t.app); // the first account: admin
    assert.equal(user.role, 'admin');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${s.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui?email_verified=true')}`);
    await page.getByLabel('Email or username').fill(creds.username);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/ui\/mfa\/enroll\?redirectTo=/);
    await page.getByText('Your role requires two-step verification.').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tessera.access')), null, 'not signed in yet');
    const secret = (await page.locator('#totp-secret').filter({ hasText: /^[A-Z2-7]{32}$/ }).textContent())!;
    await page.getByLabel('6-digit code').fill(await generate({ secret, epoch: Math.floor(clock.now() / 1000) }));
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const token = await page.evaluate(() => sessionStorage.getItem('tessera.access'));
    assert.ok(token, 'the verify step signed in');
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('tessera.enroll')), null);
    await page.getByRole('button', { name: 'I have saved them, continue' }).click();
    await page.waitForURL(/\/ui\?email_verified=true$/);
    await context.close();
  });

  test('sign-in with an old password asks for a new one on /ui/password-expired, then signs in', async () => {
    const { creds } = await register(s.t.app);
    clock.advance(2 * 86_400_000);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${s.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui?email_verified=true')}`);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/ui\/password-expired\?/);
    await page.locator('#password-rules li').first().waitFor();
    await checkPage(page, 'password-expired');
    // Never the expired one again.
    await page.getByLabel('New password', { exact: true }).fill(creds.password);
    await page.getByLabel('Confirm the new password').fill(creds.password);
    await page.getByRole('button', { name: 'Change my password and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The password was used recently' }).waitFor();
    const fresh = `renewed-${creds.password}`;
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('Confirm the new password').fill(fresh);
    await page.getByRole('button', { name: 'Change my password and sign in' }).click();
    await page.waitForURL(/\/ui\?email_verified=true$/);
    const token = await page.evaluate(() => sessionStorage.getItem('tessera.access'));
    assert.ok(token);
    const login = await s.t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: fresh, client: 'native' } });
    assert.equal(login.statusCode, 200, login.body);

    // Without a pending change, the page says so.
    await page.goto(`${s.origin}/ui/password-expired`);
    await page.getByText('No password change is waiting.').waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).isVisible(), false);
    await context.close();
  });
});
