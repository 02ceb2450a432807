// Synchronous hooks end to end: a real HTTP receiver on 127.0.0.1 checks every signature
// and answers as each test decides. Custom claims at sign-in and refresh, the reserved
// claims, before-signup consent, and what timeouts and broken answers do when the hooks
// fail closed (the default) or open.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { ConfigError, loadConfig } from '../src/core/config/index.ts';
import { generateSigningSecret, verifyMessage } from '../src/core/crypto/index.ts';
import { mergeClaims } from '../src/modules/hooks/index.ts';
import { HASURA_NAMESPACE, type AccessClaims } from '../src/modules/tokens/index.ts';
import {
  bearer, createTestApp, decodeJwtPart, json, login, refreshCookie, register, SAME_ORIGIN, uniqueCredentials, type TestApp,
} from './helpers/app.ts';
import { codeOf, linkOf, SmtpSink } from './helpers/smtp.ts';

// ---- a hook receiver ---------------------------------------------------------------------

interface HookCall {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, any>;
  /** The signature checked with the shared secret, as a receiver must. */
  verified: boolean;
}

interface Answer {
  status?: number;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Send the body in two writes (chunked, no Content-Length). */
  chunked?: boolean;
}

type Responder = (call: HookCall) => Answer;

const DEFAULTS: Record<string, Responder> = {
  '/claims': () => ({ body: { claims: {} } }),
  '/signup': () => ({ body: { decision: 'continue' } }),
};

async function hookReceiver(secret: string) {
  const calls: HookCall[] = [];
  const responders = new Map<string, Responder>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, any> = {};
      try { body = JSON.parse(raw) as Record<string, any>; } catch { /* recorded as is */ }
      const path = (req.url ?? '/').split('?')[0]!;
      const call: HookCall = { path, headers: req.headers, raw, body, verified: verifyMessage(secret, req.headers, raw, Date.now()) };
      calls.push(call);
      const answer: Answer = (responders.get(path) ?? DEFAULTS[path] ?? ((): Answer => ({ status: 404, body: {} })))(call);
      const send = () => {
        if (res.destroyed) return;
        const text = typeof answer.body === 'string' ? answer.body : answer.body === undefined ? '' : JSON.stringify(answer.body);
        const length = answer.chunked ? {} : { 'content-length': String(Buffer.byteLength(text)) };
        res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...length, ...answer.headers });
        if (answer.chunked && text.length > 1) {
          res.write(text.slice(0, text.length >> 1));
          res.end(text.slice(text.length >> 1));
        } else res.end(text);
      };
      if (answer.delayMs) {
        const timer = setTimeout(send, answer.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url, calls,
    on(path: string, responder: Responder) { responders.set(path, responder); },
    reset() { responders.clear(); },
    last(path: string): HookCall {
      const hit = calls.filter((c) => c.path === path).at(-1);
      assert.ok(hit, `the ${path} hook was called`);
      return hit;
    },
    count: (path: string) => calls.filter((c) => c.path === path).length,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
type Receiver = Awaited<ReturnType<typeof hookReceiver>>;

// ---- helpers -------------------------------------------------------------------------------

const claimsOf = (token: string) => decodeJwtPart(token, 1);
const loginReq = (t: TestApp, creds: { email: string; password: string }, client: 'web' | 'native' = 'native') =>
  t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, client } });
const userRow = (t: TestApp, email: string) => t.deps.db.selectFrom('users').select(['id', 'username']).where('email', '=', email.toLowerCase()).executeTakeFirst();
const sessionsOf = async (t: TestApp, userId: string) => t.deps.db.selectFrom('sessions').select(['id', 'revoked_at']).where('user_id', '=', userId).execute();
const newestAudit = (t: TestApp, type: string) =>
  t.deps.db.selectFrom('audit_log').selectAll().where('type', '=', type).orderBy('id', 'desc').limit(1).executeTakeFirst();
const logLines = (t: TestApp) => t.logs.map((l) => JSON.parse(l) as Record<string, any>);

/** Waits `ms` (real time) before answering. */
const slow = (ms: number, answer: Answer = { body: { claims: { late: true } } }): Responder => () => ({ ...answer, delayMs: ms });

