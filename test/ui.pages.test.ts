// The hosted pages and the dashboard as HTTP resources, without a browser: every page is a
// complete document in the request's language with no inline script under a strict CSP,
// what a visitor sends is escaped, redirectTo is checked, the theme comes only from
// validated colours, the locales are complete, and AUTH_UI_ENABLED=false removes it all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { loadConfig } from '../src/core/config/index.ts';
import { errorCatalogue } from '../src/core/errors/catalogue.ts';
import { loadTemplates } from '../src/modules/mail/templates.ts';
import { baseEnv } from './helpers/app.ts';

const root = join(import.meta.dirname, '..');
const PUBLIC = 'http://localhost:4000';

/** Pages that answer 200 to a visitor without a session (their data comes later, from the API). */
export const PAGES = [
  '/ui/sign-in', '/ui/sign-up', '/ui/verify-email', '/ui/forgot-password', '/ui/reset-password?token=abc', '/ui/password-expired',
  '/ui/mfa', '/ui/mfa/enroll', '/ui/account', '/ui/invitation?token=abc',
  '/ui/oauth2/authorize?request=AAAAAAAAAAAAAAAAAAAA', '/oauth2/logout', '/ui/oauth2/signed-out',
  '/admin/ui', '/admin/ui/users', '/admin/ui/users/0ff93bab-90cb-4a47-bba5-b40dba20416a', '/admin/ui/roles', '/admin/ui/organizations', '/admin/ui/service-accounts', '/admin/ui/applications', '/admin/ui/webhooks', '/admin/ui/providers', '/admin/ui/keys',
];

function scripts(body: string): string[] {
  return [...body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => `${m[1]}|${m[2]!.trim() ? 'content' : ''}`);
}

