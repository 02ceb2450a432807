// The docs stay in step with the code. Adding an error code or a configuration variable
// without documenting it fails here; so do a wrong status, a wrong default, a documented
// code or variable that no longer exists, and a README that stops opening with the two
// commands. The parsers accept any reasonable markdown layout; the content must match.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schema, type VarSpec } from '../src/core/config/schema.ts';
import { oauthEnvNames, OAUTH_PROVIDER_IDS } from '../src/modules/oauth/index.ts';
import { activeAliases } from '../src/core/config/aliases.ts';
import { errorCatalogue } from '../src/core/errors/catalogue.ts';
import { AUDIT_EVENTS } from '../src/modules/audit/audit.catalogue.ts';
import { EVENT_TYPES, subjectOf } from '../src/modules/events/events.catalogue.ts';
import { moduleGraph, readmeGraph, renderModuleGraph } from '../scripts/module-graph.ts';

const root = join(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

const specs = Object.values(schema) as VarSpec<unknown>[];
const schemaEnv = specs.map((s) => s.env).sort();
const defaults = new Map(specs.map((s) => [s.env, s.default]));

// ---- small markdown helpers ------------------------------------------------------------

/** Lines outside fenced code blocks (tables and headings inside examples are not content). */
function proseLines(md: string): string[] {
  let fence: string | undefined;
  const out: string[] = [];
  for (const line of md.split(/\r?\n/)) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1]![0]!;
      else if (m[1]![0] === fence) fence = undefined;
      out.push('');
      continue;
    }
    out.push(fence === undefined ? line : '');
  }
  return out;
}

interface Table { header: string[]; rows: string[][] }

function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** Every pipe table in the markdown, with its header cells and body rows. */
function tables(md: string): Table[] {
  const lines = proseLines(md);
  const found: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i]!;
    const rule = lines[i + 1]!;
    if (!head.trim().startsWith('|') || !/^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(rule)) continue;
    const header = splitRow(head).map((h) => plain(h).toLowerCase());
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(splitRow(lines[j]!));
    found.push({ header, rows });
    i = j - 1;
  }
  return found;
}

/** The one table whose header has all of `columns` (case-insensitive). */
function tableWith(md: string, columns: string[], where: string): { col: (name: string) => number; rows: string[][] } {
  const matches = tables(md).filter((t) => columns.every((c) => t.header.includes(c.toLowerCase())));
  assert.equal(matches.length, 1, `${where}: expected exactly one table with columns ${columns.join(', ')}, found ${matches.length}`);
  const t = matches[0]!;
  return { col: (name) => t.header.indexOf(name.toLowerCase()), rows: t.rows };
}

/** A cell's text without markdown emphasis or a single surrounding code span. */
function plain(cell: string): string {
  let c = cell.trim().replace(/^(\*\*|__|\*|_)(.*)\1$/, '$2').trim();
  const code = /^`+\s?(.*?)\s?`+$/.exec(c);
  if (code) c = code[1]!;
  return c.trim();
}

