// Hostile requests against every route of the OpenAPI document, as anonymous and as a
// signed-in super admin: wrong types, unknown fields, deep nesting, huge strings, unpaired
// surrogates, NUL, arrays for objects, prototype keys in bodies; NUL, bad percent-escapes
// and very long values in query strings and path parameters. Whatever comes in, the
// answer is below 500 and an error is a coded JSON body without internals.
//
// test/fuzz.test.ts throws random shapes at a fixed list of endpoints; this file is
// systematic instead, and complete by construction: a new route is fuzzed the day it is
// documented. Its requests are derived from each route's own schema, so that one field is
// hostile and the rest plausible, which reaches past the first check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, createTestApp, json, login, register, type TestApp } from './helpers/app.ts';

type Schema = Record<string, any>;
interface Operation { method: string; path: string; params: string[]; query: string[]; body: Schema | undefined; formBody: boolean }

const NO_ID = '00000000-0000-4000-8000-000000000000';
const DEEP = 5000;
const HUGE = 'x'.repeat(900 * 1024);
const LONG = 'a'.repeat(10_000);

/** Raw percent-encoded values for a query string or a path segment. */
const HOSTILE_SEGMENTS = ['%00', 'a%00b', '%ud800', '%ED%A0%80', '%C0%80', '%FF', encodeURIComponent(LONG), '__proto__', '%2e%2e%2f%2e%2e', '%E2%80%AE'];

/** A plausible value for a schema: the happy path the hostile field rides along. */
function plausible(s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 4) return 'fuzz';
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  if (s.anyOf || s.oneOf) return plausible((s.anyOf ?? s.oneOf)[0], depth + 1);
  switch (type) {
    case 'string':
      if (s.format === 'email') return 'fuzz@example.test';
      if (s.format === 'date-time') return '2030-01-01T00:00:00.000Z';
      if (s.format === 'uri' || s.format === 'url') return 'http://127.0.0.1:9/fuzz';
      if (typeof s.pattern === 'string' && s.pattern.includes('[0-9a-fA-F]{8}')) return NO_ID;
      if (typeof s.pattern === 'string' && s.pattern.startsWith('^whsec_')) return `whsec_${'A'.repeat(43)}=`;
      return 'fuzz'.padEnd(Math.max(s.minLength ?? 0, 4), 'z').slice(0, s.maxLength ?? 1000);
    case 'integer': case 'number': return s.minimum ?? 1;
    case 'boolean': return true;
    case 'array': return s.minItems ? [plausible(s.items, depth + 1)] : [];
    case 'object': return Object.fromEntries((s.required ?? []).map((k: string) => [k, plausible(s.properties?.[k], depth + 1)]));
    default: return 'fuzz';
  }
}

function deepArray(n: number): string { return '['.repeat(n) + ']'.repeat(n); }
function deepObject(n: number): string { return '{"a":'.repeat(n) + '1' + '}'.repeat(n); }

/** Hostile JSON payloads for a body schema (strings, sent as they are: some are not what JSON.stringify would write). */
function hostileBodies(schema: Schema | undefined): string[] {
  const base = (plausible(schema) ?? {}) as Record<string, unknown>;
  const baseObj = typeof base === 'object' && base !== null && !Array.isArray(base) ? base : {};
  const props = Object.keys(schema?.properties ?? {});
  const withField = (k: string, raw: string) => JSON.stringify({ ...baseObj, [k]: '__RAW__' }).replace('"__RAW__"', raw);
  const out: string[] = [
    // Not an object, or not JSON at all.
    '[]', `[${JSON.stringify(baseObj)}]`, '"text"', '12', 'null', 'true', '{', '{"a":1,}', deepArray(DEEP), deepObject(DEEP), JSON.stringify(HUGE),
    // Unknown fields and prototype keys.
    JSON.stringify({ ...baseObj, isActive: false }),
    JSON.stringify({ ...baseObj, role: 'super_admin', roles: ['super_admin'], admin: true }),
    `{"__proto__":{"polluted":true,"role":"super_admin"}${Object.keys(baseObj).length ? ',' : ''}${JSON.stringify(baseObj).slice(1)}`,
    JSON.stringify({ ...baseObj, constructor: { prototype: { polluted: true } } }),
    JSON.stringify({ ...baseObj, ['\u0000']: 1 }),
    `{"\\ud800":1}`,
  ];
  for (const [i, k] of props.entries()) {
    // Wrong types, then hostile values of the right type, then deep nesting in the field.
    // (The checks they meet are shared by every route: the rarer shapes are sent once per
    // route, in its first field, to keep the file within a minute per database.)
    out.push(withField(k, '12345'), withField(k, '{"a":[1]}'), withField(k, 'null'));
    out.push(withField(k, '"\\ud800"'), withField(k, '"a\\u0000b"'), withField(k, JSON.stringify(`<script>%00</script>' OR 1=1 --`)));
    out.push(withField(k, deepArray(DEEP)));
    if (i === 0) out.push(withField(k, '[]'), withField(k, 'true'), withField(k, '"x\\udc00"'), withField(k, JSON.stringify(HUGE)), withField(k, deepObject(DEEP)), withField(k, `{"__proto__":{"polluted":true}}`));
  }
  return out;
}

