// Start-up's migration step on the embedded database: applies what is pending, does no
// work at all on a database that holds exactly this release's migrations, and still
// refuses one that a newer release has migrated.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { connectDatabase, type DatabaseHandle } from './connect.ts';
import { MIGRATION_NAMES, migrateIfPending, migrationsDone } from './migrate.ts';

let dir: string;
let handle: DatabaseHandle<unknown>;
let db: Kysely<unknown>;
const tableExists = async (name: string) => (await sql<{ t: string | null }>`select to_regclass(${name})::text as t`.execute(db)).rows[0]?.t !== null;
const applied = async () => (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db)).rows.map((r) => r.name);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-migrate-'));
  handle = await connectDatabase({ dataDir: dir });
  db = handle.db;
});
after(async () => {
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an empty database: not done, then every migration applied once', async () => {
  assert.equal(await migrationsDone(db), false);
  await migrateIfPending(db);
  assert.deepEqual(await applied(), MIGRATION_NAMES);
  assert.equal(await migrationsDone(db), true);
});

test('a database at this release: the migrator does not run', async () => {
  // The migrator creates its lock table whenever it runs; with it gone, a run would show.
  await sql`drop table kysely_migration_lock`.execute(db);
  await migrateIfPending(db);
  assert.equal(await tableExists('kysely_migration_lock'), false);
  assert.deepEqual(await applied(), MIGRATION_NAMES);
});

test('one migration pending: the migrator runs and applies it', async () => {
  const last = MIGRATION_NAMES.at(-1)!;
  await sql`delete from kysely_migration where name = ${last}`.execute(db);
  // The last migration's own objects exist still: undo it as its down step does.
  const { down } = (await import(`./migrations/${last}.ts`)) as { down: (db: Kysely<unknown>) => Promise<void> };
  await down(db);
  assert.equal(await migrationsDone(db), false);
  await migrateIfPending(db);
  assert.equal(await tableExists('kysely_migration_lock'), true);
  assert.deepEqual(await applied(), MIGRATION_NAMES);
});

test('a database migrated by a newer release is refused', async () => {
  await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_release', now()::text)`.execute(db);
  await assert.rejects(migrateIfPending(db), /9999_from_a_newer_release|corrupted|missing/i);
  // Every migration this release knows is applied, so readiness does not wait on it.
  assert.equal(await migrationsDone(db), true);
});
