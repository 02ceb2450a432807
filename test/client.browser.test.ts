// @tessera/client and @tessera/react in Chromium, against the real server on another
// localhost port (a cross-origin front end with the refresh cookie and CORS): several
// tabs of one origin refreshing at the same moment send one refresh request and all stay
// signed in, with Web Locks and with the BroadcastChannel fallback; a revoked session
// signs every tab out; a React component with useAuth() goes through loading, sign-in,
// restore on reload and sign-out. The SDK is bundled from its sources with esbuild.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserSkip, launch, withAuthenticator } from './helpers/browser.ts';
import { createTestApp, uniqueCredentials, type TestApp } from './helpers/app.ts';

const skip = browserSkip();
const root = join(import.meta.dirname, '..');
const alias = { '@tessera/client': join(root, 'packages/client/src/index.ts'), '@tessera/react': join(root, 'packages/react/src/index.ts') };

let t: TestApp;
let api = '';
let browser: Browser;
let pages: { origin: string; server: Server };

/** The front end: an SDK page per tab and a React app, served from their own origin. */
async function frontEnd(): Promise<{ origin: string; server: Server }> {
  const bundle = async (contents: string, loader: 'ts' | 'tsx') => {
    const out = await build({
      stdin: { contents, loader, resolveDir: root, sourcefile: 'entry.tsx' }, bundle: true, format: 'iife', platform: 'browser',
      write: false, alias, jsx: 'automatic', define: { 'process.env.NODE_ENV': '"development"' }, logLevel: 'silent',
    });
    return out.outputFiles[0]!.text;
  };
  const sdk = await bundle(`import * as Tessera from '@tessera/client'; (window as any).Tessera = Tessera;`, 'ts');
  const react = await bundle(`
    import { useState } from 'react';
    import { createRoot } from 'react-dom/client';
    import { AuthProvider, useAuth } from '@tessera/react';
    function Panel() {
      const { user, loading, signIn, signOut } = useAuth();
      const [email, setEmail] = useState('');
      const [password, setPassword] = useState('');
      const [message, setMessage] = useState('');
      if (loading) return <p id="state">loading</p>;
      if (user) return (<div><p id="state">signed in as {user.email}</p><button id="out" onClick={() => void signOut()}>Sign out</button></div>);
      return (
        <form onSubmit={async (e) => {
          e.preventDefault();
          try {
            const r = await signIn({ email, password });
            setMessage(r.status);
          } catch (err) { setMessage((err as { code?: string }).code ?? 'error'); }
        }}>
          <p id="state">signed out</p>
          <input id="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          <input id="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
          <button id="in" type="submit">Sign in</button>
          <p id="message">{message}</p>
        </form>
      );
    }
    const api = new URLSearchParams(location.search).get('api')!;
    createRoot(document.getElementById('root')!).render(<AuthProvider url={api} options={{ client: 'web' }}><Panel /></AuthProvider>);
  `, 'tsx');
  const sdkPage = `<!doctype html><meta charset="utf-8"><title>tab</title><script>${sdk}</script><script>
    const q = new URLSearchParams(location.search);
    if (q.has('nolocks')) Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
    window.events = [];
    window.client = Tessera.createClient({ url: q.get('api'), client: 'web', autoRefresh: false, refreshMargin: Number(q.get('margin') ?? 30) });
    client.onAuthStateChange((e) => events.push(e));
  </script><p>tab</p>`;
  const reactPage = `<!doctype html><meta charset="utf-8"><title>react</title><div id="root"></div><script>${react}</script>`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(path === '/react' ? reactPage : sdkPage);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://localhost:${(server.address() as { port: number }).port}`, server };
}

/** Requests the pages of a context put on the wire, as `METHOD /path`. */
function recordWire(context: BrowserContext): string[] {
  const wire: string[] = [];
  context.on('request', (r) => { if (r.url().startsWith(api)) wire.push(`${r.method()} ${new URL(r.url()).pathname}`); });
  return wire;
}

async function tabs(context: BrowserContext, n: number, query = ''): Promise<Page[]> {
  const out: Page[] = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    await page.goto(`${pages.origin}/?api=${encodeURIComponent(api)}${query}`);
    out.push(page);
  }
  return out;
}

async function register(): Promise<{ email: string; password: string }> {
  const creds = uniqueCredentials('tabs');
  const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: creds });
  assert.equal(res.statusCode, 201, res.body);
  return { email: creds.email, password: creds.password };
}

