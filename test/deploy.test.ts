// The deployment files stay in step with the code: deploy/Dockerfile, .dockerignore and
// the Kubernetes manifests in deploy/k8s. Renaming a configuration variable, moving a
// health route, dropping a CLI command or a file the image copies fails here; so do a
// secret in the ConfigMap, a probe on the wrong port and a configuration that Tessera's
// own loader refuses. The probes and the image's HEALTHCHECK are run against a real app.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import { buildProgram } from '../src/cli/main.ts';
import { ConfigError, insecureSettings, loadConfig, schema } from '../src/core/config/index.ts';
import { oauthEnvNames } from '../src/modules/oauth/index.ts';
import { OIDC_SETTING_NAMES } from '../src/core/config/oauth.ts';
import type { VarSpec } from '../src/core/config/schema.ts';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { freePort } from './helpers/process.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const root = join(import.meta.dirname, '..');
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as Obj;

// ---- the configuration schema -----------------------------------------------------------

const specs = Object.values(schema) as VarSpec<unknown>[];
const specOf = new Map(specs.map((s) => [s.env, s]));
const secretVars = new Set(specs.filter((s) => s.secret).map((s) => s.env));
const providerVars = new Set(oauthEnvNames());
/** Read by Node itself, not by Tessera: allowed beside the configuration (e.g. a heap size). */
const NOT_CONFIGURATION = new Set(['NODE_OPTIONS']);
const OIDC_VAR = new RegExp(`^AUTH_OIDC_[A-Z0-9_]+_(?:${OIDC_SETTING_NAMES.join('|')})$`);
/** What a multi-instance deployment must have: shared database, counters, events, and key. */
const MANY_INSTANCES = ['DATABASE_URL', 'REDIS_URL', 'NATS_URL', 'AUTH_ENCRYPTION_KEY'];

const isKnown = (name: string) => specOf.has(name) || providerVars.has(name) || OIDC_VAR.test(name) || NOT_CONFIGURATION.has(name);

// ---- the Dockerfile ---------------------------------------------------------------------------

interface Instruction { op: string; args: string; line: number }
interface Stage { name: string | undefined; image: string; body: Instruction[] }

/** Instructions with continuation lines joined; comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*#/.test(line) || (buf === '' && line.trim() === '')) return;
    if (buf === '') start = i + 1;
    if (/\\\s*$/.test(line)) {
      buf += line.replace(/\\\s*$/, ' ');
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf);
    assert.ok(m, `deploy/Dockerfile line ${start}: not an instruction: ${buf}`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!.trim(), line: start });
    buf = '';
  });
  return out;
}

function stagesOf(list: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of list) {
    if (ins.op === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m, `FROM at line ${ins.line}`);
      stages.push({ image: m[1]!, name: m[2], body: [] });
    } else {
      assert.ok(stages.length, `${ins.op} at line ${ins.line} comes before any FROM`);
      stages.at(-1)!.body.push(ins);
    }
  }
  return stages;
}

/** `--flag=value` options and the remaining words (or the JSON array of the exec form). */
function splitArgs(args: string): { flags: Record<string, string>; words: string[] } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S+))?\s*/.exec(rest)) {
    flags[m[1]!] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/).filter(Boolean);
  return { flags, words };
}

