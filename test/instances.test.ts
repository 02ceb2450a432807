// Several instances on one database: migrations and the first signing key happen once
// when they start together, and tokens and revocations hold across them. In embedded
// mode, a second process on the same DATA_DIR is refused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { sql } from 'kysely';
import { bearer, baseEnv, createTestApp, json, signUp, type TestApp } from './helpers/app.ts';
import { MIGRATION_NAMES } from '../src/core/db/index.ts';
import { createTestDatabase, testDbMode } from './helpers/db.ts';

const postgres = testDbMode() === 'postgres';

describe('instances sharing PostgreSQL', { skip: postgres ? false : 'needs PostgreSQL (runs in the PostgreSQL suite)' }, () => {
  test('three instances starting together on an empty database migrate once and generate one key', async () => {
    const database = await createTestDatabase();
    const apps: TestApp[] = [];
    try {
      apps.push(...(await Promise.all([1, 2, 3].map(() => createTestApp({ database })))));
      const keys = await apps[0]!.deps.db.selectFrom('signing_keys').select('kid').execute();
      assert.equal(keys.length, 1);
      const migrations = await sql<{ name: string }>`select name from kysely_migration`.execute(apps[0]!.deps.db);
      assert.deepEqual(migrations.rows.map((r) => r.name), MIGRATION_NAMES);
      const jwks = await Promise.all(apps.map(async (a) => json(await a.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }))));
      assert.deepEqual(jwks[1], jwks[0]);
      assert.deepEqual(jwks[2], jwks[0]);
    } finally {
      for (const a of apps) await a.close();
      await database.drop();
    }
  });

  test('a token from one instance works on another, and a logout on one is seen by the other within a second', async () => {
    const database = await createTestDatabase();
    const a = await createTestApp({ database });
    const b = await createTestApp({ database });
    try {
      const s = await signUp(a.app, 'native');
      assert.equal((await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode, 200);
      const refreshed = json(await b.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } }));
      assert.equal((await a.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(refreshed.accessToken) })).statusCode, 200);
      assert.equal((await a.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(refreshed.accessToken) })).statusCode, 200);
      // Revocation reaches B's cache through LISTEN/NOTIFY within a second.
      let status = 200;
      for (const until = Date.now() + 1000; status === 200 && Date.now() < until;) {
        status = (await b.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(s.accessToken) })).statusCode;
        if (status === 200) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(status, 401);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe('embedded database is one process', { skip: postgres ? 'embedded mode only' : false }, () => {
  test('a second process on the same DATA_DIR is refused with a clear message', async () => {
    const t = await createTestApp();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'migrate'], {
        cwd: join(import.meta.dirname, '..'), env: { PATH: process.env.PATH ?? '', ...baseEnv(), DATA_DIR: t.config.dataDir }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const [code] = await once(child, 'exit');
      assert.equal(code, 7, 'the exit code of an unavailable database (docs/cli.md)');
      assert.match(err, new RegExp(`is in use by process ${process.pid}; the embedded database allows one process`));
      // The running instance is unharmed.
      assert.equal((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    } finally {
      await t.close();
    }
  });
});
