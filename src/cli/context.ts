// What every command shares: the configuration, the service graph (opened once per run,
// on the same database as the server, never through HTTP), the operator as the caller
// of the services, output as a table or JSON, and exit codes that scripts can rely on.
import { userInfo } from 'node:os';
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../core/config/index.ts';
import { AppError } from '../core/errors/index.ts';
import { runWithContext } from '../core/context.ts';
import { buildDeps, packageVersion, type Deps } from '../deps.ts';
import { envProviders } from '../modules/oauth/index.ts';
import type { Caller } from '../modules/rbac/index.ts';
import type { UserRow } from '../modules/users/index.ts';

/** Exit codes; docs/cli.md lists them. */
export const EXIT = {
  ok: 0,
  /** Something failed (a check that did not pass, an unexpected error). */
  failure: 1,
  /** Bad arguments or values. */
  usage: 2,
  /** The user, role, session, key or provider named does not exist. */
  notFound: 3,
  /** Refused by a rule: taken, last admin, managed by the environment, ... */
  refused: 4,
  /** The environment's configuration is invalid. */
  config: 5,
  /** An input file is malformed; nothing was written. */
  badInput: 6,
  /** The database cannot be opened (unreachable, or the embedded one is in use). */
  database: 7,
} as const;

/** An error the CLI reports as it is, with its exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'CliError';
  }
}

/** `serve` leaves the process running after its action returns. */
export const state = { serving: false };

export const usage = (message: string) => new CliError(message, EXIT.usage);

/** The operator: every permission, recorded as the system with the CLI's user agent. */
export const operator: Caller = { actor: { type: 'system' }, permissions: new Set(['*']), operator: true };

export function readConfig(overrides: Record<string, string> = {}): Config {
  try {
    const config = loadConfig({ ...process.env, ...overrides });
    // Social sign-in settings are checked against the provider files (modules/oauth) before anything opens.
    envProviders(config);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
    throw err;
  }
}

/**
 * Opens the service graph with no background work (a running server sends what the CLI
 * queues), runs `fn` as the operator, and closes everything.
 */
export async function withDeps<T>(fn: (deps: Deps) => Promise<T>, opts: { skipMigrations?: boolean } = {}): Promise<T> {
  const config = readConfig();
  // Warnings and errors of the services go to stderr; stdout stays the command's output.
  const log = pino({ level: process.env.AUTH_LOG_LEVEL && process.env.AUTH_LOG_LEVEL !== 'info' ? config.logLevel : 'warn' }, pino.destination({ dest: 2, sync: true }));
  let deps: Deps;
  try {
    deps = await buildDeps(config, { log, noWorkers: true, ...(opts.skipMigrations ? { skipMigrations: true } : {}) });
  } catch (err) {
    throw databaseError(err);
  }
  try {
    const ctx = { ip: null, userAgent: `tessera-cli/${packageVersion()} (${osUser()})`, actor: { type: 'system' as const } };
    return await runWithContext(ctx, () => fn(deps));
  } finally {
    await deps.settle();
    await deps.close();
  }
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Errors of opening the database, with the exit code that says so. */
export function databaseError(err: unknown): Error {
  if (err instanceof CliError) return err;
  const e = err as Error & { code?: string };
  if (/DATA_DIR .* is in use/.test(e.message)) return new CliError(`${e.message} Stop the server first, or run the CLI against DATABASE_URL.`, EXIT.database);
  if (['ECONNREFUSED', 'ENOTFOUND', '28P01', '3D000', 'ETIMEDOUT'].includes(e.code ?? '')) return new CliError(`cannot open the database: ${e.message}`, EXIT.database);
  if (/AUTH_ENCRYPTION_KEY|GEOIP|encryption\.key/.test(e.message)) return new CliError(e.message, EXIT.config);
  return e;
}

/** The exit code of a service error. */
export function exitCodeOf(err: AppError): number {
  if (err.status === 404 || ['role_not_found', 'permission_not_found', 'identity_not_found', 'oauth_provider_unknown'].includes(err.code)) return EXIT.notFound;
  if (err.status === 400 || err.status === 422) return EXIT.usage;
  if (err.status === 409 || err.status === 403) return EXIT.refused;
  return EXIT.failure;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

/** A user named by id, email or username. */
export async function findUser(deps: Deps, ref: string): Promise<UserRow> {
  const u = UUID.test(ref) ? await deps.users.findById(ref.toLowerCase()) : ref.includes('@') ? await deps.users.findByEmail(ref) : await deps.users.findByUsername(ref);
  if (!u) throw new CliError(`no user ${JSON.stringify(ref)} (give an id, an email or a username)`, EXIT.notFound);
  return u;
}

/** Prints JSON, or the rows as an aligned table. */
export function print(json: boolean, value: unknown, table?: { rows: readonly object[]; columns: string[]; empty?: string }): void {
  if (json || !table) {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  if (!table.rows.length) {
    process.stdout.write(`${table.empty ?? '(none)'}\n`);
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') || '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const cells = table.rows.map((r) => table.columns.map((c) => cell((r as Record<string, unknown>)[c])));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  process.stdout.write(`${line(table.columns.map((c) => c.toUpperCase()))}\n${cells.map(line).join('\n')}\n`);
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A password from standard input (one line), for --password-stdin. */
export async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) throw usage('--password-stdin reads the password from a pipe: echo "$PASSWORD" | tessera ...');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (!text) throw usage('standard input held no password');
  return text;
}

/** Destructive commands need --yes (scripts) or a typed confirmation (terminals). */
export async function confirm(yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw usage(`${question}: add --yes to confirm`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question}? Type yes to confirm: `);
    if (answer.trim().toLowerCase() !== 'yes') throw new CliError('cancelled', EXIT.failure);
  } finally {
    rl.close();
  }
}

/** Comma lists of flags (`--permissions a,b`). */
export const list = (v: string, previous: string[] = []) => [...previous, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/** A positive integer option. */
export function intOption(name: string, min = 1, max = 1_000_000) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw usage(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
}