// ---- configuration -------------------------------------------------------------------------

describe('hook configuration', () => {
  const base = { AUTH_ENCRYPTION_KEY: 'k'.repeat(32) };
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      return err.problems.join('\n');
    }
    return '';
  };

  test('defaults: no hooks, 2 s, both fail closed', () => {
    const c = loadConfig(base);
    assert.deepEqual([c.hookCustomClaimsUrl, c.hookBeforeSignupUrl, c.hookTimeout, c.hookCustomClaimsOnFailure, c.hookBeforeSignupOnFailure], [undefined, undefined, 2, 'closed', 'closed']);
  });

  test('a hook URL needs AUTH_HOOK_SECRET; bad values name their variable and never echo a secret', () => {
    assert.match(problemsOf({ AUTH_HOOK_CUSTOM_CLAIMS_URL: 'https://hooks.example.test/claims' }), /^AUTH_HOOK_SECRET: required/m);
    assert.match(problemsOf({ AUTH_HOOK_BEFORE_SIGNUP_URL: 'https://hooks.example.test/signup' }), /^AUTH_HOOK_SECRET: required/m);
    const short = problemsOf({ AUTH_HOOK_SECRET: 'short-secret-value' });
    assert.match(short, /^AUTH_HOOK_SECRET: /m);
    assert.ok(!short.includes('short-secret-value'), 'the secret is not echoed');
    assert.match(problemsOf({ AUTH_HOOK_SECRET: 'whsec_!!!not-base64!!!' }), /^AUTH_HOOK_SECRET: expected whsec_/m);
    assert.match(problemsOf({ AUTH_HOOK_SECRET: `whsec_${Buffer.alloc(8).toString('base64')}` }), /at least 24/);
    assert.match(problemsOf({ AUTH_HOOK_CUSTOM_CLAIMS_URL: 'ftp://hooks.example.test' }), /^AUTH_HOOK_CUSTOM_CLAIMS_URL: /m);
    assert.match(problemsOf({ AUTH_HOOK_BEFORE_SIGNUP_URL: 'https://user:pw@hooks.example.test' }), /^AUTH_HOOK_BEFORE_SIGNUP_URL: .*without user name/m);
    assert.match(problemsOf({ AUTH_HOOK_TIMEOUT: '31s' }), /^AUTH_HOOK_TIMEOUT: expected at most 30s/m);
    assert.match(problemsOf({ AUTH_HOOK_TIMEOUT: '500ms' }), /^AUTH_HOOK_TIMEOUT: /m);
    assert.match(problemsOf({ AUTH_HOOK_CUSTOM_CLAIMS_ON_FAILURE: 'maybe' }), /^AUTH_HOOK_CUSTOM_CLAIMS_ON_FAILURE: expected one of open, closed/m);
    assert.equal(problemsOf({ AUTH_HOOK_CUSTOM_CLAIMS_URL: 'http://127.0.0.1:9/c', AUTH_HOOK_SECRET: generateSigningSecret(), AUTH_HOOK_BEFORE_SIGNUP_ON_FAILURE: 'open' }), '');
    assert.equal(problemsOf({ AUTH_HOOK_BEFORE_SIGNUP_URL: 'http://127.0.0.1:9/s', AUTH_HOOK_SECRET: 'a raw secret of at least 32 characters!' }), '');
  });

  test('the merge rule on its own: case-insensitive Hasura keys, no prototype games, namespace must be an object', () => {
    const base = { sub: 'u', sid: 's', iat: 1, exp: 2, iss: 'tessera', email: 'e', username: 'n', role: 'viewer', [HASURA_NAMESPACE]: { 'x-hasura-user-id': 'u', 'x-hasura-default-role': 'viewer' } } as AccessClaims;
    const m = mergeClaims(base, JSON.parse('{"__proto__": {"polluted": true}, "Sub": "kept: names are case-sensitive", "https://hasura.io/jwt/claims": {"X-HASURA-USER-ID": "evil", "x-hasura-Org-Id": "9", "__proto__": {"x": 1}}}') as Record<string, unknown>);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(m.claims), Object.prototype);
    assert.equal(m.claims.Sub, 'kept: names are case-sensitive');
    assert.deepEqual(m.claims[HASURA_NAMESPACE], { 'x-hasura-user-id': 'u', 'x-hasura-default-role': 'viewer', 'x-hasura-Org-Id': '9' });
    assert.deepEqual(m.dropped.sort(), ['__proto__', `${HASURA_NAMESPACE}#X-HASURA-USER-ID`, `${HASURA_NAMESPACE}#__proto__`].sort());
    assert.deepEqual(base[HASURA_NAMESPACE], { 'x-hasura-user-id': 'u', 'x-hasura-default-role': 'viewer' }, 'the input is not changed');
    const flat = mergeClaims(base, { [HASURA_NAMESPACE]: 'not an object' });
    assert.deepEqual([flat.dropped, flat.claims[HASURA_NAMESPACE]], [[HASURA_NAMESPACE], base[HASURA_NAMESPACE]]);
  });
});

