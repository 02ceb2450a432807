// Builds the embedded database's template: a PGlite data directory with every migration
// applied, dumped as a gzipped tarball (dist/pglite-template.tar.gz). An empty DATA_DIR
// starts from it (src/core/db/connect.ts) instead of running initdb and the migrations,
// which is most of a first start. It holds only the schema and the built-in roles and
// permissions: keys, the encryption key and the first user are made at the first start.
//
//   node --import tsx scripts/pglite-template.ts [outfile]
//
// Skipped when the template on disk was built from the same migrations and PGlite version
// (the fingerprint beside it), so that `npm start`'s build stays quick.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { connectDatabase, migrateToLatest } from '../src/core/db/index.ts';

const root = join(import.meta.dirname, '..');
const out = process.argv[2] ?? join(root, 'dist', 'pglite-template.tar.gz');
const stamp = `${out}.fingerprint`;

function fingerprint(): string {
  const h = createHash('sha256');
  h.update(JSON.parse(readFileSync(join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')).version as string);
  const dir = join(root, 'src', 'core', 'db', 'migrations');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts')).sort()) h.update(f).update(readFileSync(join(dir, f)));
  h.update(readFileSync(join(root, 'src', 'core', 'db', 'migrate.ts')));
  return h.digest('hex');
}

const want = fingerprint();
if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) process.exit(0);

const work = mkdtempSync(join(tmpdir(), 'tessera-pglite-template-'));
try {
  const handle = await connectDatabase({ dataDir: work });
  await migrateToLatest(handle.db as Kysely<unknown>);
  await handle.close();
  const pglite = new PGlite(join(work, 'pg'));
  await pglite.waitReady;
  // A checkpoint first: the dump then needs no WAL replay when it is opened.
  await pglite.exec('checkpoint');
  const dump = await pglite.dumpDataDir('gzip');
  await pglite.close();
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.${process.pid}.tmp`, Buffer.from(await dump.arrayBuffer()));
  renameSync(`${out}.${process.pid}.tmp`, out);
  writeFileSync(stamp, `${want}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
