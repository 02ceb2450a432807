// The infrastructure that modules share, set up from configuration for the composition
// root (src/deps.ts): the database connection, Redis, the invalidation bus, password
// hashing, the rate limits and lockout, the outbound policy and the cookie settings. Each
// function only maps configuration to options; what a module sets up is in its wiring.ts.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { INVALIDATION_CHANNEL, LocalBus, PostgresBus, RedisBus, type InvalidationBus } from './cache/invalidation-bus.ts';
import type { Config } from './config/index.ts';
import { createPasswordHasher, type LegacyHashOptions, type PasswordHasher } from './crypto/index.ts';
import type { ConnectOptions } from './db/index.ts';
import type { CookieSettings } from './http/index.ts';
import { createLockout, createRateLimiter, type Lockout, type RateLimiter } from './limits/index.ts';
import { systemResolver, type HostResolver, type OutboundPolicy } from './net/index.ts';
import { PROJECT_ROOT } from './paths.ts';

export function databaseOptions(config: Config): ConnectOptions {
  return {
    databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax, preparedStatements: config.databasePreparedStatements,
    pgliteSharedBuffers: config.pgliteSharedBuffers, pgliteTemplate: join(PROJECT_ROOT, 'dist', 'pglite-template.tar.gz'),
  };
}

/** Connects to REDIS_URL when set; undefined otherwise. */
export async function openRedis(config: Config, log: Pick<Logger, 'warn'>): Promise<Redis | undefined> {
  if (!config.redisUrl) return undefined;
  // No offline queue: when Redis is down, a command fails at once and the in-memory
  // limiter takes over instead of requests hanging.
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis error'));
  await redis.connect();
  return redis;
}

/** Session-state caches are invalidated through Redis, else PostgreSQL, else in-process. */
export async function openInvalidationBus(config: Config, deps: { redis: Redis | undefined; db: Kysely<unknown>; log: Logger }): Promise<InvalidationBus> {
  const { redis, db, log } = deps;
  return redis ? await RedisBus.open(redis, log)
    : config.databaseUrl ? await PostgresBus.open(config.databaseUrl, async (payload) => { await sql`select pg_notify(${INVALIDATION_CHANNEL}, ${payload})`.execute(db); }, log)
    : new LocalBus();
}

export function passwordHasher(config: Config, legacy: LegacyHashOptions): PasswordHasher {
  return createPasswordHasher({ memoryCost: config.argon2Memory, timeCost: config.argon2Iterations, parallelism: config.argon2Parallelism }, legacy);
}

/** The general per-IP limit, the per-group limits (sign-in, registration) and the sign-in lockout. */
export function rateLimits(config: Config, deps: { redis: Redis | undefined; onLimited: (limiter: string) => void; onLockoutRefused: () => void }): {
  limiter: RateLimiter; limits: { login: RateLimiter; signup: RateLimiter }; lockout: Lockout;
} {
  const { redis, onLimited } = deps;
  const limiter = createRateLimiter({ max: config.rateLimitMax, windowSeconds: config.rateLimitWindow, redis, onLimited: () => onLimited('ip') });
  const limits = {
    login: createRateLimiter({ max: config.rateLimitLoginAttempts ?? config.rateLimitMax, windowSeconds: config.rateLimitLoginWindow ?? config.rateLimitWindow, redis, keyPrefix: 'tessera:rl:login', onLimited: () => onLimited('login') }),
    signup: createRateLimiter({ max: config.rateLimitSignupAttempts ?? config.rateLimitMax, windowSeconds: config.rateLimitSignupWindow ?? config.rateLimitWindow, redis, keyPrefix: 'tessera:rl:signup', onLimited: () => onLimited('signup') }),
  };
  const lockout = createLockout({ enabled: config.lockoutEnabled, attempts: config.lockoutAttempts, durationSeconds: config.lockoutDuration, redis, onRefused: deps.onLockoutRefused });
  return { limiter, limits, lockout };
}

/** Which addresses URLs from users may reach (webhooks, OpenID clients' back-channel logout). */
export function outboundPolicy(config: Config, resolveHost: HostResolver | undefined): OutboundPolicy {
  return { requireHttps: config.nodeEnv === 'production', allowPrivate: config.webhookAllowPrivate, resolve: resolveHost ?? systemResolver };
}

export function cookieSettings(config: Config): CookieSettings {
  return { secure: config.secureCookies, sameSite: config.sameSite, maxAgeSeconds: config.refreshTokenExpiry };
}

/**
 * The checks of parts with a fallback, the modules' (NATS) between Redis and the bus, in
 * the order /readyz lists them. Redis and the invalidation bus have fallbacks (in-memory
 * limits, cache bypass): while they fail the service keeps answering and /readyz says "degraded".
 */
export function degradedChecks(redis: Redis | undefined, bus: InvalidationBus, modules: Record<string, () => Promise<void>>): Record<string, () => Promise<void>> {
  const checks: Record<string, () => Promise<void>> = {};
  if (redis) checks.redis = async () => { await redis.ping(); };
  Object.assign(checks, modules);
  if (bus.transport !== 'local') checks.invalidation = async () => { if (!bus.connected()) throw new Error('invalidation bus disconnected'); };
  return checks;
}
