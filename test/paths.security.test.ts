// Path-based decisions follow the route that matched, never the raw URL. Every POST under
// /auth that the cross-site guard covers, and every GET under /auth (Cache-Control:
// no-store), is requested in spellings that may reach the same handler: percent-encoded
// letters, an absolute-form request line, a query or fragment; and in spellings that must
// not (encoded or doubled slashes, a trailing slash, other case, dot segments, `..;/`,
// path parameters). Each either gets exactly the plain path's treatment or a 404. The
// requests go over a real socket, byte for byte (an HTTP client would normalise them).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createTestApp, type TestApp } from './helpers/app.ts';

const PUBLIC = 'https://auth.example.test';
const EVIL = 'https://evil.example';
// The routes other sites may post to (see core/http/csrf.ts).
const CROSS_SITE_ALLOWED = new Set(['/auth/oauth/{provider}/callback', '/auth/token', '/auth/introspect']);

interface RawResponse { status: number; headers: Record<string, string>; body: string }

/** One request with exactly this request target, over its own connection. */
function raw(port: number, method: string, target: string, headers: Record<string, string>, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const lines = [`${method} ${target} HTTP/1.1`, 'Host: auth.example.test', 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      // Not end(): a half-closed connection may be dropped before a slow answer is written.
      socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const out: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(':');
        out[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: out, body: rest.join('\r\n\r\n') });
    });
  });
}

const hex = (c: string, lower = false) => { const h = `%${c.charCodeAt(0).toString(16).toUpperCase()}`; return lower ? h.toLowerCase() : h; };

/**
 * Spellings of `path` (a concrete path under /auth). `same`: the router may take them for
 * the route itself, so they must be treated exactly like it; `other`: they must not reach
 * the route (404), or, if they do, get the same treatment too.
 */
function spellings(path: string): { same: string[]; other: string[] } {
  const rest = path.slice('/auth'.length); // "/login"
  const last = path.at(-1) === '/' ? path.slice(0, -1) : path;
  return {
    same: [
      path,
      `/%61uth${rest}`,
      `/%61%75%74%68${rest}`,
      [...path].map((c) => (c === '/' ? c : hex(c))).join(''),
      `${last.slice(0, -1)}${hex(last.at(-1)!, true)}${path.slice(last.length)}`,
      `${path}?x=1`,
      `${path}#fragment`,
      `http://auth.example.test${path}`,
      `${EVIL}/%61uth${rest}`,
    ],
    other: [
      `/auth%2F${rest.slice(1)}`,
      `/auth%2f${rest.slice(1)}`,
      `/%2Fauth${rest}`,
      `/${path}`,
      `/auth/${rest}`,
      `${path}/`,
      `${path}//`,
      path.toUpperCase(),
      `/AUTH${rest}`,
      `/Auth${rest}`,
      `/auth/.${rest}`,
      `/auth/x/..${rest}`,
      `/auth/%2e%2e/auth${rest}`,
      `/auth/token/..${rest}`,
      `/auth/introspect%2F..%2F${rest.slice(1)}`,
      `/x/..;${path}`,
      `/auth;x=1${rest}`,
      `${path};x=1`,
      `${path}%3Fx=1`,
      `${path}%00`,
      `${path}%20`,
      `/auth/oauth/x/callback/../..${rest}`,
    ],
  };
}

/**
 * No route took the request: a 404, or the not-found route's own refusal of its wildcard
 * parameter (a NUL in the path is refused before the 404 is sent).
 */
function unmatched(res: RawResponse): boolean {
  if (res.status === 404) return true;
  const body = JSON.parse(res.body || '{}') as { code?: string; details?: { field?: string }[] };
  return res.status === 400 && body.code === 'validation_failed' && body.details?.[0]?.field === '*';
}

/** A concrete path for an OpenAPI path ({param} filled in). */
const concrete = (p: string) => p.replace(/\{[^}]+\}/g, 'x');

