// The real process over real sockets: start, serve, drain in-flight requests on SIGTERM,
// close the database cleanly (a restart on the same data works), refuse bad configuration,
// and `npm run migrate`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { baseEnv, uniqueCredentials } from './helpers/app.ts';
import { MIGRATION_NAMES } from '../src/core/db/index.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { freePort, post, root, run, waitHealthy } from './helpers/process.ts';

describe('the server process', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('npm start: the bundle that prestart builds serves, finds the mail templates and the pages\' files, and knows its version', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; scripts: Record<string, string> };
    const [node, ...startArgs] = pkg.scripts.start!.split(' ');
    assert.equal(node, 'node');
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(root, '.tmp', 'bundle-'));
    try {
      const outfile = join(dir, 'server.mjs');
      const built = spawnSync(process.execPath, [...pkg.scripts.prestart!.split(' ').slice(1), outfile], { cwd: root, encoding: 'utf8' });
      assert.equal(built.status, 0, built.stderr);
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const args = startArgs.map((a) => (a === 'dist/server.mjs' ? outfile : a));
      assert.ok(args.includes(outfile), 'npm start runs dist/server.mjs');
      const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...baseEnv(), ...db.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const exited = once(child, 'exit');
      try {
        await waitHealthy(base, { child, out: () => '', err: () => err, exited: exited.then(([c]) => c as number | null) });
        const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { info: { version: string } };
        assert.equal(doc.info.version, pkg.version, 'package.json found from dist/');
        // Registration sends the verification message: the shipped templates were found.
        assert.equal((await post(base, '/auth/register', uniqueCredentials('bundle'))).status, 201);
        // The hosted pages find their locales and assets beside the code too.
        const page = await fetch(`${base}/ui/sign-in?lang=fr`);
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<html lang="fr">/);
        assert.equal((await fetch(`${base}/ui/assets/pages/sign-in.js`)).status, 200);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('serves over TCP, drains an in-flight login on SIGTERM, exits 0, and restarts on the same data', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // Costly hashing makes the login slow enough to be in flight when SIGTERM lands.
    const env = { ...baseEnv(), ...db.env, PORT: String(port), AUTH_LOG_LEVEL: 'info', AUTH_PASSWORD_ARGON2_MEMORY: '19456', AUTH_PASSWORD_ARGON2_ITERATIONS: '40' };
    const first = run('src/main.ts', env);
    const creds = uniqueCredentials('socket');
    try {
      await waitHealthy(base, first);
      assert.equal((await post(base, '/auth/register', creds)).status, 201);

      // A slow login, and a second request on the same connection once the drain has begun.
      const body = JSON.stringify({ ...creds, client: 'native' });
      const socket = connect(port, '127.0.0.1');
      let raw = '';
      socket.on('data', (d: Buffer) => { raw += d.toString(); });
      const socketClosed = once(socket, 'close');
      socket.write(`POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      // SIGTERM once the server has taken the login in (its request line is logged).
      const seen = Date.now() + 10_000;
      while (!/"url":"\/auth\/login"/.test(first.out()) && Date.now() < seen) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, 20));
      first.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 60));
      socket.write('GET /auth/me HTTP/1.1\r\nHost: x\r\n\r\n');
      await socketClosed;
      const responses = raw.split(/(?=HTTP\/1\.1 )/);
      assert.match(responses[0] ?? '', /^HTTP\/1\.1 200 /, 'the in-flight request completed');
      assert.match(responses[0] ?? '', /"accessToken":"/);
      assert.match(responses[1] ?? '', /^HTTP\/1\.1 503 /, 'a request arriving during the drain is turned away');
      assert.match(responses[1] ?? '', /"code":"not_ready"/);
      assert.equal(await first.exited, 0, first.err());
      const log = first.out();
      assert.match(log, /shutting down: draining in-flight requests/);
      assert.match(log, /"msg":"stopped"/);
      await assert.rejects(fetch(`${base}/healthz`), 'nothing listens any more');
    } finally {
      first.child.kill('SIGKILL');
    }

    const second = run('src/main.ts', env);
    try {
      await waitHealthy(base, second);
      const again = await post(base, '/auth/login', creds);
      assert.equal(again.status, 200, 'the account survived the restart');
      assert.match(String(again.headers.get('set-cookie')), /refresh_token=.+; Max-Age=604800; Path=\/auth; HttpOnly; Secure; SameSite=Strict/);
      second.child.kill('SIGINT');
      assert.equal(await second.exited, 0);
    } finally {
      second.child.kill('SIGKILL');
    }
  });

  test('bad configuration stops the start with the variable name and exit code 1', async () => {
    const proc = run('src/main.ts', { ...baseEnv(), ...db.env, AUTH_JWT_SECRET: 'short', AUTH_ACCESS_TOKEN_EXPIRY: 'soon' });
    assert.equal(await proc.exited, 1);
    assert.match(proc.err(), /AUTH_JWT_SECRET: must be at least 32 characters/);
    assert.match(proc.err(), /AUTH_ACCESS_TOKEN_EXPIRY: expected a duration/);
    assert.doesNotMatch(proc.err(), /\bat .*\.ts:\d+/, 'no stack trace');
  });

  test('npm run migrate applies pending migrations and is idempotent', async () => {
    const fresh = await createTestDatabase();
    try {
      const env = { ...baseEnv(), ...fresh.env };
      const first = run('src/cli/main.ts', env, ['migrate']);
      assert.equal(await first.exited, 0, first.err());
      assert.ok([`applied: ${MIGRATION_NAMES.join(', ')}\n`, 'database is up to date\n'].includes(first.out()), first.out());
      const second = run('src/cli/main.ts', env, ['migrate']);
      assert.equal(await second.exited, 0, second.err());
      assert.equal(second.out(), 'database is up to date\n');
    } finally {
      await fresh.drop();
    }
  });
});
