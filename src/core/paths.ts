// Where the project's own files are, whether this code runs from src/ through tsx or from
// the bundle `npm start` builds into dist/: the directory of the nearest package.json
// named `tessera` above this module.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') return dir;
      } catch { /* not ours: keep looking */ }
    }
    if (dirname(dir) === dir) throw new Error(`no tessera package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
