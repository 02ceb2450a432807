// /ui/account in Chromium: a user registered through the API signs in on /ui/sign-in and
// manages their account: sessions (sign out one, everywhere else), username, password
// (with a reauthentication once the sign-in is old), email, two-step verification,
// recovery codes, passkeys (a virtual authenticator), linked accounts (a GitHub stand-in),
// French, signing out and deleting the account. Each effect is checked through the API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ManualClock } from '../src/core/clock.ts';
import { bearer, json, uniqueCredentials, type Credentials } from './helpers/app.ts';
import { browserSkip, launch, withAuthenticator } from './helpers/browser.ts';
import { startGitHub, type FakeGitHub } from './helpers/op.ts';
import { codeOf } from './helpers/smtp.ts';
import { checkPage, startUiServer, type UiServer } from './helpers/ui.ts';

describe('the account page in Chromium', { skip: browserSkip() }, () => {
  let browser: Browser;
  let ui: UiServer;
  let gh: FakeGitHub;
  // Time moves only when a test says so: "the sign-in is older than AUTH_REAUTH_MAX_AGE".
  const clock = new ManualClock();

  before(async () => {
    browser = await launch();
    gh = await startGitHub({ id: 'github-client', secret: 'github-secret' });
    ui = await startUiServer({
      clock,
      env: {
        AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
        AUTH_OAUTH_GITHUB_CLIENT_ID: 'github-client', AUTH_OAUTH_GITHUB_CLIENT_SECRET: 'github-secret',
        AUTH_OAUTH_GITHUB_AUTHORIZATION_URL: `${gh.url}/login/oauth/authorize`, AUTH_OAUTH_GITHUB_TOKEN_URL: `${gh.url}/login/oauth/access_token`, AUTH_OAUTH_GITHUB_API_URL: gh.url,
      },
    });
  });
  after(async () => {
    await ui?.close();
    await gh?.close();
    await browser?.close();
  });

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>, token?: string) =>
    ui.t.app.inject({ method, url, ...(payload ? { payload } : {}), ...(token ? { headers: bearer(token) } : {}) });

  async function registered(prefix = 'acct'): Promise<Credentials & { id: string }> {
    const creds = uniqueCredentials(prefix);
    const res = await inject('POST', '/auth/register', { ...creds });
    assert.equal(res.statusCode, 201, res.body);
    verificationIds.set(creds.email, json(res).verification.id);
    return { ...creds, id: json(res).user.id };
  }
  const verificationIds = new Map<string, string>();

  /** Proves the address with the code of the registration message. */
  async function verified(creds: Credentials): Promise<void> {
    const code = codeOf(await ui.sink.latest(creds.email, /Verify your email/));
    // With the registration's verification id: the registrant proves it (the password stays).
    const res = await inject('POST', '/auth/verify-email', { id: verificationIds.get(creds.email), code });
    assert.equal(res.statusCode, 200, res.body);
  }

  /** A sign-in through the API as a native app: another session of the user. */
  async function appSession(creds: Credentials): Promise<{ accessToken: string; refreshToken: string }> {
    const res = await inject('POST', '/auth/login', { email: creds.email, password: creds.password, client: 'native' });
    assert.equal(res.statusCode, 200, res.body);
    return json(res) as { accessToken: string; refreshToken: string };
  }

  const refreshStatus = async (refreshToken: string) => (await inject('POST', '/auth/refresh', { refreshToken })).statusCode;

  /** Confirmation dialogs (window.confirm) are accepted; their texts are kept. */
  function accepting(page: Page): string[] {
    const asked: string[] = [];
    page.on('dialog', (d) => { asked.push(d.message()); void d.accept(); });
    return asked;
  }

  const loaded = (page: Page) => page.locator('body[data-loaded="true"]').waitFor();

  /** The sign-in form, as a person fills it, then the account page once its sections are in. */
  async function signIn(page: Page, creds: Credentials, query = ''): Promise<void> {
    await page.goto(`${ui.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui/account')}${query}`);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${ui.origin}/ui/account**`);
    await loaded(page);
  }

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext();
    return context.newPage();
  }

  test('a visit without a session goes to sign-in and comes back; the profile is shown', async () => {
    const creds = await registered();
    const page = await freshPage();
    try {
      await page.goto(`${ui.origin}/ui/account`);
      await page.waitForURL(/\/ui\/sign-in\?/);
      assert.equal(new URL(page.url()).searchParams.get('redirectTo'), '/ui/account');
      await page.getByLabel('Email or username').fill(creds.username);
      await page.getByLabel('Password', { exact: true }).fill(creds.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${ui.origin}/ui/account`);
      await loaded(page);
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Your account');
      assert.equal(await page.locator('#signed-in-as').textContent(), `Signed in as ${creds.username}`);
      assert.equal(await page.locator('#profile-username').textContent(), creds.username);
      assert.equal(await page.locator('#profile-email').textContent(), creds.email);
      assert.equal(await page.locator('#profile-verified').textContent(), 'Not verified');
      assert.match(await page.locator('#profile-since').textContent() ?? '', /\d{4}/);
      for (const name of ['Profile', 'Password', 'Email address', 'Two-step verification', 'Passkeys', 'Linked accounts', 'Where you are signed in', 'Delete your account']) {
        assert.ok(await page.getByRole('heading', { level: 2, name, exact: true }).isVisible(), `section ${name}`);
      }
      // The table of contents moves the keyboard to a section.
      await page.getByRole('link', { name: 'Where you are signed in' }).click();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'sessions-title');
    } finally {
      await page.context().close();
    }
  });

  test('sessions: this device and an app, sign the app out, then everywhere else', async () => {
    const creds = await registered();
    const page = await freshPage();
    try {
      await signIn(page, creds);
      const app = await appSession(creds);
      await page.reload();
      await loaded(page);
      const items = page.locator('#sessions > li');
      assert.equal(await items.count(), 2);
      assert.equal(await page.locator('#sessions > li[data-current]').getByText('This device').count(), 1);
      assert.match(await page.locator('#sessions > li[data-current]').textContent() ?? '', /Chrom.* on Linux/);
      assert.match(await page.locator('#sessions > li[data-current]').textContent() ?? '', /127\.0\.0\.1/);

      await page.getByRole('button', { name: 'Sign out App' }).click();
      await page.getByText('App was signed out.').waitFor();
      assert.equal(await items.count(), 1, 'the list was reloaded');
      assert.equal(await refreshStatus(app.refreshToken), 401, "the app's refresh token is dead");
      assert.equal((await inject('GET', '/auth/me', undefined, app.accessToken)).statusCode, 401);
      assert.ok(await page.getByRole('button', { name: 'Sign out everywhere else' }).isHidden(), 'nothing else to sign out');

      const phone = await appSession(creds);
      const tablet = await appSession(creds);
      await page.reload();
      await loaded(page);
      assert.equal(await items.count(), 3);
      await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
      await page.getByText('2 other sessions were signed out.').waitFor();
      assert.equal(await items.count(), 1);
      assert.equal(await refreshStatus(phone.refreshToken), 401);
      assert.equal(await refreshStatus(tablet.refreshToken), 401);
      // This browser is still signed in.
      await page.reload();
      await loaded(page);
      assert.equal(await page.locator('#sessions > li[data-current]').count(), 1);
    } finally {
      await page.context().close();
    }
  });

  test('profile: a new username, and a taken one refused', async () => {
    const creds = await registered();
    const other = await registered();
    const page = await freshPage();
    try {
      await signIn(page, creds);
      const field = page.getByLabel('Username', { exact: true });
      assert.equal(await field.inputValue(), creds.username);
      await field.fill(other.username.toUpperCase());
      await page.getByRole('button', { name: 'Save the username' }).click();
      await page.getByText('This username is taken').waitFor();

      const wanted = uniqueCredentials('renamed').username;
      await field.fill(wanted);
      await page.getByRole('button', { name: 'Save the username' }).click();
      await page.getByText(`Your username is now ${wanted}.`).waitFor();
      assert.equal(await page.locator('#profile-username').textContent(), wanted);
      const byName = await inject('POST', '/auth/login', { username: wanted, password: creds.password });
      assert.equal(byName.statusCode, 200, 'signs in with the new name');
    } finally {
      await page.context().close();
    }
  });

  test('password: mismatch and a wrong current one refused; changed after confirming who you are', async () => {
    const creds = await registered();
    const page = await freshPage();
    const next = 'a-brand-new-passphrase-91';
    try {
      await signIn(page, creds);
      const app = await appSession(creds);
      const form = page.locator('#password-form');
      await page.getByLabel('Current password').fill(creds.password);
      await page.getByLabel('New password', { exact: true }).fill(next);
      await page.getByLabel('Confirm the new password').fill(`${next}x`);
      await page.getByRole('button', { name: 'Change the password' }).click();
      await form.getByText('The two new passwords are not the same.').waitFor();

      await page.getByLabel('Current password').fill('not-the-password');
      await page.getByLabel('Confirm the new password').fill(next);
      await page.getByRole('button', { name: 'Change the password' }).click();
      await form.getByText('The current password is not right').waitFor();

      // The sign-in is now older than AUTH_REAUTH_MAX_AGE (5 minutes): the API asks for proof.
      clock.advance(6 * 60_000);
      await page.getByLabel('Current password').fill(creds.password);
      await page.getByRole('button', { name: 'Change the password' }).click();
      const reauth = page.locator('#password-reauth');
      await reauth.getByText("Confirm it's you").waitFor();
      await reauth.getByLabel('Password', { exact: true }).fill(creds.password);
      await reauth.getByRole('button', { name: 'Confirm' }).click();
      await form.getByText('Your password was changed. Your other sessions were signed out.').waitFor();
      assert.equal(await reauth.locator('form').count(), 0, 'the reauthentication form is gone');
      assert.equal(await page.getByLabel('Current password').inputValue(), '', 'the form was cleared');

      assert.equal((await inject('POST', '/auth/login', { email: creds.email, password: creds.password })).statusCode, 401, 'the old password fails');
      assert.equal((await inject('POST', '/auth/login', { email: creds.email, password: next })).statusCode, 200, 'the new one works');
      assert.equal(await refreshStatus(app.refreshToken), 401, 'other sessions ended');
      assert.equal(await page.locator('#sessions > li').count(), 1, 'the list shows it');
    } finally {
      await page.context().close();
    }
  });

  test('email: a new verification message, and a change that mails its confirmation', async () => {
    const creds = await registered();
    await ui.sink.latest(creds.email, /Verify your email/);
    // The resend interval (60 s) since the registration message has passed.
    clock.advance(61_000);
    const page = await freshPage();
    try {
      await signIn(page, creds);
      assert.ok(await page.getByText('Your email address is not verified yet.', { exact: false }).isVisible());
      await page.getByRole('button', { name: 'Send the verification email again' }).click();
      await page.getByText(`If ${creds.email} still needs verifying, a new message is on its way.`).waitFor();
      await ui.sink.waitFor(() => ui.sink.to(creds.email).filter((m) => /Verify your email/.test(m.subject)).length === 2);

      const newEmail = uniqueCredentials('moved').email;
      await page.getByLabel('New email address').fill(newEmail);
      await page.getByRole('button', { name: 'Send the confirmation' }).click();
      await page.getByText(`We sent a confirmation to ${newEmail}.`, { exact: false }).waitFor();
      const mail = await ui.sink.latest(newEmail, /Confirm your new email/);
      assert.match(mail.text, /\b\d{6}\b/);
      assert.equal(json(await inject('POST', '/auth/login', { email: creds.email, password: creds.password })).user.email, creds.email, 'nothing changes before the confirmation');
    } finally {
      await page.context().close();
    }
  });

  test('two-step verification: an email factor with its recovery codes, new codes, removal', async () => {
    const creds = await registered();
    await verified(creds);
    const page = await freshPage();
    const asked = accepting(page);
    try {
      await signIn(page, creds);
      await page.getByText('Two-step verification is off.').waitFor();
      assert.ok(await page.getByRole('link', { name: 'Set up an authenticator app' }).isVisible());
      assert.equal(new URL(await page.getByRole('link', { name: 'Set up an authenticator app' }).getAttribute('href') ?? '', ui.origin).searchParams.get('redirectTo'), '/ui/account');

      await page.getByRole('button', { name: 'Use codes sent by email' }).click();
      await page.getByText('Sign-in codes will now be sent to your email address.').waitFor();
      assert.equal(await page.locator('#factors > li').count(), 1);
      assert.match(await page.locator('#factors > li').textContent() ?? '', /Codes by email/);
      const first = await page.locator('#codes > li').allTextContents();
      assert.equal(first.length, 10, 'the first recovery codes, shown once');
      assert.equal(await page.locator('#recovery-left').textContent(), 'You have 10 unused recovery codes.');
      assert.ok(await page.getByRole('button', { name: 'Use codes sent by email' }).isHidden());
      const listed = json(await inject('POST', '/auth/login', { email: creds.email, password: creds.password }));
      assert.equal(listed.code, 'mfa_required', 'sign-in now asks for the second step');

      await page.getByRole('button', { name: 'Get new recovery codes' }).click();
      await page.waitForFunction((old) => {
        const now = [...document.querySelectorAll('#codes > li')].map((li) => li.textContent);
        return now.length === 10 && now[0] !== old;
      }, first[0]);
      const second = await page.locator('#codes > li').allTextContents();
      assert.equal(second.length, 10);
      assert.equal(second.filter((c) => first.includes(c)).length, 0, 'all new');
      assert.match(asked.at(-1) ?? '', /current codes will stop working/);

      await page.getByRole('button', { name: 'Remove Codes by email' }).click();
      await page.getByText('Removed: Codes by email.').waitFor();
      await page.getByText('Two-step verification is off.').waitFor();
      assert.equal(await page.locator('#factors > li').count(), 0);
      assert.ok(await page.locator('#recovery').isHidden(), 'no factor, no recovery codes');
      assert.equal((await inject('POST', '/auth/login', { email: creds.email, password: creds.password })).statusCode, 200, 'no second step any more');
    } finally {
      await page.context().close();
    }
  });

  test('passkeys: add with a name, rename, remove', async () => {
    const creds = await registered();
    const a = await withAuthenticator(browser, ui.origin);
    const page = a.page;
    accepting(page);
    try {
      await signIn(page, creds);
      await page.getByText('You have no passkey yet.').waitFor();
      await page.getByLabel('Name of the passkey (optional)').fill('Laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('Passkey “Laptop” added.').waitFor();
      assert.equal(await page.locator('#passkeys > li').count(), 1);
      // A password sign-in now asks for the passkey as a second step: read the table.
      const stored = async () => (await ui.t.deps.db.selectFrom('passkeys').select('name').where('user_id', '=', creds.id).execute()).map((p) => p.name);
      assert.deepEqual(await stored(), ['Laptop']);
      const { credentials } = await a.cdp.send('WebAuthn.getCredentials', { authenticatorId: a.authenticatorId });
      assert.equal(credentials.length, 1, 'the authenticator holds it');

      await page.getByRole('button', { name: 'Rename Laptop' }).click();
      const field = page.getByLabel('New name for Laptop');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'name', 'the field has the focus');
      await field.fill('Work laptop');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('Passkey renamed to “Work laptop”.').waitFor();
      assert.deepEqual(await stored(), ['Work laptop']);

      await page.getByRole('button', { name: 'Remove Work laptop' }).click();
      await page.getByText('Passkey “Work laptop” removed.').waitFor();
      await page.getByText('You have no passkey yet.').waitFor();
      assert.deepEqual(await stored(), []);
    } finally {
      await a.context.close();
    }
  });

  test('linked accounts: link GitHub from the page, unlink it; the last way to sign in stays', async () => {
    gh.users.set('octo', { user: { id: 4242, login: 'octo', name: 'Octo Cat', avatar_url: null, email: null }, emails: [{ email: 'octo@github.example', primary: true, verified: true }] });
    const creds = await registered();
    const page = await freshPage();
    accepting(page);
    try {
      await signIn(page, creds);
      await page.getByText('No account is linked.').waitFor();
      gh.nextLogin = 'octo';
      await page.getByRole('button', { name: 'Link GitHub', exact: true }).click();
      // The page comes back with ?linked=github and takes the outcome out of the address bar at
      // once, sometimes before a URL watcher would see it: the notice is what proves the trip.
      await page.getByText('GitHub is now linked to your account.').waitFor();
      await loaded(page);
      assert.equal(new URL(page.url()).search, '', 'the outcome left the address bar');
      const item = page.locator('#identities > li');
      assert.match(await item.textContent() ?? '', /GitHub.*Octo Cat · octo@github\.example/s);
      assert.ok(await page.getByRole('button', { name: 'Link GitHub', exact: true }).isHidden(), 'no link button once linked');

      await page.getByRole('button', { name: 'Unlink GitHub' }).click();
      await page.getByText('GitHub was unlinked.').waitFor();
      await page.getByRole('button', { name: 'Link GitHub', exact: true }).waitFor();
      const token = json(await inject('POST', '/auth/login', { email: creds.email, password: creds.password, client: 'native' })).accessToken;
      assert.deepEqual(json(await inject('GET', '/auth/identities', undefined, token)).identities, []);
    } finally {
      await page.context().close();
    }

    // An account made by signing in with GitHub has no other way in: unlinking is refused.
    gh.users.set('solo', { user: { id: 4343, login: 'solo', name: 'Solo', avatar_url: null, email: null }, emails: [{ email: `solo.${Date.now()}@github.example`, primary: true, verified: true }] });
    gh.nextLogin = 'solo';
    const solo = await freshPage();
    accepting(solo);
    try {
      await solo.goto(`${ui.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui/account')}`);
      await solo.getByRole('link', { name: 'Continue with GitHub' }).click();
      await solo.waitForURL(`${ui.origin}/ui/account`);
      await loaded(solo);
      await solo.getByRole('button', { name: 'Unlink GitHub' }).click();
      await solo.getByText('This is the last way to sign in to the account; add another first').waitFor();
      assert.equal(await solo.locator('#identities > li').count(), 1);
    } finally {
      await solo.context().close();
    }
  });

  test('in French with ?lang=fr', async () => {
    const creds = await registered();
    const page = await freshPage();
    try {
      await signIn(page, creds);
      await page.goto(`${ui.origin}/ui/account?lang=fr`);
      await loaded(page);
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Votre compte');
      for (const name of ['Profil', 'Mot de passe', 'Adresse e-mail', 'Validation en deux étapes', 'Clés d’accès', 'Où vous êtes connecté', 'Supprimer votre compte']) {
        assert.ok(await page.getByRole('heading', { level: 2, name, exact: true }).isVisible(), `section ${name}`);
      }
      assert.equal(await page.locator('#signed-in-as').textContent(), `Connecté en tant que ${creds.username}`);
      assert.equal(await page.locator('#profile-verified').textContent(), 'Non vérifiée');
      assert.ok(await page.getByText('Cet appareil').isVisible());
      assert.ok(await page.getByRole('button', { name: 'Se déconnecter', exact: true }).isVisible());
      assert.ok(await page.getByLabel('Nouvelle adresse e-mail').isVisible());
      const since = await page.locator('#profile-since').textContent();
      const created = await ui.t.deps.db.selectFrom('users').select('created_at').where('id', '=', creds.id).executeTakeFirstOrThrow();
      assert.equal(since, new Intl.DateTimeFormat('fr', { dateStyle: 'long' }).format(created.created_at), 'dates in French');
    } finally {
      await page.context().close();
    }
  });

  test('the whole page passes the accessibility check (sessions, a factor, a passkey) and is photographed', async () => {
    const creds = await registered('ada');
    await verified(creds);
    const a = await withAuthenticator(browser, ui.origin);
    const page = a.page;
    try {
      await signIn(page, creds);
      await appSession(creds);
      await page.getByRole('button', { name: 'Use codes sent by email' }).click();
      await page.getByText('Sign-in codes will now be sent to your email address.').waitFor();
      await page.getByLabel('Name of the passkey (optional)').fill('Laptop');
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await page.getByText('Passkey “Laptop” added.').waitFor();
      await page.reload();
      await loaded(page);
      assert.equal(await page.locator('#sessions > li').count(), 2);
      assert.equal(await page.locator('#factors > li').count(), 1);
      assert.equal(await page.locator('#passkeys > li').count(), 1);
      await checkPage(page, 'account');
    } finally {
      await a.context.close();
    }
  });

  test('sign out ends this browser only; the page then sends to sign-in', async () => {
    const creds = await registered();
    const page = await freshPage();
    try {
      await signIn(page, creds);
      const app = await appSession(creds);
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      await page.waitForURL(`${ui.origin}/ui/sign-in`);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('tessera.access')), null, 'the access token is gone');
      await page.goto(`${ui.origin}/ui/account`);
      await page.waitForURL(/\/ui\/sign-in\?redirectTo=%2Fui%2Faccount$/);
      assert.equal(await refreshStatus(app.refreshToken), 200, 'the app stays signed in');
    } finally {
      await page.context().close();
    }
  });

  test('delete the account after confirming', async () => {
    const creds = await registered();
    const page = await freshPage();
    const asked = accepting(page);
    try {
      await signIn(page, creds);
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.getByText('Your account has been deleted.').waitFor();
      assert.match(asked.at(-1) ?? '', /cannot be undone/);
      assert.ok(await page.locator('#account').isHidden());
      assert.equal((await inject('POST', '/auth/login', { email: creds.email, password: creds.password })).statusCode, 401);
      assert.equal(await ui.t.deps.db.selectFrom('users').select('id').where('id', '=', creds.id).executeTakeFirst(), undefined);
    } finally {
      await page.context().close();
    }
  });
});

