// An app on a fresh database, called in memory with `inject`, plus the small steps most
// tests repeat (register, sign in, read the refresh cookie).
import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.ts';
import type { Clock } from '../../src/core/clock.ts';
import { loadConfig, type Config } from '../../src/core/config/index.ts';
import { buildDeps, type Deps, type DepsOverrides } from '../../src/deps.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export const TEST_ENCRYPTION_KEY = 'test-encryption-key-0123456789-abcdefghijklmnop';

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Collect log lines (JSON strings) in `logs`, at this level. */
  logLevel?: string;
  /** Reuse another app's database (two instances on one database). */
  database?: TestDatabase;
  /** Resolves webhook URLs' names (the system resolver otherwise). */
  resolveHost?: DepsOverrides['resolveHost'];
}

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  config: Config;
  database: TestDatabase;
  logs: string[];
  close(): Promise<void>;
}

/** Settings every test app shares unless a test overrides them. */
export function baseEnv(): Record<string, string> {
  return {
    NODE_ENV: 'test',
    AUTH_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    AUTH_RATE_LIMIT_MAX: '100000',
    AUTH_LOG_LEVEL: 'silent',
    // Cheaper argon2 keeps the suite quick; the parameters themselves are tested apart.
    AUTH_PASSWORD_ARGON2_MEMORY: '4096',
    AUTH_PASSWORD_ARGON2_ITERATIONS: '1',
  };
}

export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const database = opts.database ?? (await createTestDatabase());
  const ownsDatabase = !opts.database;
  const logs: string[] = [];
  const env = { ...baseEnv(), ...database.env, ...(opts.logLevel ? { AUTH_LOG_LEVEL: opts.logLevel } : {}), ...opts.env };
  let config: Config;
  let deps: Deps;
  let app: FastifyInstance;
  try {
    config = loadConfig(env);
    deps = await buildDeps(config, {
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.resolveHost ? { resolveHost: opts.resolveHost } : {}),
      logStream: { write: (line: string) => { logs.push(line); } },
    });
    app = await buildApp(deps);
    await app.ready();
  } catch (err) {
    if (ownsDatabase) await database.drop();
    throw err;
  }
  let closed = false;
  return {
    app, deps, config, database, logs,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await deps.close();
      if (ownsDatabase) await database.drop();
    },
  };
}

export interface Credentials {
  username: string;
  email: string;
  password: string;
}

export function uniqueCredentials(prefix = 'user'): Credentials {
  const id = randomBytes(5).toString('hex');
  return { username: `${prefix}_${id}`, email: `${prefix}.${id}@example.test`, password: `pw-${randomBytes(8).toString('hex')}` };
}

export function json(res: LightMyRequestResponse): Record<string, any> {
  return res.json() as Record<string, any>;
}

export async function register(app: FastifyInstance, creds: Credentials = uniqueCredentials()): Promise<{ creds: Credentials; user: Record<string, any>; verificationId: string; registrant: string }> {
  const res = await app.inject({ method: 'POST', url: '/auth/register', payload: creds });
  assert.equal(res.statusCode, 201, res.body);
  const registrant = res.cookies.find((c) => c.name === 'tessera_registrant')?.value ?? '';
  return { creds, user: json(res).user, verificationId: json(res).verification.id, registrant };
}

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  user: Record<string, any>;
}

/** Signs in as a web client (refresh token from the cookie) or a native one (from the body). */
export async function login(app: FastifyInstance, creds: Pick<Credentials, 'email' | 'password'>, client: 'web' | 'native' = 'web'): Promise<SignedIn> {
  const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, ...(client === 'native' ? { client } : {}) } });
  assert.equal(res.statusCode, 200, res.body);
  const body = json(res);
  const refreshToken = client === 'native' ? body.refreshToken : refreshCookie(res)?.value;
  assert.ok(refreshToken, 'a refresh token was issued');
  return { accessToken: body.accessToken, refreshToken, user: body.user };
}

/** Registers and signs in a new user. */
export async function signUp(app: FastifyInstance, client: 'web' | 'native' = 'native'): Promise<SignedIn & { creds: Credentials }> {
  const { creds } = await register(app);
  return { ...(await login(app, creds, client)), creds };
}

export function refreshCookie(res: LightMyRequestResponse) {
  return res.cookies.find((c) => c.name === 'refresh_token') as
    | { name: string; value: string; path?: string; maxAge?: number; httpOnly?: boolean; secure?: boolean; sameSite?: string; expires?: Date }
    | undefined;
}

/** The Origin a browser on the service's own pages sends (refresh and logout by cookie need it). */
export const SAME_ORIGIN = { origin: 'http://localhost:4000' } as const;

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export function decodeJwtPart(token: string, index: 0 | 1): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, any>;
}

/**
 * Turns a session into one started before refresh-token families moved into the
 * session's row: its tokens are rows of refresh_tokens. Returns its (legacy) token.
 */
export async function makeLegacySession(t: TestApp, sessionId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const row = await t.deps.db.updateTable('sessions').set({ refresh_generation: null, refresh_hash: null, refresh_siblings: [], refresh_rotated_at: null })
    .where('id', '=', sessionId).returning(['created_at', 'expires_at']).executeTakeFirstOrThrow();
  await t.deps.db.insertInto('refresh_tokens').values({ session_id: sessionId, token_hash: createHash('sha256').update(token).digest(), parent_id: null, created_at: row.created_at, expires_at: row.expires_at }).execute();
  return token;
}
