// Fresh databases for tests. The mode comes from the environment that scripts/test.ts sets:
//   TESSERA_TEST_DB=pglite (default)  a copy of a migrated PGlite template directory
//                                     (TESSERA_TEST_PGLITE_TEMPLATE), or a new one
//   TESSERA_TEST_DB=postgres          a new database on TESSERA_TEST_PG_URL (an admin URL)
import { cpSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestDbMode = 'pglite' | 'postgres';

export function testDbMode(): TestDbMode {
  const mode = process.env.TESSERA_TEST_DB ?? 'pglite';
  if (mode !== 'pglite' && mode !== 'postgres') throw new Error(`TESSERA_TEST_DB must be pglite or postgres, got ${mode}`);
  return mode;
}

export interface TestDatabase {
  /** Environment for loadConfig: DATA_DIR, and DATABASE_URL in postgres mode. */
  env: Record<string, string>;
  /** Drops the database or removes the directory. */
  drop(): Promise<void>;
}

/** A new, empty (or template-migrated) database for one app. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  if (testDbMode() === 'pglite') {
    const template = process.env.TESSERA_TEST_PGLITE_TEMPLATE;
    if (template && existsSync(join(template, 'pg'))) cpSync(join(template, 'pg'), join(dataDir, 'pg'), { recursive: true });
    return { env: { DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const adminUrl = process.env.TESSERA_TEST_PG_URL;
  if (!adminUrl) throw new Error('TESSERA_TEST_DB=postgres needs TESSERA_TEST_PG_URL (run the suite with `npm test`)');
  const name = `tessera_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    drop: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