/** The text of the markdown section under the heading whose title matches, up to the next heading of the same or a higher level. */
function section(md: string, title: RegExp): string {
  const lines = proseLines(md);
  const start = lines.findIndex((l) => /^#{1,6}\s/.test(l) && title.test(l.replace(/^#+\s*/, '')));
  assert.ok(start >= 0, `a heading matching ${title}`);
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^#{1,${level}}\\s`).test(l));
  return md.split(/\r?\n/).slice(start, end < 0 ? undefined : end).join('\n');
}

/**
 * A documented default, normalised: undefined for "no default" (`—`, `-`, unset, none),
 * '' for an empty default (`""`, `''`, (empty), empty), otherwise the literal value.
 */
function documentedDefault(text: string): string | undefined {
  const raw = text.trim();
  const c = plain(raw);
  if (/^(—|–|-|unset|none|\(unset\)|\(none\))$/i.test(c)) return undefined;
  if (/^`+\s?(""|'')\s?`+/.test(raw) || /^(""|''|\(empty\)|empty)$/i.test(c)) return '';
  assert.ok(/^`[^`]*`/.test(raw) || /^\*\*?`/.test(raw), `a default is written as a code span, "—" or an empty marker: ${raw}`);
  return plain(/^(\*\*?)?`[^`]*`(\*\*?)?/.exec(raw)![0]);
}

const describeDefault = (d: string | undefined) => (d === undefined ? 'unset (—)' : JSON.stringify(d));

/** Names that look like Tessera's own variables (the test runner's TESSERA_TEST_* are not configuration). */
const VAR_LIKE = /\b(?:AUTH|DATABASE|REDIS)_[A-Z0-9_]*[A-Z0-9]\b/g;

// ---- the tests ----------------------------------------------------------------------------

describe('docs/errors.md and the error catalogue', () => {
  const { col, rows } = tableWith(read('docs/errors.md'), ['Code', 'Status', 'Meaning'], 'docs/errors.md');
  const documented = new Map<string, number>();
  for (const row of rows) {
    const code = plain(row[col('code')] ?? '');
    assert.match(code, /^[a-z][a-z0-9_]*$/, `error code cell "${row[col('code')]}"`);
    assert.ok(!documented.has(code), `${code} is listed once`);
    documented.set(code, Number(plain(row[col('status')] ?? '')));
    assert.ok(plain(row[col('meaning')] ?? '').length >= 15, `${code} says what it means and when it occurs`);
  }

  test('every catalogue code is documented with its status', () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      assert.ok(documented.has(code), `docs/errors.md lacks ${code}`);
      assert.equal(documented.get(code), entry.status, `status of ${code}`);
    }
  });

  test('every documented code exists in the catalogue', () => {
    for (const code of documented.keys()) assert.ok(code in errorCatalogue, `docs/errors.md lists ${code}, which the catalogue does not have`);
  });
});

describe('docs/api.md and the audit catalogue', () => {
  test('the audit log section lists exactly the catalogue types, in order, each with its meaning', () => {
    const { col, rows } = tableWith(section(read('docs/api.md'), /^audit log\b/i), ['Type', 'Meaning'], 'docs/api.md Audit log section');
    assert.deepEqual(rows.map((r) => plain(r[col('type')] ?? '')), Object.keys(AUDIT_EVENTS));
    for (const r of rows) assert.equal(r[col('meaning')], AUDIT_EVENTS[plain(r[col('type')] ?? '') as keyof typeof AUDIT_EVENTS]);
  });
});

describe('docs/events.md and the event catalogue', () => {
  test('the catalogue section lists exactly the event types, in order, with subject and meaning', () => {
    const { col, rows } = tableWith(section(read('docs/events.md'), /^the catalogue\b/i), ['Type', 'Subject', 'Meaning'], 'docs/events.md catalogue section');
    assert.deepEqual(rows.map((r) => plain(r[col('type')] ?? '')), Object.keys(EVENT_TYPES));
    for (const r of rows) {
      const type = plain(r[col('type')] ?? '') as keyof typeof EVENT_TYPES;
      assert.equal(r[col('meaning')], EVENT_TYPES[type]);
      assert.equal(plain(r[col('subject')] ?? ''), subjectOf(type, '{id}'));
    }
  });
});

describe('README configuration table and the config schema', () => {
  const readme = read('README.md');
  const { col, rows } = tableWith(section(readme, /^configuration\b/i), ['Variable', 'Default', 'Description'], 'README Configuration section');
  const listed = new Map<string, string | undefined>();
  for (const row of rows) {
    const name = plain(row[col('variable')] ?? '');
    assert.match(name, /^[A-Z][A-Z0-9_]*$/, `variable cell "${row[col('variable')]}"`);
    assert.ok(!listed.has(name), `${name} is listed once`);
    listed.set(name, documentedDefault(row[col('default')] ?? ''));
    assert.ok(plain(row[col('description')] ?? '').length >= 10, `${name} has a description`);
  }

  test('lists exactly the variables of the schema', () => {
    assert.deepEqual([...listed.keys()].sort(), schemaEnv);
  });

  test('shows the schema defaults', () => {
    for (const [name, documented] of listed) {
      if (!defaults.has(name)) continue;
      assert.equal(describeDefault(documented), describeDefault(defaults.get(name)), `README default of ${name}`);
    }
  });
});

describe('docs/configuration.md and the config schema', () => {
  const md = read('docs/configuration.md');
  // One section per variable: a heading that is just the variable's name.
  const sections = new Map<string, string>();
  const lines = proseLines(md);
  const raw = md.split(/\r?\n/);
  lines.forEach((line, i) => {
    const m = /^#{2,6}\s+`?([A-Z][A-Z0-9_]*)`?\s*$/.exec(line);
    if (!m) return;
    const end = lines.findIndex((l, j) => j > i && /^#{1,6}\s/.test(l));
    assert.ok(!sections.has(m[1]!), `${m[1]} has one section`);
    sections.set(m[1]!, raw.slice(i + 1, end < 0 ? undefined : end).join('\n'));
  });

  test('mentions every variable of the schema', () => {
    for (const env of schemaEnv) assert.match(md, new RegExp(`\\b${env}\\b`), `docs/configuration.md never mentions ${env}`);
  });

  test('has one section per variable, and none for unknown ones', () => {
    assert.deepEqual([...sections.keys()].sort(), schemaEnv);
  });

  test('each section states the schema default and explains the variable', () => {
    for (const [name, body] of sections) {
      const m = /^[\s>*_-]*(?:\*\*|__)?Default:?(?:\*\*|__)?:?\s*(.+)$/im.exec(body);
      assert.ok(m, `the section of ${name} has a "Default:" line`);
      assert.equal(describeDefault(documentedDefault(m[1]!)), describeDefault(defaults.get(name)), `docs/configuration.md default of ${name}`);
      const prose = body.replace(m[0], '').replace(/\s+/g, ' ').trim();
      assert.ok(prose.length >= 30, `the section of ${name} explains it`);
    }
  });
});

describe('no doc names a variable that does not exist', () => {
  for (const file of ['README.md', 'docs/configuration.md', 'docs/api.md', 'docs/operations.md', 'docs/errors.md']) {
    test(file, () => {
      // Social sign-in settings are read per provider (core/config/oauth.ts), outside the schema.
      const providerSetting = (v: string) => oauthEnvNames().includes(v) || /^AUTH_OIDC_[A-Z0-9_]+_(ISSUER|CLIENT_ID|CLIENT_SECRET|SCOPES|DISPLAY_NAME)$/.test(v);
      const alias = (v: string) => activeAliases(new Set(schemaEnv)).some((a) => a.name === v);
      const unknown = [...new Set(read(file).match(VAR_LIKE) ?? [])].filter((v) => !defaults.has(v) && !providerSetting(v) && !alias(v));
      assert.deepEqual(unknown, [], `${file} names variables the schema does not have`);
    });
  }
});

describe('the alias tables and the alias catalogue (core/config/aliases.ts)', () => {
  const aliases = activeAliases(new Set(schemaEnv));
  for (const [file, where] of [['docs/configuration.md', /^unknown variables and aliases\b/i], ['README.md', /^configuration\b/i]] as const) {
    test(`${file} lists exactly the aliases, each with its Tessera variable`, () => {
      const { col, rows } = tableWith(section(read(file), where), ['Alias', 'Tessera variable', 'From'], file);
      assert.deepEqual(rows.map((r) => plain(r[col('alias')] ?? '')).sort(), aliases.map((a) => a.name).sort());
      for (const r of rows) {
        const a = aliases.find((x) => x.name === plain(r[col('alias')] ?? ''))!;
        assert.equal(plain(r[col('tessera variable')] ?? ''), a.canonical, `Tessera variable of ${a.name}`);
      }
    });
  }
});

test('docs/configuration.md names every social sign-in provider and its own settings', () => {
  const md = read('docs/configuration.md');
  for (const id of OAUTH_PROVIDER_IDS) assert.ok(md.includes(`\`${id.toUpperCase()}\``), `${id} is not listed`);
  const own = oauthEnvNames().filter((n) => !/_(CLIENT_ID|CLIENT_SECRET|SCOPES|ISSUER|AUTHORIZATION_URL|TOKEN_URL|USERINFO_URL|JWKS_URL)$/.test(n));
  for (const n of own) assert.ok(md.includes(n), `${n} is not documented`);
});

