// Lockout of sign-in per identifier: failed attempts are counted per normalised email or
// username (hashed, whether or not an account has it) and per account, in memory or in
// Redis. After `attempts` failures within `duration` the identifier is locked for
// `duration`: even the right password gets the rate-limit answer. Success clears it.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';

export interface LockoutOptions {
  enabled: boolean;
  attempts: number;
  durationSeconds: number;
  redis?: Redis | undefined;
  /** Told of each attempt refused while locked (metrics). */
  onRefused?: () => void;
}

export function createLockout(opts: LockoutOptions) {
  const base = { points: opts.attempts, duration: opts.durationSeconds, keyPrefix: 'tessera:lockout' };
  const limiter: RateLimiterAbstract = opts.redis
    ? new RateLimiterRedis({ ...base, storeClient: opts.redis, insuranceLimiter: new RateLimiterMemory(base) })
    : new RateLimiterMemory(base);

  /** Keys of an attempt: the identifier as typed (normalised), and the account when one exists. */
  const keysOf = (identifier: string, userId?: string) => [`id:${sha256(identifier).toString('base64url')}`, ...(userId ? [`user:${userId}`] : [])];

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
