// The admin dashboard (/admin/ui) in Chromium, through its labels and roles: the first
// account signs in through /ui/sign-in and comes back to the overview, whose charts show
// what happened; a user is found, opened and disabled (their tokens stop working at once);
// a role gets a permission; a service account's secret is shown once; a webhook delivery
// is seen and replayed; a provider is stored without its secret ever reaching the page;
// the signing key is rotated; someone without the permissions is told so, in their
// language. Every page passes axe-core and is photographed (docs/screenshots/admin-*).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { generate } from 'otplib';
import { bearer, json, register, type Credentials } from './helpers/app.ts';
import { browserSkip, launch } from './helpers/browser.ts';
import { Receiver } from './helpers/receiver.ts';
import { checkPage, startUiServer, type UiServer } from './helpers/ui.ts';

const skip = browserSkip();

describe('admin dashboard in Chromium', { skip }, () => {
  let s: UiServer;
  let browser: Browser;
  let receiver: Receiver;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const admin: Credentials = { username: 'ada', email: 'ada@example.com', password: 'correct horse battery staple' };
  const grace: Credentials = { username: 'grace', email: 'grace.hopper@example.com', password: 'cobol is forever 1959' };
  const linus: Credentials = { username: 'linus', email: 'linus@example.com', password: 'just for fun 1991!' };
  let graceTokens: { accessToken: string; refreshToken: string; id: string };

  before(async () => {
    receiver = await new Receiver().start();
    // The webhook receiver listens on loopback.
    s = await startUiServer({ env: { AUTH_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    browser = await launch();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await s?.close();
    await receiver?.stop();
  });

  const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token?: string, payload?: Record<string, unknown>) =>
    s.t.app.inject({ method, url, ...(token ? { headers: bearer(token) } : {}), ...(payload ? { payload } : {}) });
  const nativeLogin = async (c: Credentials) => {
    const res = await inject('POST', '/auth/login', undefined, { email: c.email, password: c.password, client: 'native' });
    assert.equal(res.statusCode, 200, res.body);
    return json(res) as { accessToken: string; refreshToken: string; user: { id: string } };
  };
  /** A token of the admin for checks through the API (a sign-in of its own, counted once it is made). */
  const adminToken = async () => (await nativeLogin(admin)).accessToken;
  const alert = (p: Page, text: string | RegExp) => p.getByRole('alert').filter({ hasText: text });
  const status = (p: Page, text: string | RegExp) => p.getByRole('status').filter({ hasText: text });
  const nav = (name: string) => page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true });

  async function signIn(p: Page, c: Credentials): Promise<void> {
    await p.getByLabel('Email or username').fill(c.username);
    await p.getByLabel('Password', { exact: true }).fill(c.password);
    await p.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  test('the first account is the administrator; /admin/ui sends to sign-in and back', async () => {
    await register(s.t.app, admin);
    await register(s.t.app, grace);
    await register(s.t.app, linus);
    // Activity the overview must show: two sign-ins through the API, three failures.
    const g = await nativeLogin(grace);
    graceTokens = { accessToken: g.accessToken, refreshToken: g.refreshToken, id: g.user.id };
    const l = await nativeLogin(linus);
    for (const payload of [{ email: grace.email, password: 'wrong password 1' }, { email: grace.email, password: 'wrong password 2' }, { email: 'nobody@example.com', password: 'whatever it is' }]) {
      assert.equal((await inject('POST', '/auth/login', undefined, payload)).statusCode, 401);
    }
    // linus sets up an authenticator app: one user in three has MFA.
    const setup = json(await inject('POST', '/auth/mfa/totp/setup', l.accessToken));
    const verified = await inject('POST', '/auth/mfa/totp/verify', l.accessToken, { code: await generate({ secret: setup.secret, epoch: Math.floor(Date.now() / 1000) }) });
    assert.equal(verified.statusCode, 200, verified.body);

    context = await browser.newContext();
    page = await context.newPage();
    // Answers of 401 and 403 are expected (the first visit has no session); script errors are not.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${s.origin}/admin/ui`);
    await page.waitForURL(/\/ui\/sign-in\?redirectTo=%2Fadmin%2Fui$/);
    await signIn(page, admin);
    await page.waitForURL(`${s.origin}/admin/ui`);
    // The rule of docs/api.md: the first account gets `admin`, and `super_admin` as an extra role.
    const token = await page.evaluate(() => sessionStorage.getItem('tessera.access'));
    const perms = json(await inject('GET', '/auth/permissions', token!));
    assert.deepEqual([perms.role, [...perms.roles].sort()], ['admin', ['admin', 'super_admin']]);
  });

  test('overview: key figures and accessible charts of what happened', async () => {
    assert.equal(await nav('Overview').getAttribute('aria-current'), 'page');
    await page.locator('#m-users').filter({ hasText: '3' }).waitFor();
    const figure = async (id: string) => (await page.locator(`#${id}`).textContent())?.trim();
    assert.equal(await figure('m-users'), '3');
    assert.equal(await figure('m-sign-ins'), '3', 'grace, linus and the admin in this browser');
    assert.equal(await figure('m-failures'), '3');
    assert.equal(await figure('m-failures-note'), '50% of attempts');
    assert.equal(await figure('m-mfa'), '33.3%');
    assert.equal(await figure('m-mfa-note'), '1 of 3 users');
    assert.equal(await figure('m-sessions'), '3');
    // Each chart is an image named by its title and described by its summary.
    const charts = page.locator('svg[role="img"]');
    assert.ok(await charts.count() >= 5, 'sign-ins, new users, MFA donut, methods, reasons');
    const signIns = page.getByRole('img', { name: /Sign-ins per day/ });
    assert.match(await signIns.getAttribute('aria-labelledby') ?? '', /^chart-title-\d+$/);
    assert.match(await signIns.getAttribute('aria-describedby') ?? '', /^chart-desc-\d+$/);
    assert.match(await signIns.locator('desc').textContent() ?? '', /3 sign-ins succeeded and 3 failed/);
    assert.equal(await signIns.locator('rect.bar').count(), 2, "today's succeeded and failed bars");
    assert.match(await page.getByRole('img', { name: /MFA adoption/ }).locator('text.big').textContent() ?? '', /33\.3%/);
    // The figures are in tables too: today's row of sign-ins, the failure reasons.
    const signInsCard = page.locator('section', { has: page.getByRole('heading', { name: 'Sign-ins per day' }) });
    await signInsCard.getByText('Show the figures').click();
    const lastRow = signInsCard.locator('tbody tr').last();
    assert.deepEqual(await lastRow.locator('td').allTextContents(), ['3', '3']);
    assert.equal(await signInsCard.locator('tbody tr').count(), 14);
    const reasons = page.locator('section', { has: page.getByRole('heading', { name: 'Top failure reasons' }) });
    await reasons.getByText('Show the figures').click();
    assert.deepEqual(await reasons.locator('tbody tr').allInnerTexts(), ['Wrong password\t2', 'Unknown account\t1']);
    // Another period is a query parameter.
    await page.getByLabel('Period', { exact: true }).selectOption('30');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL(/\/admin\/ui\?days=30$/);
    await page.locator('#m-sign-ins').filter({ hasText: '3' }).waitFor();
    assert.match(await page.locator('#window').textContent() ?? '', /^From .+ to .+ \(UTC\)$/);
    await checkPage(page, 'admin-overview');
  });

  test('users: search by email, filters and pages in the URL; a user disabled (their tokens die), a role added and removed', async () => {
    await nav('Users').click();
    await page.waitForURL(`${s.origin}/admin/ui/users`);
    await page.getByRole('link', { name: 'grace' }).waitFor();
    assert.equal(await page.locator('#users tbody tr').count(), 3);
    await checkPage(page, 'admin-users');

    await page.getByLabel('Search').fill('hopper@');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/\/admin\/ui\/users\?q=hopper%40$/);
    await page.locator('#result-count').filter({ hasText: '1 user shown' }).waitFor();
    assert.deepEqual(await page.locator('#users tbody th').allTextContents(), ['grace']);
    // A reload keeps the search; so does coming back.
    await page.reload();
    assert.equal(await page.getByLabel('Search').inputValue(), 'hopper@');
    await page.locator('#result-count').filter({ hasText: '1 user shown' }).waitFor();
    await page.getByLabel('Status').selectOption('false');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No user matches these filters.').waitFor();
    await page.goBack();
    await page.getByRole('link', { name: 'grace' }).waitFor();
    // Pages: one user each, newest first; "Previous" comes back.
    await page.goto(`${s.origin}/admin/ui/users?limit=1`);
    await page.getByRole('link', { name: 'linus' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Previous page' }).getAttribute('aria-disabled'), 'true');
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.getByRole('link', { name: 'grace' }).waitFor();
    assert.match(await page.locator('#result-count').textContent() ?? '', /Page 2/);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.getByRole('link', { name: 'ada', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Next page' }).getAttribute('aria-disabled'), 'true');
    await page.getByRole('link', { name: 'Previous page' }).click();
    await page.getByRole('link', { name: 'grace' }).click();

    await page.waitForURL(`${s.origin}/admin/ui/users/${graceTokens.id}`);
    await page.getByRole('heading', { level: 1, name: 'User grace' }).waitFor();
    // The content shows once every section has loaded (audit trail and linked accounts last).
    await page.locator('#content').waitFor();
    assert.equal(await nav('Users').getAttribute('aria-current'), 'true');
    const sessions = page.locator('section', { has: page.getByRole('heading', { name: 'Sessions' }) });
    assert.equal(await sessions.locator('tbody tr').count(), 1);
    const audit = page.locator('section', { has: page.getByRole('heading', { name: 'Recent activity' }) });
    await audit.getByText('Wrong password').first().waitFor();
    await checkPage(page, 'admin-user');

    // Disabling ends every session of grace at once: her access token and refresh token stop working.
    assert.equal((await inject('GET', '/auth/me', graceTokens.accessToken)).statusCode, 200);
    page.once('dialog', (d) => { assert.match(d.message(), /Disable grace\?/); void d.accept(); });
    await page.getByRole('button', { name: 'Disable', exact: true }).click();
    await status(page, 'grace is disabled; their sessions have ended.').waitFor();
    await page.locator('#badges').getByText('Disabled').waitFor();
    assert.equal(await sessions.locator('tbody tr').count(), 0);
    const me = await inject('GET', '/auth/me', graceTokens.accessToken);
    assert.equal(me.statusCode, 401);
    assert.equal(json(me).code, 'session_revoked');
    const refreshed = await inject('POST', '/auth/refresh', undefined, { refreshToken: graceTokens.refreshToken });
    assert.equal(refreshed.statusCode, 401, refreshed.body);
    assert.equal((await inject('POST', '/auth/login', undefined, { email: grace.email, password: grace.password })).statusCode, 403, 'sign-in is refused');
    // And back.
    await page.getByRole('button', { name: 'Enable', exact: true }).click();
    await status(page, 'grace is enabled again.').waitFor();
    // An extra role, and away again.
    await page.getByLabel('Role to add').selectOption('moderator');
    await page.getByRole('button', { name: 'Add role' }).click();
    await status(page, 'The role moderator was added.').waitFor();
    assert.ok((await page.locator('#permissions').textContent())!.includes('audit:read'), 'its permissions are listed');
    await page.getByRole('button', { name: 'Remove the role moderator' }).click();
    await status(page, 'The role moderator was removed.').waitFor();
    assert.deepEqual(json(await inject('GET', `/admin/users/${graceTokens.id}/roles`, await adminToken())).roles, ['viewer']);
  });

  test('a user is deleted only after typing their username', async () => {
    const { user } = await register(s.t.app, { username: 'temp_user', email: 'temp@example.com', password: 'short lived account 7' });
    await page.goto(`${s.origin}/admin/ui/users/${user.id}`);
    await page.getByRole('heading', { level: 1, name: 'User temp_user' }).waitFor();
    await page.getByLabel('Type the username temp_user to confirm').fill('temp');
    await page.getByRole('button', { name: 'Delete user' }).click();
    await alert(page, 'Type temp_user exactly to confirm.').waitFor();
    assert.equal((await inject('GET', `/admin/users/${user.id}`, await adminToken())).statusCode, 200, 'still there');
    await page.getByLabel('Type the username temp_user to confirm').fill('temp_user');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete user' }).click();
    await page.waitForURL(/\/admin\/ui\/users\?notice=deleted&name=temp_user$/);
    await status(page, 'The user temp_user was deleted.').waitFor();
    assert.equal((await inject('GET', `/admin/users/${user.id}`, await adminToken())).statusCode, 404);
  });

  test('roles: create a role, grant it a permission, create a permission, delete the role', async () => {
    await nav('Roles').click();
    await page.getByRole('heading', { name: 'moderator' }).waitFor();
    const create = page.locator('#create-role');
    await create.getByLabel('Name').fill('auditor');
    await create.getByLabel('Description').fill('Reads the audit log');
    await create.getByRole('button', { name: 'Create role' }).click();
    const card = page.locator('article', { has: page.getByRole('heading', { name: 'auditor', exact: true }) });
    await card.waitFor();
    await card.getByLabel('Permission to add to auditor').selectOption('audit:read');
    await card.getByRole('button', { name: 'Grant' }).click();
    await status(page, 'audit:read was granted to auditor.').waitFor();
    await page.locator('article', { has: page.getByRole('heading', { name: 'auditor', exact: true }) }).locator('ul.tags').getByText('audit:read').waitFor();
    const role = json(await inject('GET', '/admin/roles/auditor', await adminToken()));
    assert.deepEqual([role.description, role.permissions], ['Reads the audit log', ['audit:read']]);
    const permission = page.locator('#create-permission');
    await permission.getByLabel('Name').fill('reports:export');
    await permission.getByLabel('Description').fill('Export reports');
    await permission.getByRole('button', { name: 'Create permission' }).click();
    await status(page, 'The permission reports:export was created.').waitFor();
    await page.getByRole('row', { name: /reports:export/ }).waitFor();
    await checkPage(page, 'admin-roles');
    // A role that was made can be deleted (after a confirmation); built-in ones cannot.
    assert.equal(await page.getByRole('button', { name: 'Delete the role moderator' }).count(), 0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete the role auditor' }).click();
    await status(page, 'The role auditor was deleted.').waitFor();
    assert.equal((await inject('GET', '/admin/roles/auditor', await adminToken())).statusCode, 404);
  });

  test('service accounts: the secret is shown once, and it works', async () => {
    await nav('Service accounts').click();
    await page.getByText('No service account yet.').waitFor();
    await page.getByLabel('Name', { exact: true }).fill('billing');
    await page.getByLabel('Description').fill('Invoices');
    await page.getByRole('checkbox', { name: 'users:read' }).check();
    await page.getByRole('button', { name: 'Create service account' }).click();
    await page.getByRole('heading', { name: 'Secret of billing' }).waitFor();
    await status(page, 'it is shown only this once').waitFor();
    const secret = (await page.locator('#secret-panel code.secret').textContent())!;
    const clientId = (await page.locator('#secret-panel code').first().textContent())!;
    assert.match(secret, /\S{20,}/);
    const token = await inject('POST', '/auth/token', undefined, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
    assert.equal(token.statusCode, 200, token.body);
    assert.equal(json(token).scope, 'users:read');
    await page.getByRole('cell', { name: clientId }).waitFor();
    await checkPage(page, 'admin-service-accounts');
    // Once: gone from the page when put away, and not shown again after a reload.
    await page.getByRole('button', { name: 'I have stored it' }).click();
    assert.equal(await page.locator('#secret-panel').isHidden(), true);
    await page.reload();
    await page.getByRole('cell', { name: clientId }).waitFor();
    assert.ok(!(await page.content()).includes(secret));
  });

  test('webhooks: add an endpoint, see its delivery, replay it', async () => {
    await nav('Webhooks').click();
    await page.getByText('No endpoint yet.').waitFor();
    await page.getByLabel('URL').fill(`${receiver.url}/hooks/tessera`);
    await page.getByLabel('Description').fill('CRM sync');
    await page.getByRole('checkbox', { name: 'user.created' }).check();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('heading', { name: /^Signing secret of / }).waitFor();
    assert.match(await page.locator('#secret-panel code.secret').textContent() ?? '', /^whsec_/);
    // An event of that type: a new account.
    await register(s.t.app, { username: 'hooked', email: 'hooked@example.com', password: 'a webhook trigger 42' });
    const [first] = await receiver.waitFor(1);
    assert.equal(JSON.parse(first!.body).type, 'user.created');

    await page.getByRole('link', { name: `Deliveries to ${receiver.url}/hooks/tessera` }).click();
    await page.waitForURL(/\/admin\/ui\/webhooks\?endpoint=[0-9a-f-]{36}$/);
    const deliveries = page.locator('#deliveries');
    await deliveries.getByText('Delivered').waitFor();
    assert.deepEqual((await deliveries.locator('tbody tr').first().innerText()).split('\t').slice(0, 3), ['user.created', 'Delivered', '1']);
    await deliveries.getByRole('button', { name: /^Replay user\.created of / }).click();
    await status(page, 'user.created is being sent again.').waitFor();
    await receiver.waitFor(2);
    assert.equal(receiver.requests[1]!.headers['webhook-id'], first!.headers['webhook-id'], 'the same message again');
    // Until the worker has recorded the answer, the replay is pending.
    const endpoint = new URL(page.url()).searchParams.get('endpoint')!;
    const token = await adminToken();
    for (let i = 0; i < 100; i++) {
      const listed = json(await inject('GET', `/admin/webhooks/${endpoint}/deliveries`, token)).deliveries as { status: string }[];
      if (listed.length === 2 && listed.every((d) => d.status === 'succeeded')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.getByRole('button', { name: 'Refresh' }).click();
    await status(page, 'Up to date.').waitFor();
    assert.equal(await deliveries.locator('tbody tr').count(), 2);
    await deliveries.locator('tbody tr').first().getByText('Delivered').waitFor();
    assert.equal((await deliveries.locator('tbody tr').first().locator('td').nth(4).textContent()), 'Yes', 'the newest is the replay');
    await checkPage(page, 'admin-webhooks');
  });

  test('providers: stored and toggled; the secret never reaches the page', async () => {
    await nav('Providers').click();
    await page.getByText('No provider configured.').waitFor();
    const form = page.locator('#provider-form');
    await form.getByLabel('Name', { exact: true }).fill('corp');
    await form.getByLabel('Kind').selectOption('oidc');
    await form.getByLabel('Display name').fill('Corp SSO');
    await form.getByLabel('Client id').fill('tessera-client');
    await form.getByLabel('Client secret').fill('corp-very-secret-value');
    await form.getByLabel('Issuer URL').fill('https://sso.example.test/realms/main');
    await form.getByRole('button', { name: 'Save provider' }).click();
    await status(page, 'corp was added. Register its callback URL at the provider.').waitFor();
    const row = page.locator('#providers tbody tr', { hasText: 'corp' });
    assert.match(await row.innerText(), /Corp SSO[\s\S]*OpenID Connect[\s\S]*Database[\s\S]*Enabled[\s\S]*tessera-client[\s\S]*Set[\s\S]*\/auth\/oauth\/corp\/callback/);
    await row.getByRole('button', { name: 'Disable corp' }).click();
    await status(page, 'corp is disabled.').waitFor();
    await page.locator('#providers tbody tr', { hasText: 'corp' }).getByText('Disabled').waitFor();
    // Editing keeps the stored secret when the field is left empty.
    await page.getByRole('button', { name: 'Edit corp' }).click();
    await page.getByRole('heading', { name: 'Edit corp' }).waitFor();
    assert.equal(await form.getByLabel('Client secret').inputValue(), '');
    await form.getByLabel('Display name').fill('Corp single sign-on');
    await form.getByRole('button', { name: 'Save provider' }).click();
    await status(page, 'corp was saved.').waitFor();
    const stored = json(await inject('GET', '/admin/oauth/providers', await adminToken())).providers.find((p: { name: string }) => p.name === 'corp');
    assert.deepEqual([stored.displayName, stored.enabled, stored.clientSecretSet], ['Corp single sign-on', false, true]);
    assert.ok(!(await page.content()).includes('corp-very-secret-value'));
    await checkPage(page, 'admin-providers');
  });

  test('signing keys: rotate, and both keys are listed', async () => {
    await nav('Signing keys').click();
    const rows = page.locator('#keys tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    const before = (await rows.first().locator('th').textContent())!;
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Rotate the signing key' }).click();
    await status(page, /^The new signing key .+ is active\.$/).waitFor();
    assert.equal(await rows.count(), 2);
    const states = Object.fromEntries(await Promise.all((await rows.all()).map(async (r) => [await r.locator('th').textContent(), (await r.locator('td').nth(1).textContent())!.trim()])));
    assert.equal(states[before], 'Retiring');
    assert.deepEqual(Object.values(states).sort(), ['Active', 'Retiring']);
    const jwks = json(await inject('GET', '/.well-known/jwks.json'));
    assert.deepEqual(jwks.keys.map((k: { kid: string }) => k.kid).sort(), Object.keys(states).sort());
    await checkPage(page, 'admin-keys');
    assert.deepEqual(errors, [], 'no script error on any page');
  });

  test('without the permissions: the "not allowed" message, in the page\'s language', async () => {
    const other = await browser.newContext();
    try {
      const p = await other.newPage();
      const viewer: Credentials = { username: 'viewer_vic', email: 'vic@example.com', password: 'just a viewer 123' };
      await register(s.t.app, viewer);
      await p.goto(`${s.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/admin/ui')}`);
      await signIn(p, viewer);
      await p.waitForURL(`${s.origin}/admin/ui`);
      await alert(p, 'You are not allowed to see this. It needs the permission audit:read; ask an administrator for it.').waitFor();
      assert.equal(await p.locator('#content').isHidden(), true);
      await p.goto(`${s.origin}/admin/ui/users?lang=fr`);
      await alert(p, 'Vous n’êtes pas autorisé à voir ceci. Il faut la permission users:read').waitFor();
      assert.equal(await p.locator('#content').isHidden(), true);
      // Signing out from the dashboard ends the session.
      const token = (await p.evaluate(() => sessionStorage.getItem('tessera.access')))!;
      await p.getByRole('button', { name: 'Se déconnecter' }).click();
      await p.waitForURL(/\/ui\/sign-in\?redirectTo=%2Fadmin%2Fui$/);
      assert.equal(await p.evaluate(() => sessionStorage.getItem('tessera.access')), null);
      assert.equal((await inject('GET', '/auth/me', token)).statusCode, 401);
    } finally {
      await other.close();
    }
  });
});