/** A fresh browser context (its own cookies and tabs) for one test, closed afterwards. */
async function inContext(run: (context: BrowserContext) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  try {
    await run(context);
  } finally {
    await context.close();
  }
}

/** Another device of the same user revokes the session the page's tabs share. */
async function revokeFrom(page: Page): Promise<void> {
  const sid = await page.evaluate(() => (window as any).client.sessions.current().then((s: { id: string }) => s.id));
  const res = await t.app.inject({ method: 'DELETE', url: `/auth/sessions/${sid}`, headers: { authorization: `Bearer ${await token(page)}` } });
  assert.equal(res.statusCode, 200, res.body);
}

const token = (p: Page) => p.evaluate(() => (window as any).client.getSession()?.accessToken ?? null) as Promise<string | null>;
const events = (p: Page) => p.evaluate(() => (window as any).events as string[]);

/** Signs in in the first tab and waits until every tab has the session. */
async function signInFirst(all: Page[]): Promise<void> {
  const creds = await register();
  const status = await all[0]!.evaluate((c) => (window as any).client.signIn(c).then((r: { status: string }) => r.status), creds);
  assert.equal(status, 'signed_in');
  for (const p of all) await p.waitForFunction(() => (window as any).client.getSession() !== null);
}

/** Every tab asks for a refresh at the same moment; returns each tab's access token after it. */
async function refreshTogether(all: Page[]): Promise<(string | null)[]> {
  // Each tab waits for the same wall-clock instant so the requests truly overlap.
  const at = Date.now() + 300;
  return Promise.all(all.map((p) => p.evaluate((when) => new Promise<string | null>((resolve, reject) => {
    setTimeout(() => { (window as any).client.refreshSession().then((s: { accessToken: string } | null) => resolve(s?.accessToken ?? null), reject); }, when - Date.now());
  }), at)));
}

