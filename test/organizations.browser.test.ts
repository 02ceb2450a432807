// Organizations in the hosted pages, in Chromium: an invitation email's link opens
// /ui/invitation; a newcomer creates the invited account there and signs in; a signed-in
// invitee accepts with one click; the account page lists the organizations (and pending
// invitations) and leaving works. Each effect is checked through the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { bearer, json, uniqueCredentials, type Credentials } from './helpers/app.ts';
import { browserSkip, launch } from './helpers/browser.ts';
import { linkOf, tokenOf } from './helpers/smtp.ts';
import { assertAccessible, startUiServer, type UiServer } from './helpers/ui.ts';

describe('organizations in the hosted pages (Chromium)', { skip: browserSkip() }, () => {
  let browser: Browser;
  let ui: UiServer;
  let admin: Credentials & { id: string; token: string };

  before(async () => {
    browser = await launch();
    ui = await startUiServer({ env: { AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_EMAIL_VERIFICATION_REQUIRED: 'false' } });
    admin = await register('admin'); // the installation's first account: admin and super_admin
  });
  after(async () => {
    await ui?.close();
    await browser?.close();
  });

  const inject = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>, token?: string) =>
    ui.t.app.inject({ method, url, ...(payload ? { payload } : {}), ...(token ? { headers: bearer(token) } : {}) });
  const loaded = (page: Page) => page.locator('body[data-loaded="true"]').waitFor();

  async function register(prefix = 'orgui'): Promise<Credentials & { id: string; token: string }> {
    const creds = uniqueCredentials(prefix);
    const res = await inject('POST', '/auth/register', { ...creds });
    assert.equal(res.statusCode, 201, res.body);
    const login = await inject('POST', '/auth/login', { email: creds.email, password: creds.password, client: 'native' });
    assert.equal(login.statusCode, 200, login.body);
    return { ...creds, id: json(res).user.id, token: json(login).accessToken };
  }

  /** An organization of a new owner, and the link of an invitation to `email`. */
  async function invite(email: string, name: string): Promise<{ orgId: string; link: string; owner: string }> {
    const owner = await register('owner');
    const org = await inject('POST', '/auth/organizations', { name }, owner.token);
    assert.equal(org.statusCode, 201, org.body);
    const sent = ui.sink.messages.length;
    const inv = await inject('POST', `/auth/organizations/${json(org).id}/invitations`, { email }, owner.token);
    assert.equal(inv.statusCode, 201, inv.body);
    const mail = await ui.sink.latest(email, /invited/i, sent);
    return { orgId: json(org).id, link: linkOf(mail, `${ui.origin}/ui/invitation?token=`), owner: owner.token };
  }

  async function signIn(page: Page, creds: Credentials): Promise<void> {
    await page.goto(`${ui.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui/account')}`);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${ui.origin}/ui/account**`);
    await loaded(page);
  }

  test('a newcomer opens the emailed link, creates the invited account, signs in and sees the organization', async () => {
    const creds = uniqueCredentials('newcomer');
    const { orgId, link } = await invite(creds.email, 'Hosted Newcomers');
    const page = await (await browser.newContext()).newPage();
    try {
      await page.goto(link);
      await loaded(page);
      await page.getByText('You are invited to join Hosted Newcomers as member.').waitFor();
      await assertAccessible(page, 'invitation (anonymous)');
      await page.getByLabel('Username').fill(creds.username);
      await page.getByLabel('Password', { exact: true }).fill(creds.password);
      await page.getByRole('button', { name: 'Create my account and join' }).click();
      await page.getByText('Your account was created and joined Hosted Newcomers.').waitFor();
      const user = await ui.t.deps.users.findByEmail(creds.email);
      assert.equal(user?.email_verified, true);

      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.getByLabel('Email or username').fill(creds.email);
      await page.getByLabel('Password', { exact: true }).fill(creds.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${ui.origin}/ui/account**`);
      await loaded(page);
      const item = page.locator('#organizations li', { hasText: 'Hosted Newcomers' });
      await item.waitFor();
      assert.match(await item.innerText(), /Role: member/);
      await assertAccessible(page, 'account with organizations');
      // The link is spent.
      const again = await inject('POST', '/auth/organizations/invitations/lookup', { token: tokenOf(link) });
      assert.equal(json(again).code, 'invitation_invalid');
      const members = await ui.t.deps.db.selectFrom('organization_members').select('user_id').where('organization_id', '=', orgId).execute();
      assert.ok(members.some((m) => m.user_id === user!.id));
    } finally {
      await page.context().close();
    }
  });

  test('a signed-in invitee sees the invitation on the account page, accepts from the link, and leaves', async () => {
    const member = await register('invitee');
    const page = await (await browser.newContext()).newPage();
    page.on('dialog', (d) => { void d.accept(); });
    try {
      await signIn(page, member);
      const { orgId, link } = await invite(member.email, 'Hosted Invitees');
      await page.reload();
      await loaded(page);
      await page.locator('#org-invitations li', { hasText: 'Hosted Invitees' }).waitFor();

      await page.goto(link);
      await loaded(page);
      await page.getByRole('button', { name: 'Accept the invitation' }).click();
      await page.getByText('You joined Hosted Invitees.').waitFor();
      const mine = json(await inject('GET', '/auth/organizations', undefined, member.token)).organizations;
      assert.deepEqual(mine.map((o: { id: string }) => o.id), [orgId]);

      await page.getByRole('link', { name: 'Go to your account' }).click();
      await loaded(page);
      await page.getByRole('button', { name: 'Leave Hosted Invitees' }).click();
      await page.getByText('You left Hosted Invitees.').waitFor();
      assert.deepEqual(json(await inject('GET', '/auth/organizations', undefined, member.token)).organizations, []);

      // Someone else's invitation link: refused with the reason.
      const other = await invite(uniqueCredentials('else').email, 'Hosted Others');
      await page.goto(other.link);
      await loaded(page);
      await page.getByRole('button', { name: 'Accept the invitation' }).click();
      await page.getByText('This invitation is for another email address').waitFor();
    } finally {
      await page.context().close();
    }
  });

  test('the dashboard lists organizations, shows members, removes one and deletes an organization', async () => {
    const member = await register('dashmember');
    const { orgId } = await invite(member.email, 'Dashboard Corp');
    const added = await inject('POST', `/admin/organizations/${orgId}/members`, { userId: member.id }, admin.token);
    assert.equal(added.statusCode, 201, added.body);
    const page = await (await browser.newContext()).newPage();
    page.on('dialog', (d) => { void d.accept(); });
    try {
      await signIn(page, admin);
      await page.goto(`${ui.origin}/admin/ui/organizations`);
      await page.getByLabel('Search by name or slug').fill('Dashboard');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('button', { name: 'Members of Dashboard Corp' }).click();
      await page.getByRole('button', { name: `Remove ${member.username}` }).click();
      await page.getByText(`${member.username} was removed.`).waitFor();
      assert.deepEqual(json(await inject('GET', '/auth/organizations', undefined, member.token)).organizations, []);
      await assertAccessible(page, 'dashboard organizations');
      await page.getByRole('button', { name: 'Delete Dashboard Corp' }).click();
      await page.getByText('Dashboard Corp was deleted.').waitFor();
      assert.equal((await inject('GET', `/admin/organizations/${orgId}`, undefined, admin.token)).statusCode, 404);
    } finally {
      await page.context().close();
    }
  });
});