/** `ENV A=1 B="two words"` (or the legacy `ENV A value`) as name/value pairs. */
function envPairs(args: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [name, ...value] = args.split(/\s+/);
    return [[name!, value.join(' ')]];
  }
  const out: [string, string][] = [];
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    out.push([m[1]!, m[2]!.replace(/^(["'])([\s\S]*)\1$/, '$2')]);
  }
  return out;
}

const dockerfile = instructions(read('deploy/Dockerfile'));
const stages = stagesOf(dockerfile);
const runtime = stages.at(-1)!;
const dockerEnv = new Map(dockerfile.filter((i) => i.op === 'ENV').flatMap((i) => envPairs(i.args)));
const cmdOf = (stage: Stage) => splitArgs(stage.body.filter((i) => i.op === 'CMD').at(-1)?.args ?? '[]').words;

/** WORKDIR in force at each instruction of a stage. */
function withWorkdir(stage: Stage): { ins: Instruction; workdir: string }[] {
  let workdir = '/';
  return stage.body.map((ins) => {
    if (ins.op === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    return { ins, workdir };
  });
}

/** The COPY instructions taking files from the build context (not from another stage). */
function contextCopies(stage: Stage): { sources: string[]; dest: string; workdir: string; line: number }[] {
  return withWorkdir(stage).filter(({ ins }) => ins.op === 'COPY' || ins.op === 'ADD').flatMap(({ ins, workdir }) => {
    const { flags, words } = splitArgs(ins.args);
    if (flags.from) return [];
    return [{ sources: words.slice(0, -1), dest: words.at(-1)!, workdir, line: ins.line }];
  });
}

/** Where a copied source lands in the image. */
function landsAt(source: string, dest: string, workdir: string, many: boolean): string {
  const to = posix.resolve(workdir, dest);
  const isDir = existsSync(join(root, source)) && statSync(join(root, source)).isDirectory();
  if (isDir) return to;
  return dest.endsWith('/') || many ? posix.join(to, posix.basename(source)) : to;
}

function filesUnder(path: string): string[] {
  const full = join(root, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full).flatMap((entry) => filesUnder(posix.join(path, entry)));
}

// ---- .dockerignore ----------------------------------------------------------------------------

/** Docker's matching: `*` and `?` within a path segment, `**` across them. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/** Whether .dockerignore keeps a path out of the build context (a matched directory takes its contents along; the last matching rule wins). */
function ignoredByDocker(): (path: string) => boolean {
  const rules = existsSync(join(root, '.dockerignore'))
    ? read('.dockerignore').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      return { negate, re: globToRegExp(pattern) };
    })
    : [];
  return (path) => {
    const parts = path.split('/');
    let ignored = false;
    for (const rule of rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (rule.re.test(parts.slice(0, i).join('/'))) {
          ignored = !rule.negate;
          break;
        }
      }
    }
    return ignored;
  };
}

// ---- the Kubernetes manifests -----------------------------------------------------------------

const K8S = 'deploy/k8s';

function yamlDocs(file: string): Obj[] {
  const docs = parseAllDocuments(read(file));
  assert.ok(Array.isArray(docs), `${file}: YAML documents`);
  return docs.map((d, i) => {
    assert.deepEqual(d.errors.map((e) => e.message), [], `${file}, document ${i + 1}: YAML errors`);
    return d.toJS() as Obj;
  }).filter(Boolean);
}

const kustomization = yamlDocs(`${K8S}/kustomization.yaml`)[0]!;
const resourceFiles = ((kustomization.resources ?? []) as string[]).map((f) => posix.join(K8S, f));
const deployed = resourceFiles.filter((f) => existsSync(join(root, f))).flatMap((f) => yamlDocs(f).map((doc) => ({ file: f, doc })));

function only(kind: string): Obj {
  const found = deployed.filter((d) => d.doc.kind === kind);
  assert.equal(found.length, 1, `exactly one ${kind} among the kustomization's resources (found ${found.length})`);
  return found[0]!.doc;
}

const configMap = only('ConfigMap');
const deployment = only('Deployment');
const job = only('Job');
const service = only('Service');
const secretExample = yamlDocs(`${K8S}/secret.example.yaml`).find((d) => d.kind === 'Secret')!;
const configData = (configMap.data ?? {}) as Record<string, unknown>;
const secretData = { ...(secretExample?.stringData ?? {}), ...Object.fromEntries(Object.entries(secretExample?.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString('utf8')])) } as Record<string, string>;
const configEnv = Object.fromEntries(Object.entries(configData).map(([k, v]) => [k, String(v)]));

