// `npm install`'s prepare step in a clone: builds the SDK packages (packages/*/dist, which
// the tests and the React bindings import) and the server that `npm start` runs, with the
// embedded database's migrated template, so that the first start is quick. A production
// install (`npm ci --omit=dev`, as the image does) has no TypeScript compiler: the step
// is skipped there, and the image builds the server itself.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc) || !existsSync(join(root, 'packages', 'client', 'src'))) process.exit(0);
for (const pkg of ['client', 'react']) {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'packages', pkg, 'tsconfig.build.json')], { cwd: join(root, 'packages', pkg), stdio: 'inherit' });
}
execFileSync(process.execPath, [join(root, 'scripts', 'build-server.mjs')], { cwd: root, stdio: 'inherit' });
