// The native OAuth exchange under attack, against the real OpenID Provider of
// test/oauth.test.ts (oidc-provider) and the GitHub stand-in. A native sign-in is two
// steps: POST /auth/oauth/:provider/authorize {redirectUri, codeChallenge} gives the
// provider's URL and a state bound to the app's PKCE challenge; POST .../token {code,
// state, codeVerifier, redirectUri} exchanges the code. The attacks: a code stolen from
// the browser flow's callback URL (Slack, no PKCE upstream; Google, PKCE upstream), a
// code stolen from a native app's redirect and presented with the thief's own state, a
// wrong, missing or malformed verifier, a provider that cannot bind a code at all
// (Bitbucket), and the sign-in rate limit on the exchange.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as oidcClient from 'openid-client';
import { ManualClock } from '../src/core/clock.ts';
import { Agent } from './helpers/agent.ts';
import { createTestApp, json, type TestApp } from './helpers/app.ts';
import { startGitHub, startOP, type FakeGitHub, type TestOP } from './helpers/op.ts';

const APP = 'http://app.test';
const NATIVE = `${APP}/native/cb`;
const OTHER = `${APP}/native/other`;
const LOGIN_LIMIT = 8;
let op: TestOP;
let gh: FakeGitHub;
let t: TestApp;
let base = '';
const clock = new ManualClock(Date.now());

const webCallback = (provider: string) => `${base}/auth/oauth/${provider}/callback`;
const isApp = (u: string) => u.startsWith(APP);

// Each exchange comes from its own address unless a test says otherwise, so that only
// the rate-limit test meets the limit.
let ipSeq = 0;
const freshIp = () => `198.51.100.${++ipSeq}`;

async function pkce() {
  const verifier = oidcClient.randomPKCECodeVerifier();
  return { verifier, challenge: await oidcClient.calculatePKCECodeChallenge(verifier) };
}

const authorizeReq = (provider: string, payload: Record<string, unknown>) =>
  t.app.inject({ method: 'POST', url: `/auth/oauth/${provider}/authorize`, payload, remoteAddress: freshIp() });

const exchange = (provider: string, payload: Record<string, unknown>, ip = freshIp()) =>
  t.app.inject({ method: 'POST', url: `/auth/oauth/${provider}/token`, payload, remoteAddress: ip });

