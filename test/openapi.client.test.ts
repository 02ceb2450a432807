// A TypeScript client generated from the served OpenAPI document, as an app team would
// make one: openapi-typescript turns /openapi.json into types, openapi-fetch calls the
// API with them. The generated types and a small usage file compile under strict tsc
// (with expected type errors where a caller gets a path, a field or a type wrong), and
// the usage file then signs a user up and in against the running server and reads
// /auth/me. Everything is generated into a temp dir: no generated code is committed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { root } from './helpers/process.ts';

/** The app team's code: typed calls through openapi-fetch, and mistakes the types must catch. */
const USAGE = `import createClient from 'openapi-fetch';
import type { paths, operations } from './schema.ts';

export interface SignedIn { userId: string; email: string | null; username: string; accessToken: string; refreshToken: string | undefined }

/** Registers, signs in as a native client, and reads /auth/me with the access token. */
export async function signUpAndIn(baseUrl: string, creds: { email: string; username: string; password: string }): Promise<SignedIn> {
  const api = createClient<paths>({ baseUrl });
  const registered = await api.POST('/auth/register', { body: { email: creds.email, username: creds.username, password: creds.password } });
  if (registered.error) throw new Error(\`register: \${registered.response.status} \${registered.error.code}\`);
  const login = await api.POST('/auth/login', { body: { email: creds.email, password: creds.password, client: 'native' } });
  if (login.error) throw new Error(\`login: \${login.response.status} \${login.error.code}\`);
  const accessToken: string = login.data.accessToken;
  const me = await api.GET('/auth/me', { headers: { authorization: \`Bearer \${accessToken}\` } });
  if (me.error) throw new Error(\`me: \${me.response.status} \${me.error.code}\`);
  return { userId: me.data.id, email: me.data.email, username: me.data.username, accessToken, refreshToken: login.data.refreshToken };
}

/** A wrong password: the typed error body carries the stable code. */
export async function wrongPassword(baseUrl: string, email: string): Promise<{ status: number; code: string }> {
  const api = createClient<paths>({ baseUrl });
  const res = await api.POST('/auth/login', { body: { email, password: 'not-the-password-at-all' } });
  if (!res.error) throw new Error('signed in with a wrong password');
  return { status: res.response.status, code: res.error.code };
}

/** Operations are named by their operationId. */
export type LoginBody = operations['postAuthLogin']['requestBody'];

// The types catch a caller's mistakes (each line below must fail to compile).
export function mistakes(api: ReturnType<typeof createClient<paths>>): void {
  // @ts-expect-error no such path
  void api.GET('/auth/no-such-route');
  // @ts-expect-error the password is required
  void api.POST('/auth/login', { body: { email: 'a@example.test' } });
  // @ts-expect-error the password is a string
  void api.POST('/auth/login', { body: { email: 'a@example.test', password: 12345 } });
  // @ts-expect-error /auth/me is not a POST
  void api.POST('/auth/me', {});
  // @ts-expect-error the path parameter is required
  void api.GET('/admin/users/{id}', {});
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
    allowImportingTsExtensions: true, skipLibCheck: false, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
    types: [], lib: ['ES2022', 'DOM'],
  },
  files: ['schema.ts', 'usage.ts'],
};

function run(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('a client generated from the OpenAPI document (openapi-typescript + openapi-fetch)', () => {
  let t: TestApp;
  let base = '';
  let dir = '';
  before(async () => {
    t = await createTestApp({ env: { AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'tessera-openapi-client-'));
    // The project's packages (openapi-fetch, typescript) for the generated project.
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  });
  after(async () => {
    await t.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('generates, compiles under strict tsc and signs in against the running server', async () => {
    // The document as a client sees it: over HTTP from the running server.
    const res = await fetch(`${base}/openapi.json`);
    assert.equal(res.status, 200);
    writeFileSync(join(dir, 'openapi.json'), await res.text());

    const generated = run([join(root, 'node_modules/openapi-typescript/bin/cli.js'), 'openapi.json', '--output', 'schema.ts'], dir);
    assert.equal(generated.status, 0, generated.out);
    writeFileSync(join(dir, 'usage.ts'), USAGE);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    const compiled = run([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], dir);
    assert.equal(compiled.out.trim(), '', 'tsc reports no error (and every @ts-expect-error met one)');
    assert.equal(compiled.status, 0);

    const usage = (await import(pathToFileURL(join(dir, 'usage.ts')).href)) as {
      signUpAndIn(baseUrl: string, creds: { email: string; username: string; password: string }): Promise<{ userId: string; email: string | null; username: string; accessToken: string; refreshToken: string | undefined }>;
      wrongPassword(baseUrl: string, email: string): Promise<{ status: number; code: string }>;
    };
    const creds = uniqueCredentials('generated');
    const signedIn = await usage.signUpAndIn(base, creds);
    assert.equal(signedIn.email, creds.email);
    assert.equal(signedIn.username, creds.username);
    assert.match(signedIn.userId, /^[0-9a-f-]{36}$/);
    assert.ok(signedIn.refreshToken, 'a native sign-in returns the refresh token in the body');
    // The token the generated client got is a real one: the server knows its user.
    const me = await t.app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${signedIn.accessToken}` } });
    assert.equal(me.statusCode, 200);
    assert.equal((me.json() as { id: string }).id, signedIn.userId);
    assert.deepEqual(await usage.wrongPassword(base, creds.email), { status: 401, code: 'invalid_credentials' });
  });
});