describe('path-based decisions use the matched route', () => {
  let t: TestApp;
  let port: number;
  let posts: string[];
  let gets: string[];

  before(async () => {
    t = await createTestApp({ env: { AUTH_PUBLIC_URL: PUBLIC, AUTH_INTROSPECTION_SECRET: 'introspection-secret-0123456789-abcdef' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
    const paths = (t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    const under = (method: string) => Object.keys(paths).filter((p) => p.startsWith('/auth/') && paths[p]![method]);
    posts = under('post').filter((p) => !CROSS_SITE_ALLOWED.has(p)).map(concrete);
    gets = under('get').map(concrete);
  });
  after(async () => { await t.close(); });

  test('the cross-site guard: every guarded POST, in every spelling, is refused or not found', async () => {
    assert.ok(posts.length >= 20 && posts.includes('/auth/login') && posts.includes('/auth/register'), `found ${posts.length} guarded routes`);
    const failures: string[] = [];
    for (const path of posts) {
      const { same, other } = spellings(path);
      for (const [kind, targets] of [['same', same], ['other', other]] as const) {
        for (const target of targets) {
          for (const headers of [{ origin: EVIL }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
            const res = await raw(port, 'POST', target, { ...headers, 'content-type': 'application/json' }, '{}');
            const refused = res.status === 403 && JSON.parse(res.body).code === 'csrf_rejected';
            const ok = kind === 'same' ? refused : refused || unmatched(res);
            if (!ok) failures.push(`${target} ${JSON.stringify(headers)}: ${res.status} ${res.body.slice(0, 80)}`);
            else if (refused && (res.headers['cache-control'] !== 'no-store' || res.headers.pragma !== 'no-cache')) failures.push(`${target}: refused without no-store`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('a spelling that reaches a route the guard leaves open is that route, not another', async () => {
    // The OAuth callback takes any provider name, encoded slashes and dots included: it is
    // still the callback (an unknown provider), never /auth/login.
    for (const target of ['/auth/oauth/x%2F..%2F..%2Flogin/callback', '/auth/oauth/%2e%2e/callback']) {
      const res = await raw(port, 'POST', target, { origin: EVIL, 'content-type': 'application/json' }, JSON.stringify({ email: 'nobody@example.test', password: 'wrong-password', state: 'x', code: 'y' }));
      assert.notEqual(res.status, 403, target);
      assert.ok(['oauth_provider_unknown', 'validation_failed'].includes(JSON.parse(res.body).code), `${target}: ${res.body}`);
    }
    // The token endpoint stays open to other sites in every spelling that reaches it.
    for (const target of ['/auth/token', '/%61uth/token', `http://auth.example.test/auth/%74oken`]) {
      const res = await raw(port, 'POST', target, { origin: EVIL, 'content-type': 'application/json' }, '{"grant_type":"client_credentials"}');
      assert.equal(JSON.parse(res.body).code, 'invalid_client', target);
    }
  });

  test('Cache-Control: no-store and Pragma: no-cache on every GET under /auth, in every spelling', async () => {
    assert.ok(gets.includes('/auth/me'), `found ${gets.length} GET routes`);
    const failures: string[] = [];
    for (const path of gets) {
      const { same, other } = spellings(path);
      const plain = await raw(port, 'GET', path, {});
      for (const target of [...same, ...other]) {
        const res = await raw(port, 'GET', target, {});
        if (res.headers['cache-control'] !== 'no-store' || res.headers.pragma !== 'no-cache') failures.push(`${target}: ${res.status} cache-control=${res.headers['cache-control']}`);
        if (same.includes(target) && res.status !== plain.status) failures.push(`${target}: ${res.status}, not ${plain.status} as ${path}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('same-origin and allowed callers still pass in every spelling that reaches the route', async () => {
    for (const [i, target] of spellings('/auth/login').same.entries()) {
      // An address per attempt: failures on one address are limited.
      const res = await raw(port, 'POST', target, { origin: PUBLIC, 'content-type': 'application/json' }, JSON.stringify({ email: `nobody${i}@example.test`, password: 'wrong-password' }));
      assert.equal(JSON.parse(res.body || '{}').code, 'invalid_credentials', `${target}: ${res.status} ${JSON.stringify(res.headers)} ${res.body}`);
    }
  });
});