// ---- fail closed (the defaults) --------------------------------------------------------------

describe('hooks failing closed (the defaults)', () => {
  const secret = generateSigningSecret();
  let hooks: Receiver;
  let sink: SmtpSink;
  let t: TestApp;
  /** The first account of the database, hence an administrator. */
  let admin: { accessToken: string };
  before(async () => {
    hooks = await hookReceiver(secret);
    sink = await new SmtpSink().start();
    t = await createTestApp({
      logLevel: 'debug',
      env: {
        ...sink.env(),
        AUTH_HOOK_CUSTOM_CLAIMS_URL: `${hooks.url}/claims`, AUTH_HOOK_BEFORE_SIGNUP_URL: `${hooks.url}/signup`, AUTH_HOOK_SECRET: secret, AUTH_HOOK_TIMEOUT: '1s',
        // No grace for a spent refresh token: a second use of one is reuse, so a test can
        // tell that a refused refresh did not spend the token.
        AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0',
        AUTH_MAGIC_LINK_SIGNUP: 'true',
      },
    });
    const first = await register(t.app, uniqueCredentials('admin'));
    assert.equal(first.user.role, 'admin');
    admin = await login(t.app, first.creds, 'native');
  });
  after(async () => {
    await t.close();
    await hooks.close();
    await sink.stop();
  });
  afterEach(() => { hooks.reset(); });

  test('custom claims are added at sign-in and at refresh; each request is signed and carries the claims about to be signed', async () => {
    hooks.on('/claims', (call) => ({ body: { claims: { tenant: 'acme', plan: call.body.trigger === 'refresh' ? 'pro-refreshed' : 'pro', [HASURA_NAMESPACE]: { 'x-hasura-org-id': '42' } } } }));
    const { creds, user } = await register(t.app);
    const signedIn = await login(t.app, creds, 'native');
    const c = claimsOf(signedIn.accessToken);
    assert.deepEqual([c.tenant, c.plan], ['acme', 'pro']);
    assert.deepEqual(c[HASURA_NAMESPACE], { 'x-hasura-allowed-roles': ['viewer'], 'x-hasura-default-role': 'viewer', 'x-hasura-user-id': user.id, 'x-hasura-org-id': '42' });
    // The token is genuine: it passes the bearer check.
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(signedIn.accessToken) });
    assert.equal(me.statusCode, 200, me.body);

    const call = hooks.last('/claims');
    assert.equal(call.verified, true, 'the signature verifies with the shared secret');
    assert.match(String(call.headers['webhook-id']), /^hook_[0-9a-f-]{36}$/);
    assert.match(String(call.headers['content-type']), /^application\/json/);
    assert.equal(call.body.type, 'custom_claims');
    assert.equal(call.body.trigger, 'sign_in');
    assert.deepEqual([call.body.userId, call.body.sessionId], [user.id, c.sid]);
    assert.deepEqual(call.body.user, { id: user.id, email: creds.email, username: creds.username, role: 'viewer', metadata: {} });
    assert.deepEqual(call.body.amr, ['pwd']);
    // What the hook saw is exactly what was signed, apart from what it added.
    const { tenant, plan, ...signed } = c;
    void tenant; void plan;
    assert.deepEqual(call.body.claims, { ...signed, [HASURA_NAMESPACE]: { 'x-hasura-allowed-roles': ['viewer'], 'x-hasura-default-role': 'viewer', 'x-hasura-user-id': user.id } });
    assert.ok(!call.raw.includes(creds.password), 'no password in the request');

    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: signedIn.refreshToken } });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const r = claimsOf(json(refreshed).accessToken);
    assert.deepEqual([r.tenant, r.plan, r[HASURA_NAMESPACE]['x-hasura-org-id'], r.sid], ['acme', 'pro-refreshed', '42', c.sid]);
    const again = hooks.last('/claims');
    assert.deepEqual([again.verified, again.body.trigger, again.body.sessionId], [true, 'refresh', c.sid]);
    assert.notEqual(again.headers['webhook-id'], call.headers['webhook-id'], 'a new id per call');

    // A cookie refresh (browser) goes through the hook too.
    const web = await login(t.app, creds, 'web');
    const byCookie = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: web.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(byCookie.statusCode, 200, byCookie.body);
    assert.equal(claimsOf(json(byCookie).accessToken).plan, 'pro-refreshed');
  });

  test('reserved claims are never overridden; other x-hasura-* keys join the namespace; the log names what was dropped, never its value', async () => {
    hooks.on('/claims', () => ({ body: { claims: {
      sub: 'evil-sub-value', role: 'admin', roles: ['admin', 'super_admin'], iss: 'evil-issuer', exp: 4102444800, iat: 1, nbf: 4102444800, sid: 'evil-sid',
      email: 'evil@example.test', username: 'evil', permissions: ['*'], amr: ['hwk'], aal: 'aal2', client_id: 'evil-client', scope: 'admin', jti: 'x', aud: 'elsewhere',
      [HASURA_NAMESPACE]: { 'x-hasura-user-id': 'evil-hasura-id', 'X-Hasura-Default-Role': 'admin', 'x-hasura-allowed-roles': ['admin'], 'x-hasura-org-id': '7', 'not-hasura': 'x' },
      app_metadata: { plan: 'team' },
    } } }));
    const { creds, user } = await register(t.app);
    const before = t.logs.length;
    const signedIn = await login(t.app, creds, 'native');
    const c = claimsOf(signedIn.accessToken);
    assert.deepEqual(
      [c.sub, c.role, c.roles, c.iss, c.email, c.username, c.amr, c.aal, c.exp - c.iat, c.nbf, c.client_id, c.scope, c.jti, c.aud, c.permissions],
      [user.id, 'viewer', ['viewer'], 'tessera', creds.email, creds.username, ['pwd'], 'aal1', 15 * 60, undefined, undefined, undefined, undefined, undefined, undefined],
    );
    assert.notEqual(c.sid, 'evil-sid');
    assert.deepEqual(c[HASURA_NAMESPACE], { 'x-hasura-allowed-roles': ['viewer'], 'x-hasura-default-role': 'viewer', 'x-hasura-user-id': user.id, 'x-hasura-org-id': '7' });
    assert.deepEqual(c.app_metadata, { plan: 'team' });
    assert.equal((await t.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(signedIn.accessToken) })).statusCode, 200, 'still a user token of the right session');

    const lines = t.logs.slice(before);
    const warning = lines.map((l) => JSON.parse(l) as Record<string, any>).find((l) => l.msg === 'custom claims hook: reserved claims ignored');
    assert.ok(warning, 'a warning names the dropped claims');
    for (const name of ['sub', 'role', 'iss', 'exp', 'sid', 'client_id', `${HASURA_NAMESPACE}#x-hasura-user-id`, `${HASURA_NAMESPACE}#X-Hasura-Default-Role`, `${HASURA_NAMESPACE}#not-hasura`]) {
      assert.ok(warning.dropped.includes(name), `${name} is named`);
    }
    for (const value of ['evil-sub-value', 'evil-issuer', 'evil-hasura-id', 'evil-client']) assert.ok(!lines.some((l) => l.includes(value)), `${value} is not logged`);
  });

  test('a timeout refuses the sign-in with 503 hook_failed, within the timeout; no session, no refresh token, and an audit entry', async () => {
    const { creds, user } = await register(t.app);
    hooks.on('/claims', slow(4000));
    const started = Date.now();
    const res = await loginReq(t, creds, 'web');
    const elapsed = Date.now() - started;
    assert.equal(res.statusCode, 503, res.body);
    assert.deepEqual(json(res), { error: 'The service could not complete the request; try again shortly', code: 'hook_failed' });
    assert.ok(elapsed >= 900 && elapsed < 3000, `answered after the 1 s timeout, not the hook's 4 s (${elapsed} ms)`);
    assert.equal(refreshCookie(res), undefined, 'no refresh cookie');
    assert.deepEqual(await sessionsOf(t, user.id), [], 'no session was started');
    const entry = await newestAudit(t, 'user.login_failed');
    assert.deepEqual([entry?.subject_user_id, entry?.reason, entry?.success], [user.id, 'hook_failed', false]);
    const logged = logLines(t).find((l) => l.hook === 'custom_claims' && l.reason === 'timeout' && l.userId === user.id);
    assert.ok(logged, 'the failure is logged with its reason');
    assert.equal(logged.level, 50, 'at error level: users are refused');
  });

  test('a failing hook at refresh answers 503 and leaves the refresh token unspent (and the cookie in place) for a later try', async () => {
    const { creds } = await register(t.app);
    const web = await login(t.app, creds, 'web');
    const native = await login(t.app, creds, 'native');
    hooks.on('/claims', () => ({ status: 500, body: { error: 'database down', secret: 'hook-internal-detail' } }));
    const refused = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: web.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(refused.statusCode, 503, refused.body);
    assert.equal(json(refused).code, 'hook_failed');
    assert.ok(!refused.body.includes('hook-internal-detail'), "the hook's answer never reaches the client");
    assert.equal(refreshCookie(refused), undefined, 'the cookie is not cleared');
    const refusedNative = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: native.refreshToken } });
    assert.equal(refusedNative.statusCode, 503);

    hooks.reset();
    // Without grace (AUTH_REFRESH_TOKEN_REUSE_INTERVAL=0) a spent token would now be reuse.
    const retried = await t.app.inject({ method: 'POST', url: '/auth/refresh', cookies: { refresh_token: web.refreshToken }, headers: SAME_ORIGIN });
    assert.equal(retried.statusCode, 200, retried.body);
    assert.ok(refreshCookie(retried)?.value, 'a rotated cookie');
    const retriedNative = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: native.refreshToken } });
    assert.equal(retriedNative.statusCode, 200, retriedNative.body);
    assert.ok(!t.logs.some((l) => l.includes('hook-internal-detail')), "the hook's answer is never logged");
  });

  test('other failures: an error status, a redirect (not followed), bad JSON, a non-object, bad claims, too large', async () => {
    const { creds, user } = await register(t.app);
    const big = 'x'.repeat(70 * 1024);
    const cases: [string, Answer][] = [
      ['http 500', { status: 500, body: { claims: { tenant: 'acme' } } }],
      ['http 404', { status: 404, body: {} }],
      ['redirect', { status: 307, headers: { location: `${hooks.url}/claims-elsewhere` }, body: '' }],
      ['not JSON', { body: 'claims: yes' }],
      ['empty 200', { body: '' }],
      ['an array', { body: [{ claims: {} }] }],
      ['JSON null', { body: 'null' }],
      ['claims not an object', { body: { claims: ['tenant'] } }],
      ['claims over 4 KiB', { body: { claims: { blob: 'y'.repeat(4200) } } }],
      ['body over 64 KiB', { body: { claims: {}, padding: big } }],
      ['body over 64 KiB, chunked', { body: { claims: {}, padding: big }, chunked: true }],
    ];
    for (const [name, answer] of cases) {
      hooks.on('/claims', () => answer);
      const res = await loginReq(t, creds);
      assert.equal(res.statusCode, 503, `${name}: ${res.body}`);
      assert.equal(json(res).code, 'hook_failed', name);
    }
    assert.equal(hooks.count('/claims-elsewhere'), 0, 'the redirect was not followed');
    assert.deepEqual(await sessionsOf(t, user.id), [], 'no session was left behind');
    const reasons = logLines(t).filter((l) => l.hook === 'custom_claims' && l.userId === user.id).map((l) => l.reason);
    for (const reason of ['http_status', 'invalid_json', 'invalid_response', 'too_large']) assert.ok(reasons.includes(reason), `${reason} logged`);
    // A 204, and an answer without claims, add nothing and are not failures.
    for (const answer of [{ status: 204, body: '' }, { body: {} }, { body: { claims: null } }] as Answer[]) {
      hooks.on('/claims', () => answer);
      const res = await loginReq(t, creds);
      assert.equal(res.statusCode, 200, res.body);
    }
  });

  test('before-signup: a rejection is 403 signup_rejected with the cleaned message; no account; the hook got no password', async () => {
    hooks.on('/signup', () => ({ body: { decision: 'reject', message: '  Sign-ups are by\u0000 invitation\u202e only.\n' + ' Sorry!'.repeat(60) } }));
    const creds = uniqueCredentials('rejected');
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...creds, email: creds.email.toUpperCase(), locale: 'fr' }, headers: { 'user-agent': 'HookTest/1.0' } });
    assert.equal(res.statusCode, 403, res.body);
    const body = json(res);
    assert.equal(body.code, 'signup_rejected');
    assert.ok(body.error.startsWith('Sign-ups are by invitation only. Sorry! Sorry!'), body.error);
    assert.equal([...body.error].length, 200, 'cut to 200 characters');
    assert.ok(!/[\u0000-\u001f\u202e]/.test(body.error), 'plain single-line text');
    assert.equal(await userRow(t, creds.email), undefined, 'no account');
    assert.equal((await loginReq(t, creds)).statusCode, 401, 'nothing to sign in to');

    const call = hooks.last('/signup');
    assert.equal(call.verified, true);
    assert.deepEqual(call.body, {
      type: 'before_signup', method: 'password', user: { email: creds.email.toLowerCase(), username: creds.username, locale: 'fr' }, ip: '127.0.0.1', userAgent: 'HookTest/1.0',
    });
    assert.ok(!call.raw.includes(creds.password) && !/"password"\s*:/i.test(call.raw), 'the password never leaves Tessera');
    const entry = await newestAudit(t, 'user.signup_rejected');
    assert.deepEqual([entry?.reason, entry?.success, entry?.subject_user_id, entry?.details], ['hook_rejected', false, null, { method: 'password', email: creds.email.toLowerCase() }]);

    // Without a usable message, the catalogue's.
    hooks.on('/signup', () => ({ body: { decision: 'reject', message: 42 } }));
    const plain = await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials() });
    assert.deepEqual([plain.statusCode, json(plain).error], [403, 'Registration was refused']);
  });

  test('before-signup is asked before the address is looked up: a taken address gets the same rejection', async () => {
    const { creds } = await register(t.app);
    hooks.on('/signup', (call) => (call.body.user.email.endsWith('@example.test') ? { body: { decision: 'reject', message: 'Use your work address' } } : { body: { decision: 'continue' } }));
    const taken = await t.app.inject({ method: 'POST', url: '/auth/register', payload: { ...uniqueCredentials(), email: creds.email } });
    const fresh = await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials() });
    assert.deepEqual([taken.statusCode, taken.body], [fresh.statusCode, fresh.body]);
    assert.equal(json(taken).code, 'signup_rejected');
  });

  test('before-signup: continue, {} and 204 let the registration through', async () => {
    for (const answer of [{ body: { decision: 'continue' } }, { body: {} }, { status: 204, body: '' }] as Answer[]) {
      hooks.on('/signup', () => answer);
      const { creds } = await register(t.app);
      assert.ok(await userRow(t, creds.email));
    }
  });

  test('before-signup failing closed: a timeout, an error status or an unknown decision refuse with 503 hook_failed', async () => {
    const cases: [string, Responder][] = [
      ['timeout', slow(4000, { body: { decision: 'continue' } })],
      ['http 502', () => ({ status: 502, body: { decision: 'continue' } })],
      ['unknown decision', () => ({ body: { decision: 'allow' } })],
      ['not JSON', () => ({ body: '<html>' })],
    ];
    for (const [name, responder] of cases) {
      hooks.on('/signup', responder);
      const creds = uniqueCredentials('closed');
      const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: creds });
      assert.equal(res.statusCode, 503, `${name}: ${res.body}`);
      assert.equal(json(res).code, 'hook_failed');
      assert.equal(await userRow(t, creds.email), undefined, `${name}: no account`);
    }
    assert.equal((await newestAudit(t, 'user.signup_rejected'))?.reason, 'hook_failed');
  });

  test('a passwordless sign-up asks before-signup when the code is used; a rejection leaves the code usable; the token gets its claims', async () => {
    const email = uniqueCredentials('otp').email;
    const ask = await t.app.inject({ method: 'POST', url: '/auth/email-code', payload: { email } });
    assert.equal(ask.statusCode, 200);
    await t.deps.settle();
    const code = codeOf(await sink.latest(email, /sign-in code/));
    assert.ok(!hooks.calls.some((c) => c.path === '/signup' && c.body.user?.email === email), 'not asked when the code is requested');

    hooks.on('/signup', () => ({ body: { decision: 'reject', message: 'Not yet' } }));
    const rejected = await t.app.inject({ method: 'POST', url: '/auth/email-code/verify', payload: { email, code, client: 'native' } });
    assert.deepEqual([rejected.statusCode, json(rejected).code, json(rejected).error], [403, 'signup_rejected', 'Not yet']);
    assert.equal(await userRow(t, email), undefined);
    const asked = hooks.last('/signup');
    assert.deepEqual([asked.verified, asked.body.method, asked.body.user], [true, 'email_code', { email, username: null, locale: 'en' }]);

    hooks.on('/signup', () => ({ body: { decision: 'continue' } }));
    hooks.on('/claims', () => ({ body: { claims: { onboarding: true } } }));
    const accepted = await t.app.inject({ method: 'POST', url: '/auth/email-code/verify', payload: { email, code, client: 'native' } });
    assert.equal(accepted.statusCode, 200, accepted.body);
    const row = await userRow(t, email);
    assert.ok(row, 'the account exists now');
    const c = claimsOf(json(accepted).accessToken);
    assert.deepEqual([c.sub, c.onboarding, c.amr], [row.id, true, ['otp']]);
    assert.deepEqual(hooks.last('/claims').body.amr, ['otp']);
  });

  test('a magic link opened in a browser lands on the application with the refusal; once allowed, the same link signs up', async () => {
    const email = uniqueCredentials('link').email;
    assert.equal((await t.app.inject({ method: 'POST', url: '/auth/magic-link', payload: { email } })).statusCode, 200);
    await t.deps.settle();
    const link = new URL(linkOf(await sink.latest(email, /sign-in link/), 'http://localhost:4000/auth/magic-link/verify?token='));
    const open = () => t.app.inject({ method: 'GET', url: link.pathname + link.search });

    hooks.on('/signup', () => ({ body: { decision: 'reject', message: 'Not yet' } }));
    const rejected = await open();
    assert.equal(rejected.statusCode, 302);
    assert.equal(new URL(String(rejected.headers.location)).searchParams.get('error'), 'signup_rejected');
    assert.equal(refreshCookie(rejected), undefined);
    hooks.on('/signup', slow(4000, { body: { decision: 'continue' } }));
    const failed = await open();
    assert.deepEqual([failed.statusCode, new URL(String(failed.headers.location)).searchParams.get('error')], [302, 'hook_failed']);
    assert.equal(await userRow(t, email), undefined);
    assert.equal(hooks.last('/signup').body.method, 'magic_link');

    hooks.reset();
    const accepted = await open();
    assert.equal(accepted.statusCode, 302);
    assert.equal(new URL(String(accepted.headers.location)).searchParams.get('error'), null);
    assert.ok(refreshCookie(accepted)?.value, 'signed in');
    assert.ok(await userRow(t, email));
  });

  test('accounts created by an administrator do not ask before-signup', async () => {
    hooks.on('/signup', () => ({ body: { decision: 'reject', message: 'nobody' } }));
    const before = hooks.count('/signup');
    const made = uniqueCredentials('made');
    const res = await t.app.inject({ method: 'POST', url: '/admin/users', headers: bearer(admin.accessToken), payload: { username: made.username, email: made.email, password: made.password } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(hooks.count('/signup'), before);
  });

  test('no secret, token or hook answer in the log', () => {
    const all = t.logs.join('\n');
    assert.ok(!all.includes(secret), 'the signing secret');
    assert.ok(!all.includes(secret.slice('whsec_'.length)), 'the key');
    assert.ok(!all.includes('"claims":'), 'no claims object (the request or an answer)');
  });
});

