// The shape of the code base, checked: no import cycles (type-only imports count too: a
// cycle of types is still two modules that cannot be read apart), and one gate for sessions: nothing outside the sign-in module starts a
// session or signs a user's access token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

/** The relative modules a file imports, types included (as madge counts them). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\s*from\s+'(\.[^']+)'/gm)) out.push(resolve(dirname(file), m[1]!));
  for (const m of text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)) out.push(resolve(dirname(file), m[1]!));
  return out;
}

test('no import cycles among the source files (type imports included)', () => {
  const files = sources(src);
  const graph = new Map(files.map((f) => [f, imports(f).filter((t) => files.includes(t))]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].map((p) => relative(root, p)));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.map((c) => c.join(' -> ')).join('\n')}`);
});

test('one gate issues sessions: only the sign-in module starts sessions and signs user access tokens', () => {
  // Where each may be called: the function's own module, and the gate.
  const rules: { what: string; pattern: RegExp; allowed: string[] }[] = [
    { what: 'starting a session', pattern: /\bsessions\.(start|startBatched)\(|\.startBatched\(batch/, allowed: ['src/modules/sign-in/gate.ts'] },
    { what: "signing a user's access token", pattern: /\bsignAccessClaims(Now)?\(|\bissueAccessToken\(/, allowed: ['src/modules/sign-in/gate.ts', 'src/modules/tokens/tokens.service.ts'] },
  ];
  const offenders: string[] = [];
  for (const file of sources(src)) {
    const rel = relative(root, file);
    const text = readFileSync(file, 'utf8');
    for (const rule of rules) {
      if (rule.pattern.test(text) && !rule.allowed.includes(rel) && !rel.startsWith('src/modules/sessions/')) offenders.push(`${rel}: ${rule.what}`);
    }
  }
  assert.deepEqual(offenders, []);
  // And the gate's steps run in the order the rules need: active, address, second factor, password change, session.
  const gate = readFileSync(join(src, 'modules/sign-in/gate.ts'), 'utf8');
  const body = gate.slice(gate.indexOf('async function complete('));
  const order = ['assertActive(', 'assertVerifiedAddress(', 'requireSecondFactor(', 'requirePasswordChange(', 'startSession('].map((s) => body.indexOf(s));
  assert.ok(order.every((i, k) => i > 0 && (k === 0 || i > order[k - 1]!)), `gate steps out of order: ${order}`);
});

test('no late-bound references in the composition root', () => {
  const deps = readFileSync(join(src, 'deps.ts'), 'utf8');
  assert.deepEqual(deps.match(/\b\w+Ref\b!?\./g) ?? [], []);
});

test("names: `In` means inside the caller's transaction, `Batched` a write added to a WriteBatch", () => {
  // A function's first parameter tells which: `trx`/`on: Db` is In, a WriteBatch (core/db/batch.ts)
  // is Batched. The check is syntactic: declared functions, methods and function-typed
  // properties, and names typed by an alias of such a function (AuditBatchRecorder).
  const isBatch = (type: ts.TypeNode | undefined) => type !== undefined && /^(?:Pick<\s*)?WriteBatch\b/.test(type.getText());
  const firstIsBatch = (params: ts.NodeArray<ts.ParameterDeclaration> | undefined) => isBatch(params?.[0]?.type);
  const files = sources(src).map((f) => ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true));
  // Aliases of a function type whose first parameter is a WriteBatch.
  const aliases = new Set<string>();
  for (const sf of files) {
    sf.forEachChild(function walk(n): void {
      if (ts.isTypeAliasDeclaration(n) && ts.isFunctionTypeNode(n.type) && firstIsBatch(n.type.parameters)) aliases.add(n.name.text);
      n.forEachChild(walk);
    });
  }
  const batchedFunction = (n: ts.Node | undefined): boolean => {
    if (!n) return false;
    if (ts.isParenthesizedExpression(n)) return batchedFunction(n.expression);
    if (ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionTypeNode(n)) return firstIsBatch(n.parameters);
    return ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && aliases.has(n.typeName.text);
  };
  const offenders: string[] = [];
  for (const sf of files) {
    sf.forEachChild(function walk(n): void {
      let name: string | undefined;
      let batched = false;
      if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isMethodSignature(n)) && n.name && !ts.isComputedPropertyName(n.name) && !ts.isPrivateIdentifier(n.name)) {
        name = n.name.text;
        batched = firstIsBatch(n.parameters);
      } else if ((ts.isVariableDeclaration(n) || ts.isPropertyDeclaration(n) || ts.isPropertySignature(n) || ts.isPropertyAssignment(n)) && ts.isIdentifier(n.name)) {
        name = n.name.text;
        batched = batchedFunction(ts.isPropertyAssignment(n) ? undefined : n.type) || batchedFunction(ts.isPropertySignature(n) ? undefined : n.initializer);
      }
      if (name && batched && /In$/.test(name)) {
        const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
        offenders.push(`${relative(root, sf.fileName)}:${line}: ${name} takes a WriteBatch first: name it ${name.replace(/In$/, 'Batched')}`);
      }
      n.forEachChild(walk);
    });
  }
  assert.deepEqual(offenders, []);
});
