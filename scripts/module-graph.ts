// Which module uses which, read from the imports of src/modules (type imports count, as
// they do for the cycle check). `node --import tsx scripts/module-graph.ts --write`
// rewrites the picture in README.md between its markers; test/docs.test.ts fails when the
// picture and the code disagree.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
export const GRAPH_START = '<!-- module-graph:start -->';
export const GRAPH_END = '<!-- module-graph:end -->';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Each module and the other modules it imports. */
export function moduleGraph(src = join(root, 'src')): Map<string, Set<string>> {
  const modules = join(src, 'modules');
  const graph = new Map<string, Set<string>>();
  for (const name of readdirSync(modules).sort()) {
    if (statSync(join(modules, name)).isDirectory()) graph.set(name, new Set());
  }
  for (const file of files(modules)) {
    const from = relative(modules, file).split('/')[0]!;
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\s*from\s+'(\.[^']+)'/gm)) {
      const target = relative(modules, resolve(dirname(file), m[1]!)).split('/');
      if (target[0] === '..' || target.length < 2) continue;
      if (target[0] !== from) graph.get(from)!.add(target[0]!);
    }
  }
  return graph;
}

/** The picture: modules by layer (a module sits above everything it uses), with what each uses. */
export function renderModuleGraph(graph: Map<string, Set<string>>): string {
  const layer = new Map<string, number>();
  const depth = (m: string, seen: string[] = []): number => {
    const known = layer.get(m);
    if (known !== undefined) return known;
    if (seen.includes(m)) throw new Error(`import cycle: ${[...seen, m].join(' -> ')}`);
    const d = Math.max(-1, ...[...graph.get(m)!].map((u) => depth(u, [...seen, m]))) + 1;
    layer.set(m, d);
    return d;
  };
  for (const m of graph.keys()) depth(m);
  const width = Math.max(...[...graph.keys()].map((m) => m.length));
  const lines: string[] = [];
  for (let l = Math.max(...layer.values()); l >= 0; l--) {
    lines.push(`layer ${l}`);
    for (const m of [...graph.keys()].filter((k) => layer.get(k) === l)) {
      const uses = [...graph.get(m)!].sort();
      lines.push(uses.length ? `  ${m.padEnd(width)}  -> ${uses.join(', ')}` : `  ${m}`);
    }
  }
  return ['```', ...lines, '```'].join('\n');
}

/** The picture as README.md holds it between its markers, or undefined without markers. */
export function readmeGraph(readme: string): string | undefined {
  const start = readme.indexOf(GRAPH_START);
  const end = readme.indexOf(GRAPH_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + GRAPH_START.length, end).trim();
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const picture = renderModuleGraph(moduleGraph());
  if (process.argv.includes('--write')) {
    const file = join(root, 'README.md');
    const readme = readFileSync(file, 'utf8');
    if (readmeGraph(readme) === undefined) throw new Error(`README.md has no ${GRAPH_START} … ${GRAPH_END} markers`);
    const start = readme.indexOf(GRAPH_START) + GRAPH_START.length;
    writeFileSync(file, `${readme.slice(0, start)}\n${picture}\n${readme.slice(readme.indexOf(GRAPH_END))}`);
  } else {
    console.log(picture);
  }
}