/** The documented routes, from the OpenAPI document the app serves. */
function operations(doc: { paths: Record<string, Record<string, Schema>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters = (op.parameters ?? []) as { in: string; name: string }[];
      const content = (op.requestBody?.content ?? {}) as Record<string, { schema: Schema }>;
      ops.push({
        method: method.toUpperCase(), path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        body: content['application/json']?.schema ?? Object.values(content)[0]?.schema,
        formBody: 'application/x-www-form-urlencoded' in content,
      });
    }
  }
  return ops;
}

/** A plausible value for each path parameter, so that one hostile parameter is tried at a time. */
function pathWith(op: Operation, hostile?: { name: string; value: string }): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (hostile?.name === name) return hostile.value;
    if (name === 'provider') return 'github';
    if (/id$/i.test(name)) return NO_ID;
    return 'fuzz';
  });
}

/** An app to fuzz: its documented routes, a super admin for the fuzzing, and `send`, which holds the assertions. */
interface Target {
  t: TestApp;
  root: { token: string; userId: string };
  ops: Operation[];
  /** Whether an operation is a compat profile's (myauth, mstack, edd): each answers errors in its own body shape. */
  isCompat: (op: Operation) => boolean;
  superAdmin: () => Promise<string>;
  send: (op: Operation, token: string | undefined, url: string, payload?: string, contentType?: string) => Promise<void>;
}

