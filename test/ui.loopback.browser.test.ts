// Issue 33.6 in Chromium: with the default settings (HOST=127.0.0.1, no AUTH_PUBLIC_URL,
// so the configured origin is http://localhost:<port>), a browser that opened the hosted
// pages at http://127.0.0.1:<port>/ui signs in, reloads, and stays signed in: its sign-in
// and the refresh by cookie carry Origin http://127.0.0.1:<port>, which is the origin the
// request was addressed to. A page on another origin still cannot use the cookie.
import { freePort } from '../scripts/services.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, register, type TestApp } from './helpers/app.ts';
import { browserSkip, launch, pageServer } from './helpers/browser.ts';

const skip = browserSkip();


describe('the hosted pages on the loopback address, with the defaults', { skip }, () => {
  let t: TestApp;
  let origin: string;
  let browser: Browser;

  before(async () => {
    const port = await freePort();
    // Only the port: HOST, AUTH_PUBLIC_URL, AUTH_CLIENT_URL and the cookie settings are the defaults.
    t = await createTestApp({ env: { PORT: String(port) } });
    assert.equal(t.config.host, '127.0.0.1');
    assert.equal(t.config.publicUrl, undefined);
    await t.app.listen({ port, host: t.config.host });
    origin = `http://127.0.0.1:${port}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const accountLoaded = (page: Page) => page.locator('body[data-loaded="true"]').waitFor();
  /** Signs in on the hosted page at the loopback address; ends on the loaded account page. */
  async function signIn(page: Page, creds: { email: string; password: string }): Promise<void> {
    await page.goto(`${origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui/account')}`);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${origin}/ui/account`);
    await accountLoaded(page);
    await page.getByText(creds.email).first().waitFor();
  }

  test('sign in on http://127.0.0.1:<port>/ui, reload, and stay signed in', async () => {
    const { creds } = await register(t.app);
    const context = await browser.newContext();
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('response', (res) => { if (res.status() === 403) refusals.push(`${res.request().method()} ${res.url()}`); });

    await signIn(page, creds);

    // The access token lives in the tab; without it the page must refresh by cookie.
    await page.evaluate(() => sessionStorage.removeItem('tessera.access'));
    const refreshed = page.waitForResponse((res) => res.url() === `${origin}/auth/refresh`);
    await page.reload();
    const refresh = await refreshed;
    assert.equal(refresh.status(), 200, await refresh.text());
    assert.equal(await refresh.request().headerValue('origin'), origin, 'the browser sent the loopback origin');
    await page.waitForURL(`${origin}/ui/account`);
    await accountLoaded(page);
    await page.getByText(creds.email).first().waitFor();

    // A plain reload too, and a second tab of the same browser (no token of its own).
    await page.reload();
    await accountLoaded(page);
    const tab = await context.newPage();
    await tab.goto(`${origin}/ui/account`);
    await tab.waitForURL(`${origin}/ui/account`);
    await accountLoaded(tab);
    await tab.getByText(creds.email).first().waitFor();
    assert.deepEqual(refusals, []);
    await context.close();
  });

  test('a page on another origin in the same browser is still refused, and changes nothing', async () => {
    const { creds } = await register(t.app);
    const other = await pageServer(); // http://localhost:<another port>
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await signIn(page, creds);
      const stranger = await context.newPage();
      await stranger.goto(other.origin);
      // A plain HTML form posted from the other page (no preflight, the page navigates to the answer).
      const answered = stranger.waitForResponse((res) => res.url() === `${origin}/auth/refresh`);
      await stranger.evaluate((url) => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = url;
        document.body.append(form);
        form.submit();
      }, `${origin}/auth/refresh`);
      const res = await answered;
      assert.equal(await res.request().headerValue('origin'), other.origin);
      assert.equal(res.status(), 403);
      assert.equal((await res.json()).code, 'csrf_rejected');

      // The signed-in tab is unaffected: its cookie still refreshes from its own origin.
      await page.evaluate(() => sessionStorage.removeItem('tessera.access'));
      await page.reload();
      await page.waitForURL(`${origin}/ui/account`);
      await accountLoaded(page);
      await page.getByText(creds.email).first().waitFor();
    } finally {
      await context.close();
      await other.close();
    }
  });
});
