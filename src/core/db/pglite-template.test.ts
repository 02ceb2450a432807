// The embedded database's template (scripts/pglite-template.ts): an empty DATA_DIR starts
// from it with every migration applied; an existing directory never does; the shared
// buffers setting reaches PGlite; the build is skipped when nothing changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { PROJECT_ROOT } from '../paths.ts';
import { connectDatabase } from './connect.ts';
import { MIGRATION_NAMES, migrateIfPending } from './migrate.ts';

const build = (out: string) => execFileSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts', 'pglite-template.ts'), out], { cwd: PROJECT_ROOT, stdio: 'pipe' });

test('an empty DATA_DIR starts from the migrated template; an existing one keeps its data; shared_buffers is applied', async () => {
  const work = mkdtempSync(join(tmpdir(), 'tessera-template-test-'));
  try {
    const template = join(work, 'template.tar.gz');
    build(template);
    const built = statSync(template).mtimeMs;
    // Built again from the same migrations: skipped, the file is untouched.
    build(template);
    assert.equal(statSync(template).mtimeMs, built);

    const dataDir = join(work, 'data');
    const first = await connectDatabase<unknown>({ dataDir, pgliteTemplate: template, pgliteSharedBuffers: '8MB' });
    const db = first.db as Kysely<unknown>;
    // Every migration is there before any migration ran in this directory.
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
    assert.deepEqual(applied.rows.map((r) => r.name), [...MIGRATION_NAMES].sort());
    const roles = await sql<{ n: number }>`select count(*)::int as n from roles where built_in`.execute(db);
    assert.ok(roles.rows[0]!.n >= 3, 'the built-in roles come with the template');
    assert.equal((await sql<{ shared_buffers: string }>`show shared_buffers`.execute(db)).rows[0]!.shared_buffers, '8MB');
    await migrateIfPending(db);
    await sql`create table template_test (v text)`.execute(db);
    await sql`insert into template_test values ('kept')`.execute(db);
    await first.close();

    // Reopened with the template still offered: the directory's own data stays.
    const again = await connectDatabase<unknown>({ dataDir, pgliteTemplate: template, pgliteSharedBuffers: '16MB' });
    const db2 = again.db as Kysely<unknown>;
    const kept = await sql<{ v: string }>`select v from template_test`.execute(db2);
    assert.deepEqual(kept.rows, [{ v: 'kept' }]);
    // A changed setting applies at the next start.
    assert.equal((await sql<{ shared_buffers: string }>`show shared_buffers`.execute(db2)).rows[0]!.shared_buffers, '16MB');
    await again.close();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
