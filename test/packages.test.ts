// The SDK packages as a consumer gets them: the repository's build (tsc per package)
// gives ESM with declarations; @tessera/client imports nothing outside itself; a
// bundler drops what an app does not import; a strict TypeScript consumer compiles
// against the published types and the types refuse misuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const pkg = (name: string) => JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8')) as Record<string, any>;

function buildPackages(): void {
  // The order of the root package's workspaces: the React bindings compile against the client's declarations.
  const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  assert.deepEqual(workspaces, ['packages/client', 'packages/react']);
  for (const w of workspaces) {
    rmSync(join(root, w, 'dist'), { recursive: true, force: true });
    assert.equal(pkg(w.split('/')[1]!).scripts.build, 'tsc -p tsconfig.build.json');
    execFileSync(process.execPath, [tsc, '-p', join(root, w, 'tsconfig.build.json')], { cwd: join(root, w), stdio: 'pipe' });
  }
}

/** The module specifiers a built file imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

async function bundleSize(contents: string): Promise<string> {
  const out = await build({ stdin: { contents, resolveDir: root, loader: 'js' }, bundle: true, format: 'esm', minify: true, write: false, external: ['react'], logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

test('the build gives typed ESM; the client has no dependencies; unused parts are dropped by a bundler', async () => {
  buildPackages();
  const client = pkg('client');
  assert.equal(client.type, 'module');
  assert.equal(client.sideEffects, false);
  assert.equal(client.dependencies, undefined, 'no runtime dependencies');
  assert.equal(client.peerDependencies, undefined);
  const files = readdirSync(join(root, 'packages/client/dist'));
  for (const f of files.filter((f) => f.endsWith('.js'))) {
    assert.ok(files.includes(f.replace(/\.js$/, '.d.ts')), `${f} has declarations`);
    for (const spec of importsOf(join(root, 'packages/client/dist', f))) assert.match(spec, /^\.\/[\w-]+\.js$/, `${f} imports ${spec}`);
  }
  const react = pkg('react');
  assert.deepEqual(Object.keys(react.dependencies), ['@tessera/client']);
  assert.deepEqual(Object.keys(react.peerDependencies), ['react']);
  assert.deepEqual([...new Set(importsOf(join(root, 'packages/react/dist/index.js')))].sort(), ['@tessera/client', 'react']);

  // Node loads the built client as is.
  const mod = (await import(pathToFileURL(join(root, 'packages/client/dist/index.js')).href)) as typeof import('../packages/client/src/index.ts');
  const c = mod.createClient({ url: 'http://127.0.0.1:9', client: 'native', autoRefresh: false });
  const err = await c.signIn({ email: 'a@example.test', password: 'x' }).catch((e: unknown) => e);
  assert.ok(err instanceof mod.TesseraError && err.code === 'network_error');
  c.dispose();

  // Tree-shaking through the package exports: the error class alone leaves the client out.
  const small = await bundleSize(`import { TesseraError } from '@tessera/client'; console.log(new TesseraError('x', 400, 'y'));`);
  const full = await bundleSize(`import { createClient } from '@tessera/client'; console.log(createClient({ url: 'https://a' }));`);
  assert.ok(!small.includes('/auth/refresh') && !small.includes('BroadcastChannel'), 'the unused client is dropped');
  assert.ok(full.includes('/auth/refresh') && full.includes('BroadcastChannel'));
  assert.ok(small.length * 5 < full.length, `${small.length} vs ${full.length} bytes`);
  const hook = await bundleSize(`import { useAuth } from '@tessera/react'; console.log(useAuth);`);
  assert.ok(hook.length < full.length, 'the hook alone does not pull the provider\'s client');
});

test('a strict TypeScript consumer compiles against the published types, and misuse does not', () => {
  const dir = join(root, '.tmp', `consumer-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ES2022', moduleResolution: 'Bundler', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: false, types: [] },
      include: ['*.ts'],
    }));
    const good = `
      import { createClient, TesseraError, memoryStorage, type SignInResult, type User } from '@tessera/client';
      import { AuthProvider, useAuth, type AuthState } from '@tessera/react';
      const client = createClient({ url: 'https://auth.example.com', client: 'native', storage: memoryStorage() });
      export async function flow(): Promise<User | null> {
        const r: SignInResult = await client.signIn({ email: 'a@b.c', password: 'x' });
        if (r.status === 'mfa_required') await client.verifyMfa({ verificationId: r.verificationId, code: '123456', method: r.methods[0]! });
        if (r.status === 'signed_in') return r.user;
        try { await client.sessions.list(); } catch (e) { if (e instanceof TesseraError) return e.code === 'x' ? null : null; }
        return null;
      }
      export const provider: typeof AuthProvider = AuthProvider;
      export function hook(): AuthState['user'] { return useAuth().user; }
    `;
    writeFileSync(join(dir, 'good.ts'), good);
    const ok = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);

    // Reading the user of a result that may be an MFA challenge is a type error.
    writeFileSync(join(dir, 'bad.ts'), `
      import { createClient } from '@tessera/client';
      export async function f() { const r = await createClient({ url: 'x' }).signIn({ email: 'a', password: 'b' }); return r.user.id; }
    `);
    const bad = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /bad\.ts.*Property 'user' does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
