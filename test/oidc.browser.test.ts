// An application signs a user in through Tessera's hosted pages in Chromium: openid-client
// builds the authorization request (code + PKCE), the browser goes through the hosted
// sign-in (password, then the authenticator app's code), the consent screen, and back to
// the application with a code that openid-client exchanges and validates. A second
// application then signs in without any prompt (single sign-on), prompt=none answers
// without a page, and RP-initiated logout of the first application signs the browser out.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser as Chromium } from 'playwright-core';
import { ManualClock } from '../src/core/clock.ts';
import { register, uniqueCredentials } from './helpers/app.ts';
import { browserSkip, launch, pageServer } from './helpers/browser.ts';
import { totp, withTotp } from './helpers/mfa.ts';
import { assertSignedByJwks, authorizationUrl, client, pkce, relyingParty, startProvider, type Rp } from './helpers/oidc.ts';
import { checkPage } from './helpers/ui.ts';
import type { UiServer } from './helpers/ui.ts';

const skip = browserSkip();

describe('OpenID Connect through the hosted pages in Chromium', { skip }, () => {
  // Behind the real time, so that openid-client (on the real clock) never sees a token from the future.
  const clock = new ManualClock(Date.now() - 300_000);
  let s: UiServer;
  let chromium: Chromium;
  let apps: { origin: string; close: () => Promise<void> };
  let rp1: Rp;
  let rp2: Rp;
  const admin = uniqueCredentials('boss');

  before(async () => {
    s = await startProvider({ clock });
    chromium = await launch();
    apps = await pageServer();
    await register(s.t.app, admin); // the administrator
    rp1 = await relyingParty(s, { name: 'Team wiki', redirectUri: `${apps.origin}/wiki/callback`, postLogoutRedirectUris: [`${apps.origin}/wiki/bye`] });
    rp2 = await relyingParty(s, { name: 'Dashboard', firstParty: true, redirectUri: `${apps.origin}/dash/callback` });
  });
  after(async () => {
    await chromium?.close();
    await apps?.close();
    await s?.close();
  });

  test('password then TOTP, consent, code exchange; SSO to a second app; prompt=none; RP-initiated logout', async () => {
    const { creds, secret, user } = await withTotp(s.t, clock);
    const context = await chromium.newContext();
    const page = await context.newPage();

    // 1. The first application sends the browser to Tessera.
    const p = await pkce();
    await page.goto(authorizationUrl(rp1, p).href);
    await page.waitForURL(/\/ui\/sign-in\?redirectTo=/);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/ui\/mfa/);
    clock.advance(30_000);
    await page.getByLabel('Code from your authenticator app').fill(await totp(secret, clock.now()));
    await page.getByRole('button', { name: 'Verify', exact: true }).click();

    // 2. The consent screen of a third-party application.
    await page.getByRole('heading', { name: 'Allow Team wiki to use your account?' }).waitFor();
    assert.deepEqual(await page.locator('#consent-scopes li').allTextContents(), ['Know who you are (your account\'s identifier)', 'Your username and language', 'Your email address']);
    await checkPage(page, 'oidc-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/wiki\/callback\?/);
    const back = new URL(page.url());
    assert.equal(back.searchParams.get('iss'), s.origin);

    // 3. openid-client checks iss, state, nonce and the ID token; the signature is checked against the JWKS.
    const tokens = await client.authorizationCodeGrant(rp1.config, back, { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce });
    const claims = tokens.claims()!;
    assert.equal(claims.sub, user.id);
    assert.equal(claims.acr, 'aal2');
    assert.deepEqual([...(claims.amr as string[])].sort(), ['otp', 'pwd']);
    await assertSignedByJwks(s, tokens.id_token!);
    assert.equal((await client.fetchUserInfo(rp1.config, tokens.access_token, user.id)).email, creds.email);

    // 4. The second application: no password, no code, no consent (first-party).
    const p2 = await pkce();
    await page.goto(authorizationUrl(rp2, p2).href);
    await page.waitForURL(/\/dash\/callback\?/);
    const t2 = await client.authorizationCodeGrant(rp2.config, new URL(page.url()), { pkceCodeVerifier: p2.verifier, expectedState: p2.state, expectedNonce: p2.nonce });
    assert.equal(t2.claims()!.sub, user.id);
    assert.equal(t2.claims()!.auth_time, claims.auth_time, 'the same sign-in');

    // 5. prompt=none answers with a code while signed in.
    const p3 = await pkce();
    await page.goto(authorizationUrl(rp2, p3, { prompt: 'none' }).href);
    await page.waitForURL(/\/dash\/callback\?/);
    assert.ok(new URL(page.url()).searchParams.get('code'));

    // 6. RP-initiated logout of the first application signs the browser (and the second app) out.
    await page.goto(client.buildEndSessionUrl(rp1.config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: `${apps.origin}/wiki/bye`, state: 'after' }).href);
    await page.waitForURL(`${apps.origin}/wiki/bye?state=after`);
    await assert.rejects(client.refreshTokenGrant(rp2.config, t2.refresh_token!), (err: any) => err.error === 'invalid_grant');
    const p4 = await pkce();
    await page.goto(authorizationUrl(rp2, p4, { prompt: 'none' }).href);
    await page.waitForURL(/\/dash\/callback\?/);
    assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required');
    // Without prompt=none, the sign-in page again.
    await page.goto(authorizationUrl(rp2, p4).href);
    await page.waitForURL(/\/ui\/sign-in/);
    await context.close();
  });

  test('the account page lists the connected application and removes its access; the dashboard lists applications', async () => {
    const { creds } = await register(s.t.app);
    const context = await chromium.newContext();
    const page = await context.newPage();
    const p = await pkce();
    await page.goto(authorizationUrl(rp1, p).href);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(/\/wiki\/callback\?/);
    const t = await client.authorizationCodeGrant(rp1.config, new URL(page.url()), { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce });
    await page.goto(`${s.origin}/ui/account`);
    await page.locator('body[data-loaded="true"]').waitFor();
    await page.locator('#apps').getByText('Team wiki').waitFor();
    await page.getByRole('button', { name: 'Remove access: Team wiki' }).click();
    await page.getByText('Access removed.').waitFor();
    await assert.rejects(client.refreshTokenGrant(rp1.config, t.refresh_token!), (err: any) => err.error === 'invalid_grant');
    await context.close();

    // The administrator's dashboard page.
    const adminContext = await chromium.newContext();
    const adminPage = await adminContext.newPage();
    await adminPage.goto(`${s.origin}/ui/sign-in?redirectTo=${encodeURIComponent('/admin/ui/applications')}`);
    await adminPage.getByLabel('Email or username').fill(admin.email);
    await adminPage.getByLabel('Password', { exact: true }).fill(admin.password);
    await adminPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await adminPage.waitForURL(/\/admin\/ui\/applications/);
    await adminPage.locator('#clients').getByText('Dashboard', { exact: true }).first().waitFor();
    await checkPage(adminPage, 'admin-applications');
    await adminContext.close();
  });

  test('logout without an id_token_hint asks for confirmation, then signs out', async () => {
    const { creds } = await register(s.t.app);
    const context = await chromium.newContext();
    const page = await context.newPage();
    const p = await pkce();
    await page.goto(authorizationUrl(rp2, p).href);
    await page.getByLabel('Email or username').fill(creds.email);
    await page.getByLabel('Password', { exact: true }).fill(creds.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/dash\/callback\?/);
    await page.goto(`${s.origin}/oauth2/logout?client_id=${rp2.clientId}`);
    await page.getByText('Dashboard asks to sign you out').waitFor();
    await checkPage(page, 'oidc-logout');
    const answered = page.waitForResponse((r) => r.url().endsWith('/auth/oauth2/logout'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    const posted = await answered;
    assert.equal(posted.status(), 200, await posted.text().catch(() => ''));
    await page.waitForURL(/\/ui\/oauth2\/signed-out/);
    await page.getByText('You are signed out.').waitFor();
    await page.goto(authorizationUrl(rp2, await pkce(), { prompt: 'none' }).href);
    await page.waitForURL(/\/dash\/callback\?/);
    assert.equal(new URL(page.url()).searchParams.get('error'), 'login_required');
    await context.close();
  });
});