/** Step 1 of a native sign-in: the provider's URL and the state, with the app's verifier. */
async function nativeStart(provider: string, redirectUri = NATIVE) {
  const { verifier, challenge } = await pkce();
  const res = await authorizeReq(provider, { redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256' });
  assert.equal(res.statusCode, 200, res.body);
  const body = json(res) as { url: string; state: string; expiresAt: string };
  return { ...body, verifier, challenge, redirectUri };
}

/** The user goes through the provider and lands on the app's redirect: the code and state it got there. */
async function atAppRedirect(url: string, login: string | undefined, redirectUri = NATIVE) {
  const back = new URL(await new Agent().follow(url, (u) => u.startsWith(redirectUri), login ? { login } : {}));
  return { code: back.searchParams.get('code')!, state: back.searchParams.get('state')! };
}

/** A whole native sign-in up to the code: what the app holds before the exchange. */
async function nativeCode(provider: string, login?: string) {
  const s = await nativeStart(provider);
  const got = await atAppRedirect(s.url, login);
  assert.equal(got.state, s.state, 'the provider sent the state back');
  return { ...s, code: got.code };
}

/**
 * The browser flow up to the provider's redirect to Tessera's web callback, which is
 * where the thief reads the code (history, logs, a Referer): not yet used by Tessera.
 */
async function stealBrowserCode(provider: string, login?: string) {
  const victim = new Agent();
  const at = new URL(await victim.follow(`${base}/auth/oauth/${provider}`, (u) => u.startsWith(webCallback(provider)), login ? { login } : {}));
  assert.ok(at.searchParams.get('code'), 'the callback URL carries the code');
  return { victim, at, code: at.searchParams.get('code')!, state: at.searchParams.get('state')! };
}

const userByEmail = (email: string) => t.deps.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
async function sessionCount(email: string): Promise<number> {
  const u = await userByEmail(email);
  if (!u) return 0;
  return (await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', u.id).execute()).length;
}

function refused(res: { statusCode: number; body: string }, status: number, code: string, why: string) {
  assert.deepEqual([res.statusCode, json(res as never).code], [status, code], `${why}: ${res.body}`);
}

before(async () => {
  const { createServer } = await import('node:http');
  const holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const port = (holder.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  op = await startOP([
    { client_id: 'slack-client', client_secret: 'slack-secret', redirect_uris: [webCallback('slack'), NATIVE, OTHER] },
    { client_id: 'google-client', client_secret: 'google-secret', redirect_uris: [webCallback('google'), NATIVE, OTHER] },
  ]);
  gh = await startGitHub({ id: 'github-client', secret: 'github-secret' });
  t = await createTestApp({
    clock,
    env: {
      AUTH_PUBLIC_URL: base, AUTH_CLIENT_URL: APP, AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false',
      // The web callbacks are even listed: an operator who followed the old docs did so.
      AUTH_REDIRECT_ALLOWLIST: [NATIVE, OTHER, webCallback('slack'), webCallback('google'), webCallback('github')].join(','),
      AUTH_RATE_LIMIT_LOGIN_ATTEMPTS: String(LOGIN_LIMIT),
      // Slack and Google adapters pointed at the OpenID Provider: Slack sends no PKCE, Google does.
      AUTH_OAUTH_SLACK_CLIENT_ID: 'slack-client', AUTH_OAUTH_SLACK_CLIENT_SECRET: 'slack-secret', AUTH_OAUTH_SLACK_ISSUER: op.issuer,
      AUTH_OAUTH_GOOGLE_CLIENT_ID: 'google-client', AUTH_OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret', AUTH_OAUTH_GOOGLE_ISSUER: op.issuer,
      AUTH_OAUTH_GITHUB_CLIENT_ID: 'github-client', AUTH_OAUTH_GITHUB_CLIENT_SECRET: 'github-secret',
      AUTH_OAUTH_GITHUB_AUTHORIZATION_URL: `${gh.url}/login/oauth/authorize`, AUTH_OAUTH_GITHUB_TOKEN_URL: `${gh.url}/login/oauth/access_token`, AUTH_OAUTH_GITHUB_API_URL: gh.url,
      // Bitbucket does neither PKCE nor OpenID Connect; it is never reached.
      AUTH_OAUTH_BITBUCKET_CLIENT_ID: 'bb-client', AUTH_OAUTH_BITBUCKET_CLIENT_SECRET: 'bb-secret',
      AUTH_OAUTH_BITBUCKET_AUTHORIZATION_URL: 'http://127.0.0.1:9/authorize', AUTH_OAUTH_BITBUCKET_TOKEN_URL: 'http://127.0.0.1:9/token',
    },
  });
  await t.deps.oauthVault.worker.stop();
  await new Promise((r) => holder.close(r));
  await t.app.listen({ port, host: '127.0.0.1' });
});

after(async () => {
  await t?.close();
  await op?.close();
  await gh?.close();
});

describe('a code from the browser flow, stolen at the web callback URL', () => {
  test('Slack (no PKCE upstream): the web callback is refused as redirectUri, the browser state is no native state, the thief\'s own state is refused; the victim still signs in', async () => {
    op.accounts.set('slack-victim', { email: 'victim@slack.example', email_verified: true });
    const stolen = await stealBrowserCode('slack', 'slack-victim');

    // The thief's own native state and verifier, so that only the redirect is wrong.
    const own = await nativeStart('slack');
    const asCallback = await exchange('slack', { code: stolen.code, state: own.state, codeVerifier: own.verifier, redirectUri: webCallback('slack') });
    refused(asCallback, 400, 'oauth_web_callback_not_allowed', 'the web callback as redirectUri');
    // Spellings of the same URL, and the callbacks of the other providers.
    for (const variant of [
      `${webCallback('slack')}?x=1`, `${webCallback('slack')}/`, `${base}/AUTH/OAUTH/slack/callback`, `${base}/auth/oauth/%73lack/callback`,
      `${base}/auth/oauth/./slack/callback#frag`, webCallback('google'),
    ]) {
      refused(await exchange('slack', { code: stolen.code, state: own.state, codeVerifier: own.verifier, redirectUri: variant }), 400, 'oauth_web_callback_not_allowed', variant);
    }
    // Nor can a native sign-in be started for it.
    const { challenge } = await pkce();
    refused(await authorizeReq('slack', { redirectUri: webCallback('slack'), codeChallenge: challenge }), 400, 'oauth_web_callback_not_allowed', 'a native start for the web callback');

    // The browser's own state is no native state, whatever the verifier.
    const withWebState = await exchange('slack', { code: stolen.code, state: stolen.state, codeVerifier: own.verifier, redirectUri: NATIVE });
    refused(withWebState, 400, 'oauth_state_invalid', 'the browser flow\'s state');
    assert.equal(await sessionCount('victim@slack.example'), 0, 'no session for the thief');

    // None of this spent the victim's sign-in: the browser finishes it.
    const done = new URL(await stolen.victim.follow(stolen.at.href, isApp));
    assert.equal(done.searchParams.get('error'), null, done.href);
    assert.ok(stolen.victim.cookies(base).get('refresh_token'), 'the victim is signed in');
    assert.equal(await sessionCount('victim@slack.example'), 1);

    // Another stolen code, with the thief's own state, verifier and allowed redirect: the
    // provider issued it for the web callback and another nonce.
    const again = await stealBrowserCode('slack', 'slack-victim');
    const mine = await nativeStart('slack');
    const res = await exchange('slack', { code: again.code, state: mine.state, codeVerifier: mine.verifier, redirectUri: NATIVE });
    refused(res, 400, 'oauth_code_invalid', 'a browser code with the thief\'s own state');
    assert.equal(await sessionCount('victim@slack.example'), 1, 'still only the victim\'s session');
  });

  test('Google (PKCE upstream): the thief\'s own state and verifier do not open the browser flow\'s code', async () => {
    op.accounts.set('google-victim', { email: 'victim@gmail.example', email_verified: true });
    const stolen = await stealBrowserCode('google', 'google-victim');
    const own = await nativeStart('google');
    refused(await exchange('google', { code: stolen.code, state: own.state, codeVerifier: own.verifier, redirectUri: webCallback('google') }), 400, 'oauth_web_callback_not_allowed', 'the web callback');
    refused(await exchange('google', { code: stolen.code, state: own.state, codeVerifier: own.verifier, redirectUri: NATIVE }), 400, 'oauth_code_invalid', 'the thief\'s own state');
    assert.equal(await userByEmail('victim@gmail.example'), undefined, 'no account was made for the thief');
  });
});

describe('a code stolen from a native app\'s redirect', () => {
  test('Slack (no PKCE upstream): a wrong, missing or malformed verifier is refused without spending the state; the thief\'s own state meets another nonce', async () => {
    op.accounts.set('slack-app', { email: 'app@slack.example', email_verified: true });
    const app = await nativeCode('slack', 'slack-app');
    const sent = { code: app.code, state: app.state, redirectUri: NATIVE };

    refused(await exchange('slack', { ...sent, codeVerifier: (await pkce()).verifier }), 400, 'oauth_code_invalid', 'another verifier');
    refused(await exchange('slack', sent), 400, 'validation_failed', 'no verifier');
    refused(await exchange('slack', { ...sent, codeVerifier: '' }), 400, 'validation_failed', 'an empty verifier');
    refused(await exchange('slack', { ...sent, codeVerifier: app.verifier.slice(0, 42) }), 400, 'validation_failed', 'a verifier of 42 characters');
    refused(await exchange('slack', { ...sent, codeVerifier: `${app.verifier.slice(0, 42)}+` }), 400, 'validation_failed', 'a verifier outside the unreserved set');
    refused(await exchange('slack', { ...sent, codeVerifier: 'a'.repeat(129) }), 400, 'validation_failed', 'a verifier of 129 characters');
    refused(await exchange('slack', { ...sent, codeVerifier: app.challenge }), 400, 'oauth_code_invalid', 'the challenge itself as the verifier');
    refused(await exchange('slack', { code: app.code, state: app.state, codeVerifier: app.verifier, redirectUri: OTHER }), 400, 'oauth_state_invalid', 'another (allowed) redirect than the start\'s');
    assert.equal(await sessionCount('app@slack.example'), 0);

    // The app, with its verifier: the wrong tries spent nothing.
    const ok = await exchange('slack', { ...sent, codeVerifier: app.verifier });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(json(ok).user.email, 'app@slack.example');
    refused(await exchange('slack', { ...sent, codeVerifier: app.verifier }), 400, 'oauth_state_invalid', 'the state again');

    // A fresh code of the app, presented with the thief's own state and verifier: the
    // provider does not check verifiers, but the ID token carries the app's nonce.
    const next = await nativeCode('slack', 'slack-app');
    const thief = await nativeStart('slack');
    const before = await sessionCount('app@slack.example');
    const stolen = await exchange('slack', { code: next.code, state: thief.state, codeVerifier: thief.verifier, redirectUri: NATIVE });
    refused(stolen, 400, 'oauth_code_invalid', 'the app\'s code with the thief\'s state');
    assert.match(json(stolen).error, /nonce/, 'refused by Tessera on the nonce (the provider accepted the code)');
    assert.equal(await sessionCount('app@slack.example'), before, 'no session for the thief');
  });

  test('GitHub (PKCE upstream, no ID token): the provider checks the app\'s verifier, so the thief\'s own state fails there', async () => {
    gh.users.set('gh-app', { user: { id: 9001, login: 'ghapp', name: 'GH App', avatar_url: null, email: null }, emails: [{ email: 'app@github.example', primary: true, verified: true }] });
    gh.nextLogin = 'gh-app';
    const app = await nativeCode('github');
    assert.equal(new URL(app.url).searchParams.get('code_challenge'), app.challenge, 'the app\'s challenge went to GitHub');
    const thief = await nativeStart('github');
    const exchanges = gh.exchanges;
    refused(await exchange('github', { code: app.code, state: thief.state, codeVerifier: thief.verifier, redirectUri: NATIVE }), 400, 'oauth_code_invalid', 'the app\'s code with the thief\'s state');
    assert.equal(gh.exchanges, exchanges, 'GitHub refused it');
    assert.equal(await userByEmail('app@github.example'), undefined);
  });
});

describe('the native flow as it should be used', () => {
  test('Slack, Google and GitHub: start, authorize, exchange; the state is single-use, bound to its provider, 10 minutes long', async () => {
    op.accounts.set('native-ok', { email: 'native-ok@gmail.example', email_verified: true });
    const g = await nativeCode('google', 'native-ok');
    const url = new URL(g.url);
    assert.equal(url.searchParams.get('redirect_uri'), NATIVE);
    assert.equal(url.searchParams.get('code_challenge'), g.challenge, 'Google gets the app\'s challenge');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('nonce'), 'and Tessera\'s nonce');
    assert.ok(Date.parse(g.expiresAt) - clock.now() <= 600_000);
    refused(await exchange('slack', { code: g.code, state: g.state, codeVerifier: g.verifier, redirectUri: NATIVE }), 400, 'oauth_state_invalid', 'Google\'s state at Slack');
    const ok = await exchange('google', { code: g.code, state: g.state, codeVerifier: g.verifier, redirectUri: NATIVE });
    assert.equal(ok.statusCode, 200, ok.body);
    const body = json(ok);
    assert.ok(body.accessToken && body.refreshToken, 'native: the tokens in the body');
    assert.equal(body.user.email, 'native-ok@gmail.example');
    refused(await exchange('google', { code: g.code, state: g.state, codeVerifier: g.verifier, redirectUri: NATIVE }), 400, 'oauth_state_invalid', 'the same state again');

    op.accounts.set('slack-ok', { email: 'ok@slack.example', email_verified: true });
    const s = await nativeCode('slack', 'slack-ok');
    assert.equal(new URL(s.url).searchParams.get('code_challenge'), null, 'Slack gets no challenge: Tessera checks the verifier');
    assert.ok(new URL(s.url).searchParams.get('nonce'));
    const web = await exchange('slack', { code: s.code, state: s.state, codeVerifier: s.verifier, redirectUri: NATIVE, client: 'web' });
    assert.equal(web.statusCode, 200, web.body);
    assert.ok(web.cookies.some((c) => c.name === 'refresh_token'), 'client web: the refresh token in a cookie');

    gh.users.set('gh-ok', { user: { id: 9002, login: 'ghok', name: null, avatar_url: null, email: null }, emails: [{ email: 'ok@github.example', primary: true, verified: true }] });
    gh.nextLogin = 'gh-ok';
    const h = await nativeCode('github');
    const gok = await exchange('github', { code: h.code, state: h.state, codeVerifier: h.verifier, redirectUri: NATIVE });
    assert.equal(gok.statusCode, 200, gok.body);

    // Past 10 minutes the state is refused before the provider is asked.
    const late = await nativeCode('google', 'native-ok');
    const now = clock.now();
    clock.advance(601_000);
    try {
      refused(await exchange('google', { code: late.code, state: late.state, codeVerifier: late.verifier, redirectUri: NATIVE }), 400, 'oauth_state_invalid', 'an expired state');
    } finally {
      clock.set(now);
    }
  });

  test('the start checks its input; a provider that can bind no code (Bitbucket) is refused', async () => {
    const { challenge, verifier } = await pkce();
    refused(await authorizeReq('google', { redirectUri: 'https://evil.example/cb', codeChallenge: challenge }), 400, 'redirect_not_allowed', 'a redirect not allowed');
    refused(await authorizeReq('google', { redirectUri: NATIVE, codeChallenge: `${challenge}=` }), 400, 'validation_failed', 'a padded challenge');
    refused(await authorizeReq('google', { redirectUri: NATIVE, codeChallenge: `${verifier}${verifier}` }), 400, 'validation_failed', 'a verifier as the challenge');
    refused(await authorizeReq('google', { redirectUri: NATIVE, codeChallenge: challenge, codeChallengeMethod: 'plain' }), 400, 'validation_failed', 'the plain method');
    refused(await authorizeReq('google', { redirectUri: NATIVE }), 400, 'validation_failed', 'no challenge');
    refused(await authorizeReq('bitbucket', { redirectUri: NATIVE, codeChallenge: challenge }), 400, 'oauth_native_unsupported', 'Bitbucket');
    refused(await exchange('bitbucket', { code: 'x', state: 'y', codeVerifier: verifier, redirectUri: NATIVE }), 400, 'oauth_native_unsupported', 'Bitbucket');
    refused(await exchange('google', { code: 'x', codeVerifier: verifier, redirectUri: NATIVE }), 400, 'validation_failed', 'no state');
  });
});

describe('rate limit', () => {
  test('the exchange is limited per client address like /auth/login (AUTH_RATE_LIMIT_LOGIN_ATTEMPTS), not by the general limit', async () => {
    const ip = '203.0.113.77';
    const { verifier } = await pkce();
    const attempt = () => exchange('google', { code: 'guess', state: 'guess', codeVerifier: verifier, redirectUri: NATIVE }, ip);
    for (let i = 0; i < LOGIN_LIMIT; i++) refused(await attempt(), 400, 'oauth_state_invalid', `attempt ${i + 1}`);
    const limited = await attempt();
    refused(limited, 429, 'rate_limited', `attempt ${LOGIN_LIMIT + 1}`);
    assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After');
    // Another address is not affected.
    refused(await exchange('google', { code: 'guess', state: 'guess', codeVerifier: verifier, redirectUri: NATIVE }), 400, 'oauth_state_invalid', 'another address');
  });
});
