// The house rules that a reader relies on, checked on the source text: each module owns its
// tables (only the read model in `reports/` reads across them, and never writes), imports
// flow downwards (core knows no module; modules know neither the app nor the composition
// root), and a module reaches another only through that module's index.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'migrations' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** The text without comments, so that prose ("rows from users") is not read as SQL. */
const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, '');

/** Table name -> owning module, read from database.ts (each table type comes from its module's *.table.ts). */
function owners(): Map<string, string> {
  const text = readFileSync(join(src, 'database.ts'), 'utf8');
  const moduleOfType = new Map<string, string>();
  for (const m of text.matchAll(/import type \{([^}]+)\} from '\.\/modules\/([^/]+)\//g)) for (const t of m[1]!.split(',')) moduleOfType.set(t.trim(), m[2]!);
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^ {2}(\w+): (\w+);/gm)) out.set(m[1]!, moduleOfType.get(m[2]!)!);
  return out;
}

const WRITES = /(?:insertInto|updateTable|deleteFrom|mergeInto)\(\s*'(\w+)/g;
const READS = /(?:selectFrom|innerJoin|leftJoin|rightJoin|fullJoin|crossJoin)\(\s*'(\w+)/g;
const RAW = /\b(?:from|join|into|update)\s+"?(\w+)"?/gi;

function tablesIn(text: string, known: Map<string, string>): { reads: Set<string>; writes: Set<string> } {
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const m of text.matchAll(WRITES)) if (known.has(m[1]!)) writes.add(m[1]!);
  for (const m of text.matchAll(READS)) if (known.has(m[1]!)) reads.add(m[1]!);
  for (const m of text.matchAll(/selectFrom\(\[([^\]]+)\]/g)) for (const t of m[1]!.matchAll(/'(\w+)/g)) if (known.has(t[1]!)) reads.add(t[1]!);
  // Raw SQL: only inside sql`` templates and SQL string constants.
  for (const block of text.matchAll(/sql`([^`]*)`|`(\s*(?:select|insert|update|delete|with)\b[^`]*)`|'((?:select|insert|update|delete|with) [^']*)'/gi)) {
    const body = block[1] ?? block[2] ?? block[3] ?? '';
    for (const m of body.matchAll(RAW)) {
      if (!known.has(m[1]!)) continue;
      (/^(into|update)$/i.test(m[0].split(/\s/)[0]!) ? writes : reads).add(m[1]!);
    }
  }
  return { reads, writes };
}

test('each module touches only the tables it owns; reports/ reads across modules and writes nothing', () => {
  const known = owners();
  assert.ok(known.size > 30, 'database.ts lists the tables');
  const offenders: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file);
    const { reads, writes } = tablesIn(code(file), known);
    if (rel.startsWith('modules/reports/')) {
      for (const t of writes) offenders.push(`${rel} writes ${t} (the read model only reads)`);
      continue;
    }
    const mine = rel.startsWith('modules/') ? rel.split('/')[1] : undefined;
    for (const t of new Set([...reads, ...writes])) {
      if (known.get(t) !== mine) offenders.push(`${rel} touches ${t}, owned by ${known.get(t)}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the ownership check sees what it must (it can fail)', () => {
  const known = owners();
  const seen = tablesIn(`db.selectFrom('users as u').innerJoin('sessions', 'x', 'y'); sql\`update mfa_factors set x = 1\``, known);
  assert.deepEqual([...seen.reads].sort(), ['sessions', 'users']);
  assert.deepEqual([...seen.writes], ['mfa_factors']);
});

test('queries live in repos: services, routes and the rest hold no inline query', () => {
  const offenders: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file);
    if (!rel.startsWith('modules/') || /\.repo\.ts$/.test(rel) || /\/repo\//.test(rel)) continue;
    const text = code(file);
    if (/\.(selectFrom|insertInto|updateTable|deleteFrom|mergeInto)\(/.test(text)) offenders.push(rel);
  }
  assert.deepEqual(offenders, []);
});

test('imports flow downwards, and across modules only through index.ts', () => {
  const offenders: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(src, file);
    for (const m of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\s*from\s+'(\.[^']+)'/gm)) {
      const target = relative(src, resolve(dirname(file), m[1]!));
      if (rel.startsWith('core/') && !target.startsWith('core/')) offenders.push(`${rel} -> ${target} (core imports no module, app or root)`);
      if (rel.startsWith('modules/') && !target.startsWith('modules/') && !target.startsWith('core/') && target !== 'database.ts') offenders.push(`${rel} -> ${target} (upward)`);
      if (rel.startsWith('modules/') && target.startsWith('modules/') && rel.split('/')[1] !== target.split('/')[1] && !/^modules\/[^/]+\/index\.ts$/.test(target)) {
        offenders.push(`${rel} -> ${target} (another module's insides)`);
      }
    }
  }
  assert.deepEqual(offenders, []);
});
