// One user's whole life through the hosted pages and the dashboard, in Chromium, in one
// run: sign up, verify through the emailed link, sign in, enrol an authenticator app by
// reading the secret off the page, sign out, sign in with the second step, reset the
// password by the emailed link, sign out a second device from the account page; then an
// administrator finds the user in the dashboard, disables them, and the user's session dies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { generate } from 'otplib';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, json, uniqueCredentials } from './helpers/app.ts';
import { browserSkip, launch } from './helpers/browser.ts';
import { linkOf } from './helpers/smtp.ts';
import { startUiServer, type UiServer } from './helpers/ui.ts';

const skip = browserSkip();

describe('a user from sign-up to being disabled, through the pages', { skip }, () => {
  // Frozen at the real time (the page checks token expiry with the browser's clock) and moved
  // on by hand, so that each TOTP code falls in a time step of its own.
  const clock = new ManualClock(Date.now());
  let s: UiServer;
  let browser: Browser;
  const admin = uniqueCredentials('boss');
  const user = uniqueCredentials('journey');
  const newPassword = 'a brand new passphrase 42';

  before(async () => {
    s = await startUiServer({ clock });
    browser = await launch();
    // The first account becomes the administrator.
    const reg = await s.t.app.inject({ method: 'POST', url: '/auth/register', payload: admin });
    assert.equal(reg.statusCode, 201, reg.body);
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  const code = async (secret: string) => {
    clock.advance(30_000);
    return generate({ secret, epoch: Math.floor(clock.now() / 1000) });
  };
  async function signIn(page: Page, identifier: string, password: string) {
    await page.getByLabel('Email or username').fill(identifier);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }
  const accountLoaded = (page: Page) => page.locator('body[data-loaded="true"]').waitFor();

  test('the whole journey', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();

    // Sign up, then follow the verification link from the mailbox.
    await page.goto(`${s.origin}/ui/sign-up`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.waitForURL(/\/ui\/verify-email/);
    const verification = await s.sink.latest(user.email, /Verify your email/);
    await page.goto(linkOf(verification, `${s.origin}/auth/verify-email`));
    await page.getByText('Your email address is verified.').waitFor();

    // Sign in; without redirectTo the account page follows.
    await page.goto(`${s.origin}/ui/sign-in`);
    await signIn(page, user.email, user.password);
    await page.waitForURL(`${s.origin}/ui/account`);
    await accountLoaded(page);
    assert.equal(await page.locator('#profile-verified').textContent(), 'Verified');

    // Enrol an authenticator app from the account page, reading the secret off the page.
    await page.getByRole('link', { name: 'Set up an authenticator app' }).click();
    await page.waitForURL(/\/ui\/mfa\/enroll/);
    await page.waitForFunction(() => /\S/.test(document.querySelector('#totp-secret')?.textContent ?? ''));
    const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s+/g, '');
    assert.match(secret, /^[A-Z2-7]{16,}$/);
    await page.getByLabel('6-digit code').fill(await code(secret));
    await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    assert.equal(await page.locator('.codes li').count(), 10);
    await page.getByRole('button', { name: 'I have saved them, continue' }).click();
    await page.waitForURL(`${s.origin}/ui/account`);
    await accountLoaded(page);
    await page.locator('#main').getByText('Authenticator app', { exact: true }).first().waitFor();

    // Sign out, then sign in again: the second step is asked for.
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.waitForURL(/\/ui\/sign-in/);
    await signIn(page, user.username, user.password);
    await page.waitForURL(/\/ui\/mfa/);
    await page.getByLabel('Code from your authenticator app').fill(await code(secret));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.waitForURL(`${s.origin}/ui/account`);
    await accountLoaded(page);

    // Forgot the password: the emailed link resets it; the old one stops working.
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.waitForURL(/\/ui\/sign-in/);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(user.email);
    const before = s.sink.messages.length;
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText(`If ${user.email} has an account`).waitFor();
    const reset = await s.sink.latest(user.email, /password/i, before);
    await page.goto(linkOf(reset, `${s.origin}/ui/reset-password`));
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm the new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change my password' }).click();
    await page.getByText('Your password has been changed').waitFor();
    const old = await s.t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: user.password, client: 'native' } });
    assert.equal(old.statusCode, 401);
    await page.getByRole('link', { name: 'Sign in with the new password' }).click();
    await signIn(page, user.email, newPassword);
    await page.waitForURL(/\/ui\/mfa/);
    await page.getByLabel('Code from your authenticator app').fill(await code(secret));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.waitForURL(`${s.origin}/ui/account`);

    // A second device (a native app), signed out from the account page.
    const first = await s.t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: newPassword, client: 'native' } });
    assert.equal(first.statusCode, 401);
    const app = await s.t.app.inject({ method: 'POST', url: '/auth/login/mfa', payload: { verification_id: json(first).verification_id, method: 'totp', code: await code(secret) } });
    assert.equal(app.statusCode, 200, app.body);
    const appRefresh = json(app).refreshToken as string;
    await page.reload();
    await accountLoaded(page);
    assert.equal(await page.locator('#sessions > li').count(), 2);
    await page.getByRole('button', { name: 'Sign out App' }).click();
    await page.getByText('App was signed out.').waitFor();
    assert.equal(await page.locator('#sessions > li').count(), 1);
    const dead = await s.t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: appRefresh } });
    assert.equal(dead.statusCode, 401);

    // The user's browser session works until an administrator disables the account.
    const userToken = (await page.evaluate(() => sessionStorage.getItem('tessera.access')))!;
    assert.equal((await s.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(userToken) })).statusCode, 200);

    const adminContext = await browser.newContext();
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${s.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/admin/ui/users')}`);
    await signIn(adminPage, admin.username, admin.password);
    await adminPage.waitForURL(`${s.origin}/admin/ui/users`);
    await adminPage.getByLabel('Search').fill(user.email);
    await adminPage.getByRole('button', { name: 'Apply' }).click();
    await adminPage.getByRole('link', { name: user.username, exact: true }).click();
    await adminPage.getByRole('heading', { level: 1, name: `User ${user.username}` }).waitFor();
    adminPage.once('dialog', (d) => void d.accept());
    await adminPage.getByRole('button', { name: 'Disable', exact: true }).click();
    await adminPage.getByRole('button', { name: 'Enable', exact: true }).waitFor();

    // The session died: the access token is refused at once, and the page cannot refresh.
    const me = await s.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(userToken) });
    assert.equal(me.statusCode, 401);
    await page.evaluate(() => sessionStorage.removeItem('tessera.access'));
    await page.reload();
    await page.waitForURL(/\/ui\/sign-in\?redirectTo=%2Fui%2Faccount/);
    await signIn(page, user.email, newPassword);
    await page.getByRole('alert').filter({ hasText: 'This account is disabled' }).waitFor();

    await adminContext.close();
    await context.close();
  });
});
