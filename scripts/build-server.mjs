// Builds the server that `npm start` runs: src/main.ts bundled by esbuild into one ESM
// file, dist/server.mjs, with the packages left to node_modules. Plain JavaScript loads
// in about half the time and two thirds of the memory of the TypeScript sources through
// tsx (docs/scaling.md). The tests and the CLI run the sources through tsx directly.
//
// It then builds the embedded database's migrated template beside it
// (scripts/pglite-template.ts; skipped when the migrations have not changed), so that the
// first start on an empty DATA_DIR unpacks it instead of running initdb and every migration.
//
//   node scripts/build-server.mjs [outfile]     (default dist/server.mjs)
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2] ?? join(root, 'dist', 'server.mjs');
await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'pglite-template.ts'), join(root, 'dist', 'pglite-template.tar.gz')], { cwd: root, stdio: 'inherit' });
