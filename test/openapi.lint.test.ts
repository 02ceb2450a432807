// The served OpenAPI document passes `redocly lint` with the recommended rules (no error),
// names every operation with a unique operationId, has `servers`, and states every
// operation's security: `[]` for public routes, a defined scheme for the others. What it
// says of security is then checked against what the routes do: a route that documents a
// credential as required refuses a request without one (401), and a route documented as
// public never asks for a bearer token.
//
// The document is taken with every optional route set on (/metrics, the compatibility
// profiles), so that what the lint passes is everything an operator can turn on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, json, type TestApp } from './helpers/app.ts';
import { root } from './helpers/process.ts';

type Schema = Record<string, any>;
type Operation = { operationId?: string; security?: Record<string, string[]>[]; tags?: string[]; requestBody?: { content: Record<string, { schema: Schema }> } };
interface Doc {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown> };
}
interface LintProblem { ruleId: string; severity: 'error' | 'warn'; message: string; location: { pointer: string }[] }

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const NO_ID = '00000000-0000-4000-8000-000000000000';
const PUBLIC_URL = 'https://auth.tessera.test';

/** Every operation of the document, with its method and path. */
function operations(doc: Doc): { method: string; path: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).filter(([m]) => METHODS.includes(m)).map(([method, op]) => ({ method, path, op })));
}

/** A valid-looking value for a schema, so that a request passes validation and meets the credential check. */
function plausible(s: Schema | undefined, depth = 0): unknown {
  if (!s || depth > 4) return 'lint';
  if (s.enum) return s.enum[0];
  if (s.const !== undefined) return s.const;
  if (s.anyOf || s.oneOf) return plausible((s.anyOf ?? s.oneOf)[0], depth + 1);
  switch (Array.isArray(s.type) ? s.type.find((x: string) => x !== 'null') : s.type) {
    case 'string':
      if (s.format === 'email') return 'lint@example.test';
      if (s.format === 'uri' || s.format === 'url') return 'http://127.0.0.1:9/lint';
      if (typeof s.pattern === 'string' && s.pattern.includes('[0-9a-fA-F]{8}')) return NO_ID;
      return 'lint'.padEnd(Math.max(s.minLength ?? 0, 6), '0').slice(0, s.maxLength ?? 1000);
    case 'integer': case 'number': return s.minimum ?? 1;
    case 'boolean': return true;
    case 'array': return s.minItems ? [plausible(s.items, depth + 1)] : [];
    case 'object': return Object.fromEntries((s.required ?? []).map((k: string) => [k, plausible(s.properties?.[k], depth + 1)]));
    default: return 'lint';
  }
}