const server = (deployment.spec.template.spec.containers as Obj[])[0]!;
const migrate = (job.spec.template.spec.containers as Obj[])[0]!;
const workloads = [{ what: 'Deployment', pod: deployment.spec.template.spec as Obj }, { what: 'Job', pod: job.spec.template.spec as Obj }];

/** A container port by name or number. */
function containerPort(container: Obj, port: string | number): number | undefined {
  const ports = (container.ports ?? []) as Obj[];
  const p = typeof port === 'number' ? ports.find((x) => x.containerPort === port) : ports.find((x) => x.name === port);
  return p?.containerPort as number | undefined;
}

const isSubset = (small: Obj | undefined, big: Obj | undefined) => Boolean(small && Object.keys(small).length && Object.entries(small).every(([k, v]) => big?.[k] === v));

/** Placeholders of the Secret example replaced by values of the right shape. */
const SAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgres://tessera:sample@postgres:5432/tessera',
  REDIS_URL: 'redis://:sample@redis:6379',
  NATS_URL: 'nats://nats:4222',
  AUTH_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  AUTH_SMTP_PASS: 'sample-smtp-password',
  AUTH_INTROSPECTION_SECRET: randomBytes(36).toString('base64'),
  AUTH_METRICS_TOKEN: randomBytes(24).toString('base64'),
};

// ---- the tests --------------------------------------------------------------------------------