describe('an SMS factor from the account page, then SMS as the second step', { skip: browserSkip() }, () => {
  let browser: Browser;
  let ui: UiServer;
  before(async () => {
    browser = await launch();
    // SMS_PROVIDER=log: each text goes to the log, where the test reads its code as a phone would.
    ui = await startUiServer({ logLevel: 'info', env: { AUTH_MFA_SMS_ENABLED: 'true', SMS_PROVIDER: 'log', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false' } });
  });
  after(async () => {
    await ui?.close();
    await browser?.close();
  });

  const smsCode = async (phone: string, after: number): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const line = ui.t.logs.slice(after).reverse().find((l) => l.includes(`SMS to ${phone}:`));
      const m = line ? /\b(\d{6})\b/.exec(line) : null;
      if (m) return m[1]!;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no SMS to ${phone}`);
  };

  test('the phone is confirmed with its code; the next sign-in asks for a texted code', async () => {
    const creds = uniqueCredentials('sms');
    assert.equal((await ui.t.app.inject({ method: 'POST', url: '/auth/register', payload: creds })).statusCode, 201);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${ui.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/ui/account')}`);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${ui.origin}/ui/account`);
    await page.locator('body[data-loaded="true"]').waitFor();

    const phone = '+33612345678';
    await page.getByLabel('Mobile phone number').fill('0612345678');
    await page.getByRole('button', { name: 'Text me a code' }).click();
    assert.equal(await page.getByLabel('Code from the text message').isVisible(), false, 'the browser refuses a number that is not E.164');
    let mark = ui.t.logs.length;
    await page.getByLabel('Mobile phone number').fill(phone);
    await page.getByRole('button', { name: 'Text me a code' }).click();
    await page.getByText(`We sent a 6-digit code to ${phone}.`).waitFor();
    const code = await smsCode(phone, mark);
    await page.getByLabel('Code from the text message').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Add the phone' }).click();
    await page.getByRole('alert').filter({ hasText: 'The code is not right' }).waitFor();
    await page.getByLabel('Code from the text message').fill(code);
    await page.getByRole('button', { name: 'Add the phone' }).click();
    await page.getByText('Sign-in codes will now also be sent by text message.').waitFor();
    assert.equal(await page.locator('#codes li').count(), 10, 'the first factor brings recovery codes, shown once');
    assert.match(await page.locator('#factors').textContent() ?? '', /Codes by text message/);
    assert.equal(await page.locator('#sms-form').isVisible(), false, 'one phone at a time');

    // Signed out, the next sign-in texts a code and the second step takes it.
    await page.getByRole('button', { name: 'Sign out', exact: true }).first().click();
    await page.waitForURL(/\/ui\/sign-in/);
    mark = ui.t.logs.length;
    await page.getByLabel('Email or username').fill(creds.username);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/ui\/mfa/);
    await page.getByLabel('Code from the text message').fill(await smsCode(phone, mark));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.waitForURL(`${ui.origin}/ui/account`);
    const token = await page.evaluate(() => sessionStorage.getItem('tessera.access'));
    const me = await ui.t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token!) });
    assert.equal(me.statusCode, 200);
    const amr = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString()).amr as string[];
    assert.deepEqual(amr, ['pwd', 'sms']);
  });
});