describe('README opening', () => {
  const readme = read('README.md');

  test('a title, then first of all the two commands in the first code block', () => {
    const lines = readme.split(/\r?\n/);
    const firstText = lines.findIndex((l) => l.trim() !== '');
    assert.match(lines[firstText] ?? '', /^#\s+\S/, 'the README starts with a title');
    const fenceStart = lines.findIndex((l) => /^\s*(`{3,}|~{3,})/.test(l));
    assert.ok(fenceStart > firstText, 'a code block follows the title');
    const between = lines.slice(firstText + 1, fenceStart).filter((l) => l.trim() !== '');
    assert.deepEqual(between, [], 'nothing stands between the title and the commands');
    const fence = /^\s*(`{3,}|~{3,})/.exec(lines[fenceStart]!)![1]!;
    const fenceEnd = lines.findIndex((l, i) => i > fenceStart && l.trim().startsWith(fence));
    assert.ok(fenceEnd > fenceStart, 'the first code block is closed');
    const block = lines.slice(fenceStart + 1, fenceEnd).join('\n');
    assert.match(block, /^\s*(\$\s+)?npm install && npm start\b/m);
    assert.match(block, /^\s*(\$\s+)?npm install && npm test\b/m);
  });

  test('links the docs that exist', () => {
    for (const doc of ['docs/configuration.md', 'docs/api.md', 'docs/errors.md', 'docs/operations.md']) {
      assert.ok(readme.includes(`](${doc})`), `README links ${doc}`);
      assert.ok(read(doc).length > 0);
    }
  });
});

describe('README architecture picture', () => {
  test('the picture of which module uses which matches the imports of src/modules', () => {
    const drawn = readmeGraph(read('README.md'));
    assert.ok(drawn, 'README.md holds the picture between its module-graph markers');
    assert.equal(drawn, renderModuleGraph(moduleGraph()), 'redraw it: node --import tsx scripts/module-graph.ts --write');
  });

  test('the picture changes when a module starts using another (the check can fail)', () => {
    const graph = moduleGraph();
    const before = renderModuleGraph(graph);
    graph.get('users')!.add('tokens');
    assert.notEqual(renderModuleGraph(graph), before);
    graph.get('tokens')!.add('users');
    assert.throws(() => renderModuleGraph(graph), /import cycle/);
  });
});