async function target(env: Record<string, string> = {}): Promise<Target> {
  const t = await createTestApp({ logLevel: 'error', env: { AUTH_INTROSPECTION_SECRET: 'fuzz-introspection-secret-0123456789abcdef', ...env } });
  // The first account is admin and super_admin; it only ever grants the role to the fuzzing accounts.
  const { creds, user } = await register(t.app);
  const root = { token: (await login(t.app, creds, 'native')).accessToken, userId: user.id as string };
  const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const ops = operations(json(res) as { paths: Record<string, Record<string, Schema>> });
  const prefixes = { myauth: t.config.compatPrefixMyauth, mstack: t.config.compatPrefixMstack, edd: t.config.compatPrefixEdd };
  const compatPrefixes = t.config.compatProfiles.map((p) => prefixes[p]);
  const isCompat = (op: Operation) => compatPrefixes.some((p) => op.path === p || op.path.startsWith(`${p}/`));
  let actor: { token: string } | undefined;

  /** A super admin for the fuzzing itself (self-service routes may end its session): replaced when it stops working. */
  async function superAdmin(): Promise<string> {
    if (actor) {
      const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(actor.token) });
      if (me.statusCode === 200) return actor.token;
    }
    const { creds, user } = await register(t.app);
    const grant = await t.app.inject({ method: 'PUT', url: `/admin/users/${user.id}/roles/super_admin`, headers: bearer(root.token) });
    assert.equal(grant.statusCode, 200, grant.body);
    actor = { token: (await login(t.app, creds, 'native')).accessToken };
    return actor.token;
  }

  async function send(op: Operation, token: string | undefined, url: string, payload?: string, contentType = 'application/json'): Promise<void> {
    const who = token ? 'super admin' : 'anonymous';
    const headers: Record<string, string> = token ? bearer(token) : {};
    if (payload !== undefined) headers['content-type'] = contentType;
    const res = await t.app.inject({ method: op.method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    const where = `${who}: ${op.method} ${url.slice(0, 200)} ${payload === undefined ? '' : `body ${payload.slice(0, 120)}`} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
    assert.ok(res.statusCode < 500, `${where} | ${res.statusCode >= 500 ? (t.logs.at(-1) ?? '').slice(0, 600) : ''}`);
    if (res.statusCode >= 400 && isCompat(op)) {
      // A profile's error is in the replaced service's shape (src/modules/compat/errors.ts): JSON, but not Tessera's {code,error}.
      assert.match(String(res.headers['content-type']), /^application\/json/, where);
      assert.doesNotThrow(() => JSON.parse(res.body), where);
    } else if (res.statusCode >= 400 && String(res.headers['content-type']).startsWith('application/json')) {
      const parsed = JSON.parse(res.body) as { code?: unknown; error?: unknown };
      assert.equal(typeof parsed.code, 'string', where);
      assert.equal(typeof parsed.error, 'string', where);
    }
    assert.doesNotMatch(res.body, /\bat .*\.(ts|js):\d+|node_modules|syntax error at|insert into|select .* from/i, where);
  }

  return { t, root, ops, isCompat, superAdmin, send };
}

/** Every hostile request for one route, as `who` (a token, or anonymous). */
async function fuzzRoute({ send }: Target, op: Operation, who: string | undefined): Promise<void> {
  const takesBody = op.method !== 'GET';
  const emptyBody = takesBody ? '{}' : undefined;
  for (const name of op.params) {
    for (const value of HOSTILE_SEGMENTS) { await send(op, who, pathWith(op, { name, value }), emptyBody); }
  }
  const url = pathWith(op);
  for (const name of op.query) {
    for (const value of HOSTILE_SEGMENTS) { await send(op, who, `${url}?${name}=${value}`, emptyBody); }
    await send(op, who, `${url}?${name}=1&${name}=2&${name}[]=3`, emptyBody);
  }
  // A parameter the route does not know is dropped, but checked all the same.
  for (const value of ['%00', '%ud800', '%ED%A0%80', encodeURIComponent(LONG)]) { await send(op, who, `${url}?utm_source=${value}`, emptyBody); }
  await send(op, who, `${url}?__proto__[polluted]=1&constructor[prototype][polluted]=1`, emptyBody);
  if (!takesBody) return;
  for (const payload of hostileBodies(op.body)) { await send(op, who, url, payload); }
  for (const [payload, type] of [['a=%00&b=%ud800', 'application/x-www-form-urlencoded'], ['grant_type=client_credentials&__proto__[x]=1&token=%ED%A0%80', 'application/x-www-form-urlencoded'], ['{"a":1}', 'text/plain'], ['\u0000', 'application/json']] as const) {
    await send(op, who, url, payload, type);
  }
}

/** Fuzzes `pick(ops)`, as anonymous and as a super admin (one asked for per route: a route may end its session). */
function fuzzTests(f: () => Target, pick: (f: Target) => Operation[], what: string): void {
  for (const as of ['anonymous', 'super admin'] as const) {
    test(`${what} as ${as}: hostile path parameters, query strings and bodies`, async () => {
      for (const op of pick(f())) { await fuzzRoute(f(), op, as === 'anonymous' ? undefined : await f().superAdmin()); }
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    });
  }
}

describe('OpenAPI-driven hostile requests: never a 5xx', () => {
  let f: Target;
  before(async () => { f = await target(); });
  after(async () => { await f.t.close(); });

  test('the document lists the routes', () => {
    assert.ok(f.ops.length > 80, `${f.ops.length} operations`);
    assert.ok(f.ops.some((o) => o.method === 'PATCH' && o.path === '/admin/users/{id}'));
  });

  fuzzTests(() => f, (x) => x.ops, 'every route');

  test('the fuzzing changed nothing it should not have: the first administrator is still one', async () => {
    const me = await f.t.app.inject({ method: 'GET', url: `/admin/users/${f.root.userId}`, headers: bearer(f.root.token) });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(json(me).user.active, true);
    assert.ok((json(me).user.roles as string[]).includes('super_admin'));
  });
});

// The compatibility profiles are opt-in (AUTH_COMPAT_PROFILES), so the app above serves none
// of their routes: a second app, with all three on (and the username-only accounts and
// non-rotating refresh tokens they require), fuzzes the operations under their prefixes.
describe('OpenAPI-driven hostile requests: never a 5xx, compatibility profiles', () => {
  let f: Target;
  before(async () => { f = await target({ AUTH_COMPAT_PROFILES: 'myauth,mstack,edd', AUTH_EMAIL_REQUIRED: 'false', AUTH_REFRESH_TOKEN_ROTATION: 'false' }); });
  after(async () => { await f.t.close(); });

  test('the document lists the routes of the three profiles', (ctx) => {
    const compat = f.ops.filter(f.isCompat);
    ctx.diagnostic(`${compat.length} compat operations fuzzed`);
    assert.ok(compat.length > 20, `${compat.length} compat operations`);
    for (const prefix of ['/api/v1/auth/', '/mstack/auth/', '/edd/']) assert.ok(compat.some((o) => o.path.startsWith(prefix)), prefix);
  });

  fuzzTests(() => f, (x) => x.ops.filter(x.isCompat), 'every compat route');
});