describe('deploy/Dockerfile', () => {
  test('is multi-stage: a first stage installs the production dependencies from the lockfile, the runtime copies them', () => {
    assert.ok(stages.length >= 2, `at least two FROM (found ${stages.length})`);
    for (const s of stages) assert.match(s.image, /^node:20-bookworm-slim(?:@sha256:[0-9a-f]{64})?$/, `base image of stage ${s.name ?? '(runtime)'}`);
    const install = stages.slice(0, -1).find((s) => s.body.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)));
    assert.ok(install?.name, 'a named earlier stage runs npm ci');
    const ci = install.body.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))!;
    const pruned = /--omit[= ]dev\b/.test(ci.args) || install.body.some((i) => i.op === 'RUN' && /\bnpm prune\b.*--omit[= ]dev\b/.test(i.args));
    assert.ok(pruned, 'the modules the runtime gets are production ones (npm ci --omit=dev, or npm prune --omit=dev)');
    const before = contextCopies(install).filter((c) => c.line < ci.line).flatMap((c) => c.sources);
    for (const f of ['package.json', 'package-lock.json']) assert.ok(before.includes(f), `${f} is copied before npm ci`);
    const copiesModules = runtime.body.some((i) => i.op === 'COPY' && splitArgs(i.args).flags.from === install.name && /node_modules\/?$/.test(splitArgs(i.args).words[0] ?? ''));
    assert.ok(copiesModules, `the runtime stage copies node_modules from stage ${install.name}`);
  });

  test('npm ci can run: every workspace package.json is copied before it, and the lockfile matches package.json', () => {
    const install = stages.find((s) => s.body.some((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args)))!;
    const ciLine = install.body.find((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args))!.line;
    const copied = contextCopies(install).filter((c) => c.line < ciLine).flatMap((c) => c.sources);
    for (const ws of (pkg.workspaces ?? []) as string[]) {
      assert.ok(existsSync(join(root, ws, 'package.json')), `${ws}/package.json exists`);
      assert.ok(copied.includes(`${ws}/package.json`), `deploy/Dockerfile copies ${ws}/package.json before npm ci (npm ci needs every workspace)`);
    }
    const lock = JSON.parse(read('package-lock.json')) as Obj;
    const lockRoot = lock.packages[''] as Obj;
    assert.deepEqual(lockRoot.dependencies, pkg.dependencies, 'package-lock.json is in step with package.json dependencies (npm ci refuses otherwise)');
    assert.deepEqual(lockRoot.workspaces, pkg.workspaces, 'package-lock.json lists the same workspaces');
    // The runtime has no dev dependencies: what runs the TypeScript must be a dependency.
    assert.ok(pkg.dependencies?.tsx, 'tsx is a runtime dependency');
  });

  test('every COPY source exists, keeps the repository layout under WORKDIR, and .dockerignore keeps none of it out', () => {
    const ignored = ignoredByDocker();
    for (const stage of stages) {
      for (const c of contextCopies(stage)) {
        assert.ok(c.sources.length >= 1, `COPY at line ${c.line} has a source`);
        for (const source of c.sources) {
          assert.ok(!/[*?[]/.test(source), `COPY at line ${c.line}: ${source} is a plain path (no wildcards), so that this test can check it`);
          assert.ok(existsSync(join(root, source)), `COPY at line ${c.line}: ${source} exists in the repository`);
          assert.equal(landsAt(source, c.dest, c.workdir, c.sources.length > 1), posix.join(c.workdir, source), `COPY at line ${c.line}: ${source} lands at the same relative path under WORKDIR`);
          // Tests beside the code are left out on purpose; everything else must reach the image.
          const dropped = filesUnder(source).filter((f) => !f.endsWith('.test.ts') && ignored(f));
          assert.deepEqual(dropped, [], `.dockerignore excludes files that COPY at line ${c.line} needs`);
        }
      }
      for (const { ins, workdir } of withWorkdir(stage)) {
        const { flags, words } = splitArgs(ins.args);
        if (ins.op !== 'COPY' || !flags.from) continue;
        assert.ok(stages.some((s) => s.name === flags.from), `COPY --from=${flags.from} names an earlier stage`);
        for (const source of words.slice(0, -1)) assert.equal(posix.resolve(workdir, words.at(-1)!), source, `COPY --from at line ${ins.line} keeps ${source} at the same path`);
      }
    }
  });

  test('the runtime stage holds what the server and the CLI read at run time', () => {
    const workdir = withWorkdir(runtime).at(-1)!.workdir;
    const copied = contextCopies(runtime).flatMap((c) => c.sources);
    const inImage = (path: string) => copied.some((s) => path === s || path.startsWith(`${s}/`));
    const cmd = cmdOf(runtime);
    assert.equal(cmd.join(' '), pkg.scripts.start, 'CMD is what `npm start` runs');
    const script = cmd.at(-1)!;
    // `npm start` builds the bundle first (prestart); the image builds it in a RUN step.
    const prestart = (pkg.scripts.prestart as string).split(' ');
    assert.equal(prestart[0], 'node');
    const built = runtime.body.some((i) => i.op === 'RUN' && i.args.includes(pkg.scripts.prestart as string));
    assert.ok(built, `the runtime stage runs \`${pkg.scripts.prestart}\` to build ${script}`);
    const builder = readFileSync(join(root, prestart[1]!), 'utf8');
    assert.ok(builder.includes(`'${script.split('/')[0]}', '${script.split('/')[1]}'`), `${prestart[1]} writes ${script}`);
    const jobScript = (migrate.command as string[])[1]!;
    // package.json: the version and "type": "module"; mail templates, migrations and the pages' assets and locales are read beside the code.
    for (const path of [prestart[1]!, 'src/main.ts', jobScript, 'package.json', 'tsconfig.json', 'src/modules/mail/templates', 'src/core/db/migrations', 'src/web/assets', 'src/web/locales']) {
      assert.ok(existsSync(join(root, path)), `${path} exists`);
      assert.ok(inImage(path), `the runtime stage copies ${path}`);
    }
    assert.ok(!posix.isAbsolute(script) && workdir !== '/', 'CMD runs from the WORKDIR the sources were copied to');
  });

  test('runs as a non-root user, on every interface, exposing PORT', () => {
    const user = runtime.body.filter((i) => i.op === 'USER').at(-1)?.args;
    assert.ok(user, 'the runtime stage sets USER');
    const name = user.split(':')[0]!;
    assert.ok(!['root', '0'].includes(name), `USER ${user} is not root`);
    assert.equal(dockerEnv.get('HOST'), '0.0.0.0', 'ENV HOST=0.0.0.0 (a container is reached from outside)');
    const port = dockerEnv.get('PORT');
    assert.ok(port, 'ENV PORT is set');
    assert.equal(schema.port.parse(port), Number(port));
    const exposed = runtime.body.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => Number(p.split('/')[0]));
    assert.ok(exposed.includes(Number(port)), `EXPOSE ${port}`);
  });

  test('ENV names only configuration variables, none of them secret, with values the schema accepts', () => {
    assert.ok(dockerEnv.size > 0, 'the image sets its environment');
    for (const [name, value] of dockerEnv) {
      assert.ok(isKnown(name), `ENV ${name} is not a variable of src/core/config/schema.ts`);
      assert.ok(!secretVars.has(name), `ENV ${name}: a secret never goes into the image`);
      const spec = specOf.get(name);
      if (spec) assert.doesNotThrow(() => spec.parse(value), `ENV ${name}=${value}`);
    }
  });
});