describe('@tessera/client and @tessera/react in Chromium', { skip }, () => {
  before(async () => {
    pages = await frontEnd();
    // Any second use of a spent refresh token revokes the session: a duplicate refresh
    // from a second tab would sign everyone out instead of passing unnoticed.
    t = await createTestApp({ env: { AUTH_CORS_ORIGINS: pages.origin, AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false', AUTH_WEBAUTHN_ORIGINS: pages.origin } });
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = address.replace('127.0.0.1', 'localhost');
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await new Promise((r) => pages?.server.close(() => r(undefined)));
  });

  for (const mode of ['Web Locks', 'BroadcastChannel'] as const) {
    test(`four tabs refreshing at once send one refresh request and all stay signed in (${mode})`, async () => {
      await inContext(async (context) => {
        const all = await tabs(context, 4, (mode === 'Web Locks' ? '' : '&nolocks'));
        const hasLocks = await all[0]!.evaluate(() => typeof navigator.locks?.request === 'function');
        assert.equal(hasLocks, mode === 'Web Locks');
        const wire = recordWire(context);
        await signInFirst(all);
        assert.equal(wire.filter((w) => w === 'POST /auth/login').length, 1);

        for (let round = 1; round <= 2; round++) {
          const before = wire.filter((w) => w === 'POST /auth/refresh').length;
          const tokens = await refreshTogether(all);
          assert.equal(wire.filter((w) => w === 'POST /auth/refresh').length - before, 1, `round ${round}: one refresh request for four tabs (${wire.join(', ')})`);
          assert.ok(tokens.every((x) => typeof x === 'string' && x.length > 0), 'every tab has an access token');
          assert.equal(new Set(tokens).size, 1, 'every tab has the same, new access token');
          for (const p of all) assert.equal(await token(p), tokens[0]);
        }
        // Every tab is signed in for the server: its token is accepted and the session was not revoked.
        for (const p of all) {
          const email = await p.evaluate(() => (window as any).client.getUser().then((u: { email: string } | null) => u?.email ?? null));
          assert.ok(email && email.includes('@'));
        }
        for (const p of all.slice(1)) {
          const ev = await events(p);
          assert.ok(ev.includes('TOKEN_REFRESHED'), ev.join(','));
          assert.ok(!ev.includes('SIGNED_OUT'), ev.join(','));
        }
      });
    });
  }

  test('a revoked session signs out every tab', async () => {
    await inContext(async (context) => {
      const all = await tabs(context, 3);
      await signInFirst(all);
      const wire = recordWire(context);
      await revokeFrom(all[0]!);

      // The next refresh in one tab finds the session gone.
      const after = await all[1]!.evaluate(() => (window as any).client.refreshSession().then((s: unknown) => s));
      assert.equal(after, null);
      for (const p of all) {
        await p.waitForFunction(() => (window as any).client.getSession() === null);
        assert.ok((await events(p)).includes('SIGNED_OUT'));
      }
      assert.equal(wire.filter((w) => w === 'POST /auth/refresh').length, 1, 'the other tabs did not try again');
      // And a bearer call after revocation in a fresh round: sign in again, revoke, call the API.
      await signInFirst(all);
      await revokeFrom(all[2]!);
      const code = await all[2]!.evaluate(() => (window as any).client.getUser().then(() => 'ok', (e: { code: string }) => e.code));
      assert.equal(code, 'session_revoked');
      for (const p of all) await p.waitForFunction(() => (window as any).client.getSession() === null);
    });
  });

  test('signing out in one tab signs out the others', async () => {
    await inContext(async (context) => {
      const all = await tabs(context, 2);
      await signInFirst(all);
      await all[1]!.evaluate(() => (window as any).client.signOut());
      await all[0]!.waitForFunction(() => (window as any).client.getSession() === null);
      // The cookie is gone too: a new tab restores nothing.
      const [fresh] = await tabs(context, 1);
      assert.equal(await fresh!.evaluate(() => (window as any).client.initialize().then((s: unknown) => s)), null);
    });
  });

  test('passkeys: register on the device, sign in with it alone, and as a second factor', async () => {
    const creds = await register();
    const { context, page } = await withAuthenticator(browser, `${pages.origin}/?api=${encodeURIComponent(api)}`);
    try {
      const run = <T,>(fn: string) => page.evaluate(`(async () => { const client = window.client; ${fn} })()`) as Promise<T>;
      assert.equal(await run<string>(`return (await client.signIn(${JSON.stringify(creds)})).status;`), 'signed_in');
      const created = await run<{ name: string; id: string }>(`return client.passkeys.register({ name: 'Test laptop' });`);
      assert.equal(created.name, 'Test laptop');
      assert.equal((await run<{ passkeys: unknown[] }>(`return client.passkeys.list();`)).passkeys.length, 1);
      await run(`await client.signOut();`);
      // Discoverable: no address typed.
      const alone = await run<{ status: string; email: string }>(`const r = await client.passkeys.signIn(); return { status: r.status, email: r.user.email };`);
      assert.deepEqual(alone, { status: 'signed_in', email: creds.email });
      await run(`await client.signOut();`);
      // With the password first, the passkey is the second factor.
      const second = await run<{ first: string; methods: string[]; status: string }>(`
        const first = await client.signIn(${JSON.stringify(creds)});
        const done = await client.passkeys.signIn({ verificationId: first.verificationId });
        return { first: first.status, methods: first.methods, status: done.status };`);
      assert.equal(second.first, 'mfa_required');
      assert.ok(second.methods.includes('passkey'));
      assert.equal(second.status, 'signed_in');
      await run(`await client.passkeys.rename(${JSON.stringify(created.id)}, 'Renamed');`);
      assert.equal((await run<{ passkeys: { name: string }[] }>(`return client.passkeys.list();`)).passkeys[0]!.name, 'Renamed');
    } finally {
      await context.close();
    }
  });

  test('React: useAuth() through loading, sign-in, restore on reload, another tab, and sign-out', async () => {
    await inContext(async (context) => {
      const creds = await register();
      const page = await context.newPage();
      const url = `${pages.origin}/react?api=${encodeURIComponent(api)}`;
      await page.goto(url);
      await page.waitForSelector('#state:text("signed out")');

      await page.fill('#email', creds.email);
      await page.fill('#password', 'wrong-password-123');
      await page.click('#in');
      await page.waitForSelector('#message:text("invalid_credentials")');
      assert.equal(await page.textContent('#state'), 'signed out');

      await page.fill('#password', creds.password);
      await page.click('#in');
      await page.waitForSelector(`#state:text("signed in as ${creds.email}")`);

      // The refresh cookie restores the session on reload (loading first, then the user).
      await page.reload();
      await page.waitForSelector(`#state:text("signed in as ${creds.email}")`);
      const second = await context.newPage();
      await second.goto(url);
      await second.waitForSelector(`#state:text("signed in as ${creds.email}")`);

      await page.click('#out');
      await page.waitForSelector('#state:text("signed out")');
      await second.waitForSelector('#state:text("signed out")');
      await page.reload();
      await page.waitForSelector('#state:text("signed out")');
    });
  });
});