/** `redocly lint` (the pinned CLI, run by Node) on a document, with the recommended rules. */
function lint(doc: unknown): { problems: LintProblem[]; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    // Run from the temp dir, so that no redocly.yaml of a parent folder changes the rules.
    const r = spawnSync(process.execPath, [join(root, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', '--extends', 'recommended', '--format', 'json', '--max-problems', '10000', file], {
      cwd: dir, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    });
    if (r.error) throw r.error;
    const start = r.stdout.indexOf('{');
    assert.ok(start >= 0, `redocly printed no report: ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 2000)}`);
    return { problems: (JSON.parse(r.stdout.slice(start)) as { problems: LintProblem[] }).problems, status: r.status, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Doc;
  before(async () => {
    t = await createTestApp({
      env: {
        AUTH_PUBLIC_URL: PUBLIC_URL, AUTH_METRICS_TOKEN: 'metrics-token-0123456789abcdef', AUTH_INTROSPECTION_SECRET: 'lint-introspection-secret-0123456789abcdef',
        AUTH_COMPAT_PROFILES: 'myauth,mstack,edd', AUTH_EMAIL_REQUIRED: 'false', AUTH_REFRESH_TOKEN_ROTATION: 'false',
      },
    });
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    doc = json(res) as Doc;
  });
  after(async () => { await t.close(); });

  test('redocly lint with the recommended rules reports no error', () => {
    const { problems, status, stderr } = lint(doc);
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    assert.deepEqual(errors, []);
    assert.equal(status, 0, stderr.slice(-2000));
  });

  test('the lint is live: it reports the errors of a document without servers, operationIds or security', () => {
    const stripped = structuredClone(doc) as Doc;
    delete stripped.servers;
    for (const { op } of operations(stripped)) { delete op.operationId; delete op.security; }
    const { problems, status } = lint(stripped);
    const rules = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.ruleId));
    assert.ok(rules.has('no-empty-servers') && rules.has('security-defined'), [...rules].join(', '));
    assert.notEqual(status, 0);
  });

  test('has servers (AUTH_PUBLIC_URL) and a unique operationId on every operation', () => {
    assert.deepEqual(doc.servers?.map((s) => s.url), [PUBLIC_URL]);
    const ops = operations(doc);
    assert.ok(ops.length > 100, `${ops.length} operations`);
    const seen = new Map<string, string>();
    for (const { method, path, op } of ops) {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z0-9]+$/, `${method} ${path}`);
      assert.equal(seen.get(op.operationId!), undefined, `${method} ${path} shares its operationId with ${seen.get(op.operationId!)}`);
      seen.set(op.operationId!, `${method} ${path}`);
    }
    // Derived from the path: a generated client's names stay put.
    assert.equal(doc.paths['/auth/login']?.post?.operationId, 'postAuthLogin');
    assert.equal(doc.paths['/admin/users/{id}']?.patch?.operationId, 'patchAdminUsersById');
    assert.equal(doc.paths['/.well-known/jwks.json']?.get?.operationId, 'getWellKnownJwksJson');
    assert.ok(!Object.keys(doc.paths).some((p) => p.length > 1 && p.endsWith('/')), 'no path ends with a slash');
  });

  test('every operation states its security with defined schemes; public routes say []', () => {
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const { method, path, op } of operations(doc)) {
      assert.ok(Array.isArray(op.security), `${method} ${path} states no security`);
      for (const requirement of op.security!) for (const name of Object.keys(requirement)) assert.ok(schemes.has(name), `${method} ${path}: unknown scheme ${name}`);
    }
    assert.deepEqual(doc.paths['/auth/login']?.post?.security, []);
    assert.deepEqual(doc.paths['/healthz']?.get?.security, []);
    assert.deepEqual(doc.paths['/auth/me']?.get?.security, [{ bearerAuth: [] }]);
    // Derived from the route's guard hook (the route's schema does not say it).
    assert.deepEqual(doc.paths['/auth/identities']?.get?.security, [{ bearerAuth: [] }]);
    assert.deepEqual(doc.paths['/admin/users']?.get?.security, [{ bearerAuth: ['users:read'] }]);
  });

  test('what it says of security is what the routes do', async () => {
    const wrong: string[] = [];
    for (const { method, path, op } of operations(doc)) {
      const url = path.replace(/\{[^}]+\}/g, (m) => (/id\}$/i.test(m) ? NO_ID : m === '{provider}' ? 'github' : 'lint'));
      const body = op.requestBody?.content['application/json']?.schema;
      const res = await t.app.inject({ method: method.toUpperCase() as 'GET', url, ...(method === 'get' || method === 'delete' ? {} : { payload: (plausible(body) ?? {}) as object }) });
      const anonymousAllowed = op.security!.length === 0 || op.security!.some((r) => Object.keys(r).length === 0);
      const askedForBearer = res.statusCode === 401 && /^Bearer/i.test(String(res.headers['www-authenticate'] ?? ''));
      if (!anonymousAllowed && res.statusCode !== 401) wrong.push(`${method.toUpperCase()} ${path} documents ${JSON.stringify(op.security)} but answered ${res.statusCode} without credentials`);
      if (anonymousAllowed && askedForBearer) wrong.push(`${method.toUpperCase()} ${path} is documented as open to anonymous callers but asked for a bearer token`);
    }
    assert.deepEqual(wrong, []);
  });
});