describe('deploy/k8s manifests', () => {
  test('the kustomization lists existing files: every manifest except the secret example, with no namespace', () => {
    assert.ok(resourceFiles.length > 0, 'kustomization.yaml has resources');
    for (const f of resourceFiles) assert.ok(existsSync(join(root, f)), `${f} (listed in kustomization.yaml) exists`);
    const manifests = readdirSync(join(root, K8S)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && f !== 'secret.example.yaml').map((f) => posix.join(K8S, f)).sort();
    assert.deepEqual([...resourceFiles].sort(), manifests, 'every manifest in deploy/k8s is listed (and only those)');
    assert.ok(!resourceFiles.includes(`${K8S}/secret.example.yaml`), 'the Secret with placeholders is never deployed by `kubectl apply -k`');
    assert.ok(!deployed.some((d) => d.doc.kind === 'Secret'), 'no Secret is deployed from the repository');
    assert.equal(kustomization.namespace, undefined, 'the kustomization sets no namespace');
    for (const { file, doc } of deployed) assert.equal(doc.metadata?.namespace, undefined, `${file}: ${doc.kind} has no namespace`);
  });

  test('the image the containers use is the one the kustomization sets, the same for the servers and the migration', () => {
    const names = ((kustomization.images ?? []) as Obj[]).map((i) => i.name as string);
    for (const c of [server, migrate]) {
      const repo = String(c.image).replace(/@.*$/, '').replace(/:[^:/]+$/, '');
      assert.ok(names.includes(repo), `container ${c.name}: image ${c.image} is rewritten by kustomization.yaml images (${names.join(', ')})`);
    }
    assert.equal(migrate.image, server.image, 'the Job migrates with the release the Deployment runs');
  });

  test('every variable named in the ConfigMap, the Secret example and the containers is real configuration', () => {
    const named: [string, string][] = [
      ...Object.keys(configData).map((k) => ['ConfigMap', k] as [string, string]),
      ...Object.keys(secretData).map((k) => ['Secret example', k] as [string, string]),
      ...[server, migrate].flatMap((c) => ((c.env ?? []) as Obj[]).map((e) => [`container ${c.name} env`, e.name as string] as [string, string])),
    ];
    assert.ok(named.length > 10, 'the manifests set the configuration');
    for (const [where, name] of named) assert.ok(isKnown(name), `${where}: ${name} is not a variable of src/core/config/schema.ts`);
  });

  test('secret variables are only in the Secret: never in the ConfigMap, the image, or a literal env value', () => {
    for (const name of Object.keys(configData)) assert.ok(!secretVars.has(name), `${name} is secret: it belongs in the Secret, not the ConfigMap`);
    for (const name of dockerEnv.keys()) assert.ok(!secretVars.has(name), `${name} is secret: never an ENV of the image`);
    for (const c of [server, migrate]) {
      for (const e of (c.env ?? []) as Obj[]) {
        if (secretVars.has(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `container ${c.name}: ${e.name} comes from a Secret`);
      }
    }
    for (const name of MANY_INSTANCES) {
      assert.ok(secretVars.has(name), `the schema marks ${name} secret`);
      assert.ok(name in secretData, `the Secret example has ${name} (needed by several instances)`);
    }
  });

  test('ConfigMap values are strings that the schema\'s own parsers accept', () => {
    for (const [name, value] of Object.entries(configData)) {
      assert.equal(typeof value, 'string', `ConfigMap ${name}: Kubernetes wants a string (quote it)`);
      const spec = specOf.get(name);
      if (spec) assert.doesNotThrow(() => spec.parse(value as string), `ConfigMap ${name}=${String(value)}`);
    }
  });

  test('the Secret example holds only placeholders, and Tessera refuses to start with them', () => {
    assert.equal(secretExample?.metadata?.name, 'tessera-secrets');
    for (const [name, value] of Object.entries(secretData)) assert.match(value, /REPLACE_ME/, `Secret example ${name} is a marked placeholder`);
    const err = (() => {
      try {
        loadConfig({ ...configEnv, ...secretData });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError, 'loading the placeholders fails');
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'NATS_URL', 'AUTH_ENCRYPTION_KEY']) {
      assert.ok(err.problems.some((p) => p.startsWith(`${name}:`)), `the placeholder of ${name} is refused (${err.problems.join('; ')})`);
    }
  });

  test('ConfigMap + Secret, placeholders replaced, is a configuration loadConfig accepts for several instances', () => {
    for (const name of Object.keys(secretData)) assert.ok(SAMPLES[name], `test/deploy.test.ts needs a sample value for ${name}`);
    const env = { ...configEnv, ...Object.fromEntries(Object.keys(secretData).map((k) => [k, SAMPLES[k]!])) };
    const config = loadConfig(env);
    assert.ok(config.databaseUrl && config.redisUrl && config.natsUrl && config.encryptionKey, 'PostgreSQL, Redis, NATS and the shared encryption key are set');
    assert.equal(config.nodeEnv, 'production');
    assert.equal(config.host, '0.0.0.0');
    assert.notEqual(config.trustProxy, false, 'AUTH_TRUST_PROXY is set: requests come through the ingress');
    assert.notEqual(config.trustProxy, true, 'AUTH_TRUST_PROXY names the proxies instead of trusting any peer');
    assert.match(config.publicUrl ?? '', /^https:\/\//, 'AUTH_PUBLIC_URL is the https address browsers use');
    assert.equal(config.metricsHost, '0.0.0.0', 'the metrics listener is reachable by the scraper');
    assert.ok(config.metricsPort, 'AUTH_METRICS_PORT is set');
    assert.deepEqual(insecureSettings(config), [], 'no setting that start-up would warn about');
  });

  test('the Deployment and the Job take their settings from the same ConfigMap and Secret', () => {
    for (const c of [server, migrate]) {
      const from = (c.envFrom ?? []) as Obj[];
      assert.ok(from.some((f) => f.configMapRef?.name === configMap.metadata.name), `container ${c.name}: envFrom the ConfigMap ${configMap.metadata.name}`);
      assert.ok(from.some((f) => f.secretRef?.name === secretExample.metadata.name && f.secretRef?.optional !== true), `container ${c.name}: envFrom the Secret ${secretExample.metadata.name} (not optional)`);
    }
  });

  test('probes: /healthz for liveness and start-up, /readyz for readiness, on the port that PORT names', () => {
    const port = Number(configData.PORT);
    assert.equal(port, Number(dockerEnv.get('PORT')), 'the ConfigMap and the image agree on PORT');
    const probes = { livenessProbe: '/healthz', readinessProbe: '/readyz', startupProbe: '/healthz' } as const;
    for (const [kind, path] of Object.entries(probes)) {
      const probe = server[kind] as Obj | undefined;
      if (kind === 'startupProbe' && !probe) continue;
      assert.ok(probe?.httpGet, `${kind} is an HTTP probe`);
      assert.equal(probe.httpGet.path, path, `${kind} path`);
      assert.equal(containerPort(server, probe.httpGet.port), port, `${kind} port ${probe.httpGet.port} is the container port ${port}`);
    }
  });

  test('metrics: a named container port that AUTH_METRICS_PORT names, scraped through the pod annotations', () => {
    const port = Number(configData.AUTH_METRICS_PORT);
    assert.ok(port > 0, 'the ConfigMap sets AUTH_METRICS_PORT');
    assert.equal(configData.AUTH_METRICS_HOST, '0.0.0.0');
    const named = ((server.ports ?? []) as Obj[]).find((p) => p.containerPort === port);
    assert.ok(named?.name, `container port ${port} is declared and named`);
    assert.notEqual(port, Number(configData.PORT), 'metrics have a port apart from the API');
    const a = (deployment.spec.template.metadata.annotations ?? {}) as Record<string, string>;
    assert.equal(a['prometheus.io/scrape'], 'true');
    assert.equal(a['prometheus.io/port'], String(port));
    assert.equal(a['prometheus.io/path'], '/metrics');
  });

  test('the Service targets the API port of the server pods, never the migration pods; the PDB guards the same pods', () => {
    const podLabels = deployment.spec.template.metadata.labels as Obj;
    assert.ok(isSubset(deployment.spec.selector.matchLabels, podLabels), 'the Deployment selects its own pods');
    assert.ok(isSubset(service.spec.selector, podLabels), 'the Service selects the server pods');
    assert.ok(!isSubset(service.spec.selector, job.spec.template.metadata.labels), 'the Service does not select the migration pods');
    for (const p of service.spec.ports as Obj[]) {
      assert.equal(containerPort(server, p.targetPort ?? p.port), Number(configData.PORT), `Service port ${p.name ?? p.port} reaches the API port`);
    }
    const pdb = deployed.find((d) => d.doc.kind === 'PodDisruptionBudget')?.doc;
    if (pdb) assert.ok(isSubset(pdb.spec.selector.matchLabels, podLabels), 'the PodDisruptionBudget selects the server pods');
  });

  test('several replicas, drained within the grace period', () => {
    assert.ok(deployment.spec.replicas >= 2, `replicas ${deployment.spec.replicas}`);
    const pause = Number((server.lifecycle?.preStop?.exec?.command as string[] | undefined)?.find((w) => /^\d+$/.test(w)) ?? 0);
    const drain = schema.shutdownTimeout.parse(configData.AUTH_SHUTDOWN_TIMEOUT as string ?? schema.shutdownTimeout.default);
    const grace = deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace > pause + drain, `terminationGracePeriodSeconds ${grace} > preStop ${pause}s + AUTH_SHUTDOWN_TIMEOUT ${drain}s`);
  });

  test('the Deployment and the Job run as non-root, read-only, with a writable /tmp and bounded resources', () => {
    const imageUser = runtime.body.filter((i) => i.op === 'USER').at(-1)!.args.split(':')[0]!;
    for (const { what, pod } of workloads) {
      const c = (pod.containers as Obj[])[0]!;
      const runAsNonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const runAsUser = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      assert.equal(runAsNonRoot, true, `${what}: runAsNonRoot`);
      assert.ok(runAsUser === undefined ? /^\d+$/.test(imageUser) : runAsUser > 0, `${what}: a numeric non-root uid (Kubernetes cannot check a user name)`);
      if (runAsUser !== undefined && /^\d+$/.test(imageUser)) assert.equal(runAsUser, Number(imageUser), `${what}: the image's uid`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${what}: allowPrivilegeEscalation false`);
      if (c.securityContext?.readOnlyRootFilesystem) {
        // tsx caches compiled files in os.tmpdir(): /tmp must be writable.
        const mount = ((c.volumeMounts ?? []) as Obj[]).find((m) => m.mountPath === '/tmp');
        assert.ok(mount, `${what}: a volume on /tmp`);
        const volume = ((pod.volumes ?? []) as Obj[]).find((v) => v.name === mount.name);
        assert.ok(volume?.emptyDir, `${what}: /tmp is an emptyDir`);
      }
      for (const k of ['requests', 'limits']) assert.ok(c.resources?.[k]?.memory, `${what}: resources.${k}.memory`);
    }
  });

  test('the Job runs `tessera migrate`: the CLI of package.json "bin", and a command it has', () => {
    const [node, script, ...args] = migrate.command as string[];
    assert.equal(node, 'node');
    assert.equal(posix.normalize(script!), posix.normalize(pkg.bin.tessera), 'the Job runs the tessera CLI (package.json "bin")');
    assert.match(read(script!), /src\/cli\/main\.ts/, `${script} starts src/cli/main.ts`);
    let cmd: Command = buildProgram();
    const words = args.filter((a) => !a.startsWith('-'));
    assert.equal(words[0], 'migrate');
    for (const w of words) {
      const sub = cmd.commands.find((c) => c.name() === w);
      assert.ok(sub, `tessera ${words.join(' ')}: "${w}" is a command of the CLI`);
      cmd = sub;
    }
    assert.ok(['Never', 'OnFailure'].includes(job.spec.template.spec.restartPolicy), 'a Job pod is not restarted for ever');
  });
});

describe('the probes and the HEALTHCHECK against a real app with the ConfigMap settings', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp({ env: configEnv }); });
  after(async () => { await t.close(); });

  test('every probe of the Deployment answers 200', async () => {
    const probes = ['startupProbe', 'livenessProbe', 'readinessProbe'].map((k) => server[k] as Obj | undefined).filter(Boolean) as Obj[];
    assert.ok(probes.length >= 2);
    for (const probe of probes) {
      const res = await t.app.inject({ method: 'GET', url: probe.httpGet.path });
      assert.equal(res.statusCode, 200, `${probe.httpGet.path}: ${res.body}`);
      assert.equal((res.json() as Obj).status, 'ok');
    }
  });

  test('the image HEALTHCHECK command passes against a listening server and fails without one', async () => {
    const hc = runtime.body.find((i) => i.op === 'HEALTHCHECK');
    assert.ok(hc, 'the runtime stage has a HEALTHCHECK');
    const cmd = splitArgs(hc.args.replace(/^(?:--\S+\s+)*CMD\s+/, '')).words;
    assert.equal(cmd[0], 'node', 'HEALTHCHECK runs node (slim images have no curl)');
    assert.match(cmd.join(' '), /\/healthz/, 'HEALTHCHECK asks /healthz');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as { port: number }).port;
    const run = (env: Record<string, string>) => promisify(execFile)(process.execPath, cmd.slice(1), { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 });
    await run({ PORT: String(port) });
    await assert.rejects(run({ PORT: String(await freePort()) }), (err: { code?: number }) => err.code === 1, 'nothing listening: exit code 1');
  });
});

describe('docs/scaling.md', () => {
  test('names only real configuration variables and has the measured-figures section', () => {
    const md = read('docs/scaling.md');
    const unknown = [...new Set(md.match(/\b(?:AUTH|DATABASE|REDIS|NATS)_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])].filter((v) => !isKnown(v));
    assert.deepEqual(unknown, [], 'docs/scaling.md names variables the schema does not have');
    assert.match(md, /^## Measured on this machine$/m);
  });
});