describe('hosted pages over HTTP', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: { AUTH_PUBLIC_URL: PUBLIC, AUTH_CLIENT_URL: `${PUBLIC}/ui` } }); });
  after(async () => { await t.close(); });

  test('every page is a whole HTML document with a strict CSP and no inline script', async () => {
    for (const url of PAGES) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, 200, `${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      assert.match(res.headers['content-type'] as string, /^text\/html; charset=utf-8/, url);
      assert.equal(res.headers['cache-control'], 'no-store', url);
      const csp = res.headers['content-security-policy'] as string;
      assert.match(csp, /script-src 'self'(;|$)/, url);
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.match(res.body, /^<!doctype html>\n<html lang="en">/, url);
      assert.equal((res.body.match(/<h1[ >]/g) ?? []).length, 1, `${url}: one h1`);
      for (const s of scripts(res.body)) {
        // Either an external module from this origin, or the JSON messages block (data, not code).
        assert.ok(/ src="\/ui\/assets\/pages\/[a-z-]+\.js"/.test(s) || /type="application\/json"/.test(s), `${url}: inline script ${s}`);
      }
      assert.doesNotMatch(res.body, /\son[a-z]+="/i, `${url}: inline event handler`);
      assert.doesNotMatch(res.body, /https?:\/\/(?!localhost:4000)[a-z0-9.-]+\.[a-z]{2,}\/[^"]*\.(?:js|css|woff2?)/i, `${url}: third-party asset`);
      const src = /src="\/ui\/assets\/pages\/([a-z-]+)\.js"/.exec(res.body)?.[1];
      if (src) assert.equal((await t.app.inject({ url: `/ui/assets/pages/${src}.js` })).statusCode, 200, `${url}: its script is served`);
    }
  });

  test('every page script is used by a page', async () => {
    const used = new Set<string>();
    for (const url of PAGES) {
      const m = /src="\/ui\/assets\/pages\/([a-z-]+)\.js"/.exec((await t.app.inject({ url })).body);
      if (m) used.add(m[1]!);
    }
    const shipped = readdirSync(join(root, 'src/web/assets/pages')).map((f) => f.replace(/\.js$/, ''));
    for (const s of shipped) assert.ok(used.has(s), `pages/${s}.js is served by no page in the list`);
  });

  test('redirectTo is kept only when allowed, and escaped where it is echoed', async () => {
    const ok = await t.app.inject({ url: `/ui/sign-in?redirectTo=${encodeURIComponent('/admin/ui/users?q=a&role=b')}` });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /data-target="http:\/\/localhost:4000\/admin\/ui\/users\?q=a&amp;role=b" data-redirect-to="\/admin\/ui\/users\?q=a&amp;role=b"/);
    // A target that is not in normal form (quotes, angle brackets) is refused rather than rewritten.
    const odd = await t.app.inject({ url: `/ui/sign-in?redirectTo=${encodeURIComponent('/admin/ui/users?q="><script>x</script>')}` });
    assert.equal(odd.statusCode, 400);
    assert.doesNotMatch(odd.body, /<script>x/);
    const client = await t.app.inject({ url: `/ui/sign-in?redirectTo=${encodeURIComponent(`${PUBLIC}/ui`)}` });
    assert.equal(client.statusCode, 200, 'AUTH_CLIENT_URL is allowed');
    for (const bad of ['https://evil.example/ui', '//evil.example/ui/account', '/\\evil.example', `${PUBLIC}/ui/../auth/me`, `${PUBLIC}/auth/me`, 'http://localhost:4000.evil.example/ui', 'http://user@localhost:4000/ui/account', 'javascript:alert(1)']) {
      const res = await t.app.inject({ url: `/ui/sign-in?redirectTo=${encodeURIComponent(bad)}` });
      assert.equal(res.statusCode, 400, bad);
      assert.match(res.body, /redirect_not_allowed/, bad);
      assert.doesNotMatch(res.body, /evil\.example/, `${bad} is not echoed`);
    }
  });

  test("the JSON API's redirectTo accepts the service's own pages", async () => {
    const res = await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email: 'nobody@example.com', redirectTo: `${PUBLIC}/ui/account` } });
    assert.equal(res.statusCode, 200, res.body);
    const bad = await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email: 'nobody@example.com', redirectTo: `${PUBLIC}/auth/me` } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'redirect_not_allowed');
  });

  test('the language comes from ?lang=, then the remembered choice, then Accept-Language', async () => {
    const fr = await t.app.inject({ url: '/ui/sign-in?lang=fr' });
    assert.match(fr.body, /<html lang="fr">/);
    assert.match(fr.body, /<title>Connexion · Tessera<\/title>/);
    const cookie = fr.cookies.find((c) => c.name === 'tessera_lang');
    assert.equal(cookie?.value, 'fr');
    assert.equal(cookie?.httpOnly, true);
    const remembered = await t.app.inject({ url: '/ui/forgot-password', cookies: { tessera_lang: 'fr' }, headers: { 'accept-language': 'en' } });
    assert.match(remembered.body, /<html lang="fr">/);
    const header = await t.app.inject({ url: '/ui/sign-in', headers: { 'accept-language': 'de;q=0.9, fr-CA;q=0.8, en;q=0.5' } });
    assert.match(header.body, /<html lang="fr">/);
    const unknown = await t.app.inject({ url: '/ui/sign-in?lang=xx', headers: { 'accept-language': 'de' } });
    assert.match(unknown.body, /<html lang="en">/);
    assert.equal(unknown.cookies.find((c) => c.name === 'tessera_lang'), undefined);
    // The page script's messages are in the page's language too.
    const messages = JSON.parse(/<script type="application\/json" id="tessera-messages">([\s\S]*?)<\/script>/.exec(fr.body)![1]!) as Record<string, string>;
    assert.equal(messages['errors.invalid_credentials'], "L'adresse e-mail, le nom d'utilisateur ou le mot de passe n'est pas le bon.");
  });

  test('assets are served with validators; an unknown one is a coded 404', async () => {
    const css = await t.app.inject({ url: '/ui/assets/ui.css' });
    assert.equal(css.statusCode, 200);
    assert.match(css.headers['content-type'] as string, /^text\/css/);
    const again = await t.app.inject({ url: '/ui/assets/ui.css', headers: { 'if-none-match': css.headers.etag as string } });
    assert.equal(again.statusCode, 304);
    const missing = await t.app.inject({ url: '/ui/assets/../../package.json' });
    assert.equal(missing.statusCode, 404);
    const none = await t.app.inject({ url: '/ui/assets/nope.js' });
    assert.equal(none.statusCode, 404);
    assert.equal(none.json().code, 'not_found');
  });

  test('the forms cannot be posted from another site', async () => {
    const creds = { username: 'csrf-user', email: 'csrf-user@example.com', password: 'correct horse battery' };
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/register', payload: creds })).statusCode, 201);
    // The pages post JSON with fetch; a cookie-setting sign-in from another origin is refused,
    // and a classic cross-site HTML form (urlencoded, no preflight) is not accepted at all.
    const cross = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { origin: 'https://evil.example' }, payload: { email: creds.email, password: creds.password } });
    assert.equal(cross.statusCode, 403);
    assert.equal(cross.json().code, 'csrf_rejected');
    assert.equal(cross.cookies.length, 0);
    const form = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=${encodeURIComponent(creds.email)}&password=${encodeURIComponent(creds.password)}` });
    assert.ok([403, 415].includes(form.statusCode), String(form.statusCode));
    assert.equal(form.cookies.length, 0);
    const same = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { origin: PUBLIC }, payload: { email: creds.email, password: creds.password } });
    assert.equal(same.statusCode, 200);
    assert.ok(same.cookies.some((c) => c.name === 'refresh_token'));
  });

  test('email links land on /ui with their outcome', async () => {
    assert.equal((await t.app.inject({ url: '/ui' })).headers.location, '/ui/account');
    const done = await t.app.inject({ url: '/ui?email_verified=true' });
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /Your email address is verified/);
    const failed = await t.app.inject({ url: '/ui?error=email_token_expired' });
    assert.equal(failed.statusCode, 400);
    assert.match(failed.body, /has expired/);
    const odd = await t.app.inject({ url: `/ui?error=${encodeURIComponent('<b>x</b>')}` });
    assert.equal(odd.statusCode, 400);
    assert.doesNotMatch(odd.body, /<b>x<\/b>/);
  });
});