// ---- fail open -------------------------------------------------------------------------------

describe('hooks failing open', () => {
  const secret = 'a raw hook secret of more than 32 characters';
  let hooks: Receiver;
  let t: TestApp;
  before(async () => {
    hooks = await hookReceiver(secret);
    t = await createTestApp({
      logLevel: 'warn',
      env: {
        AUTH_HOOK_CUSTOM_CLAIMS_URL: `${hooks.url}/claims`, AUTH_HOOK_BEFORE_SIGNUP_URL: `${hooks.url}/signup`, AUTH_HOOK_SECRET: secret, AUTH_HOOK_TIMEOUT: '1s',
        AUTH_HOOK_CUSTOM_CLAIMS_ON_FAILURE: 'open', AUTH_HOOK_BEFORE_SIGNUP_ON_FAILURE: 'open',
      },
    });
  });
  after(async () => {
    await t.close();
    await hooks.close();
  });
  afterEach(() => { hooks.reset(); });

  test('a raw (non-whsec) secret signs too; claims still arrive when the hook answers', async () => {
    hooks.on('/claims', () => ({ body: { claims: { tenant: 'open-co' } } }));
    const { creds } = await register(t.app);
    assert.equal(hooks.last('/signup').verified, true);
    const c = claimsOf((await login(t.app, creds, 'native')).accessToken);
    assert.equal(c.tenant, 'open-co');
    assert.equal(hooks.last('/claims').verified, true);
  });

  test('custom claims timing out: the token is issued without the extra claims, at sign-in and refresh, and a warning is logged', async () => {
    const { creds, user } = await register(t.app);
    hooks.on('/claims', slow(4000, { body: { claims: { tenant: 'late' } } }));
    const started = Date.now();
    const signedIn = await login(t.app, creds, 'native');
    assert.ok(Date.now() - started < 3000, 'the timeout applies');
    const c = claimsOf(signedIn.accessToken);
    assert.equal(c.tenant, undefined);
    assert.deepEqual([c.sub, c.role], [user.id, 'viewer']);
    hooks.on('/claims', () => ({ status: 503, body: {} }));
    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: signedIn.refreshToken } });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    assert.equal(claimsOf(json(refreshed).accessToken).tenant, undefined);
    const warnings = logLines(t).filter((l) => l.hook === 'custom_claims' && l.userId === user.id);
    assert.deepEqual(warnings.map((w) => [w.level, w.reason, w.onFailure]), [[40, 'timeout', 'open'], [40, 'http_status', 'open']]);
    assert.equal(warnings[1]!.status, 503);
  });

  test('before-signup timing out or broken: the registration goes through, with a warning; a rejection still rejects', async () => {
    hooks.on('/signup', slow(4000, { body: { decision: 'reject' } }));
    const { creds } = await register(t.app);
    assert.ok(await userRow(t, creds.email));
    hooks.on('/signup', () => ({ body: 'nonsense' }));
    await register(t.app);
    const reasons = logLines(t).filter((l) => l.hook === 'before_signup').map((l) => [l.level, l.reason]);
    assert.deepEqual(reasons, [[40, 'timeout'], [40, 'invalid_json']]);
    hooks.on('/signup', () => ({ body: { decision: 'reject', message: 'Closed for now' } }));
    const res = await t.app.inject({ method: 'POST', url: '/auth/register', payload: uniqueCredentials() });
    assert.deepEqual([res.statusCode, json(res).code, json(res).error], [403, 'signup_rejected', 'Closed for now']);
  });
});
