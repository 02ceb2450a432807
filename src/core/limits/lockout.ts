// Lockout of sign-in per identifier and per account: failed attempts are counted per
// normalised email or username (hashed, whether or not an account has it) and per account,
// in memory or in Redis. After `attempts` failures within `duration` the key is locked for
// `duration`: even the right password or code gets the rate-limit answer. Wrong passwords,
// wrong second-factor codes and failed re-authentications all count on the account's key;
// only a completed sign-in (a session issued) clears it.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sha256 } from '../crypto/index.ts';
import { AppError } from '../errors/index.ts';

export interface LockoutOptions {
  enabled: boolean;
  attempts: number;
  durationSeconds: number;
  redis?: Redis | undefined;
  /** Told of each attempt refused while locked (metrics). */
  onRefused?: () => void;
}

/** The key of an account's own failures (shared by every factor and every client address). */
export const accountKey = (userId: string) => `user:${userId}`;

/**
 * Failures of an account's factors after the first one (second-factor codes, passkeys in
 * a second step, re-authentication): counted on the same key as wrong passwords, so that
 * a known password does not buy a fresh set of tries at the second factor.
 */
export interface AccountFailures {
  /** Throws the rate-limit answer while the account is locked. */
  assertOpen(userId: string): Promise<void>;
  /** Counts one failure of the account (and tells its owner when this one locks it). */
  fail(userId: string, reason: string): Promise<void>;
}

export function createLockout(opts: LockoutOptions) {
  const base = { points: opts.attempts, duration: opts.durationSeconds, keyPrefix: 'tessera:lockout' };
  const limiter: RateLimiterAbstract = opts.redis
    ? new RateLimiterRedis({ ...base, storeClient: opts.redis, insuranceLimiter: new RateLimiterMemory(base) })
    : new RateLimiterMemory(base);

  /** Keys of an attempt: the identifier as typed (normalised), and the account when one exists. */
  const keysOf = (identifier: string, userId?: string) => [`id:${sha256(identifier).toString('base64url')}`, ...(userId ? [accountKey(userId)] : [])];

  async function failures(keys: string[]): Promise<{ count: number; msLeft: number }> {
    let count = 0;
    let msLeft = 0;
    for (const key of keys) {
      const res = await limiter.get(key).catch(() => null);
      if (res && res.consumedPoints > count) { count = res.consumedPoints; msLeft = res.msBeforeNext; }
    }
    return { count, msLeft };
  }

  return {
    keysOf,
    failures,
    /** Throws the rate-limit answer while any of the keys is locked. */
    async assertOpen(keys: string[]): Promise<void> {
      if (!opts.enabled) return;
      const { count, msLeft } = await failures(keys);
      if (count >= opts.attempts) opts.onRefused?.();
      if (count >= opts.attempts) throw new AppError('rate_limited', { headers: { 'retry-after': String(Math.max(1, Math.ceil(msLeft / 1000))) } });
    },
    /** Counts a failure; true when it is the one that locks (the moment to tell the user). */
    async fail(keys: string[]): Promise<boolean> {
      let locked = false;
      for (const key of keys) {
        const res = await limiter.penalty(key, 1).catch(() => null);
        if (!res) continue;
        if (res.consumedPoints === opts.attempts) {
          // The lock lasts the full duration from now, not from the first failure.
          await limiter.block(key, opts.durationSeconds).catch(() => undefined);
          locked = true;
        }
      }
      return opts.enabled && locked;
    },
    async reset(keys: string[]): Promise<void> {
      for (const key of keys) await limiter.delete(key).catch(() => undefined);
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;