describe('theme and branding', () => {
  test('the colours and the logo come from the configuration', async () => {
    const t = await createTestApp({ env: { AUTH_UI_PRIMARY_COLOR: '#0B7285', AUTH_UI_BACKGROUND_COLOR: '#fff', AUTH_UI_TEXT_COLOR: '#111111', AUTH_UI_LOGO_URL: 'https://cdn.example.com/brand/logo.svg', AUTH_APP_NAME: 'Acme ID' } });
    try {
      const theme = await t.app.inject({ url: '/ui/assets/theme.css' });
      assert.match(theme.body, /--tessera-primary:#0b7285;/);
      assert.match(theme.body, /--tessera-background:#fff;/);
      assert.match(theme.body, /--tessera-text:#111111;/);
      const page = await t.app.inject({ url: '/ui/sign-in' });
      assert.match(page.body, /<img src="https:\/\/cdn\.example\.com\/brand\/logo\.svg"/);
      assert.match(page.body, /<title>Sign in · Acme ID<\/title>/);
      assert.match(page.headers['content-security-policy'] as string, /img-src 'self' data: validator\.swagger\.io https:\/\/cdn\.example\.com;/);
    } finally { await t.close(); }
  });

  test('anything but a colour or a safe logo URL fails at start-up, naming the variable', () => {
    const bad: Array<[string, string]> = [
      ['AUTH_UI_PRIMARY_COLOR', 'red;}body{display:none'], ['AUTH_UI_PRIMARY_COLOR', 'rgb(1,2,3)'], ['AUTH_UI_BACKGROUND_COLOR', '#12345'],
      ['AUTH_UI_LOGO_URL', 'http://cdn.example.com/logo.png'], ['AUTH_UI_LOGO_URL', 'javascript:alert(1)'], ['AUTH_UI_LOGO_URL', '//evil.example/logo.png'],
      ['AUTH_UI_LOGO_URL', 'data:text/html;base64,PHNjcmlwdD4='], ['AUTH_UI_LOGO_URL', '/logo.svg" onerror="x'],
    ];
    for (const [name, value] of bad) assert.throws(() => loadConfig({ ...baseEnv(), [name]: value }), new RegExp(name), `${name}=${value}`);
    for (const ok of ['/ui/assets/logo.svg', 'https://cdn.example.com/a.png', 'data:image/png;base64,iVBORw0KGgo=']) {
      assert.equal(loadConfig({ ...baseEnv(), AUTH_UI_LOGO_URL: ok }).uiLogoUrl, ok);
    }
  });

  test('AUTH_UI_ENABLED=false serves no page and allows no own-page redirect', async () => {
    const t = await createTestApp({ env: { AUTH_UI_ENABLED: 'false', AUTH_PUBLIC_URL: PUBLIC } });
    try {
      for (const url of ['/ui/sign-in', '/admin/ui', '/ui/assets/ui.js']) {
        const res = await t.app.inject({ url });
        assert.equal(res.statusCode, 404, url);
        assert.equal(res.json().code, 'not_found', url);
      }
      const res = await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email: 'nobody@example.com', redirectTo: `${PUBLIC}/ui/account` } });
      assert.equal(res.json().code, 'redirect_not_allowed');
    } finally { await t.close(); }
  });
});

describe('locales', () => {
  const dir = join(root, 'src/web/locales');
  const flat = (o: Record<string, unknown>, p = ''): Record<string, string> => Object.entries(o).reduce<Record<string, string>>((acc, [k, v]) => {
    if (v && typeof v === 'object') Object.assign(acc, flat(v as Record<string, unknown>, `${p}${k}.`));
    else acc[`${p}${k}`] = String(v);
    return acc;
  }, {});
  const load = (locale: string, file: string) => flat(JSON.parse(readFileSync(join(dir, locale, file), 'utf8')) as Record<string, unknown>);

  test('the pages speak the same languages as the emails', () => {
    assert.deepEqual(readdirSync(dir).sort(), [...loadTemplates().locales].sort());
  });

  test('every locale has every message of every file, with the same placeholders', () => {
    const files = readdirSync(join(dir, 'en')).sort();
    for (const locale of readdirSync(dir)) {
      assert.deepEqual(readdirSync(join(dir, locale)).sort(), files, `${locale}: files`);
      for (const file of files) {
        const en = load('en', file);
        const other = load(locale, file);
        assert.deepEqual(Object.keys(other).sort(), Object.keys(en).sort(), `${locale}/${file}: keys`);
        for (const [k, v] of Object.entries(en)) {
          const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
          assert.deepEqual(ph(other[k]!), ph(v), `${locale}/${file} ${k}: placeholders`);
          assert.ok(other[k]!.trim(), `${locale}/${file} ${k} is empty`);
        }
      }
    }
  });

  test('every error code a client can see has a message for the pages', () => {
    const en = load('en', 'common.json');
    for (const code of Object.keys(errorCatalogue)) assert.ok(en[`errors.${code}`], `errors.${code}`);
  });
});
