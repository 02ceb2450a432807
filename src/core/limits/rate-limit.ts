// Per-client-IP limits on credential endpoints. Counters live in memory, or in Redis when
// REDIS_URL is set so that every instance shares them; if Redis fails, an in-memory
// limiter takes over for that instance until Redis answers again.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../errors/index.ts';

export interface RateLimitOptions {
  max: number;
  windowSeconds: number;
  redis?: Redis | undefined;
  keyPrefix?: string;
  /** Told of each refusal (metrics). */
  onLimited?: () => void;
}

export interface RateLimiter {
  /** Counts one request for `key`; throws rate_limited (with Retry-After) past the limit. */
  hit(key: string): Promise<void>;
}

export function createRateLimiter(opts: RateLimitOptions): RateLimiter {
  const base = { points: opts.max, duration: opts.windowSeconds, keyPrefix: opts.keyPrefix ?? 'tessera:rl' };
  const limiter: RateLimiterAbstract = opts.redis
    ? new RateLimiterRedis({ ...base, storeClient: opts.redis, insuranceLimiter: new RateLimiterMemory(base) })
    : new RateLimiterMemory(base);
  return {
    async hit(key) {
      try {
        await limiter.consume(key, 1);
      } catch (res) {
        if (res instanceof RateLimiterRes) {
          const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
          opts.onLimited?.();
          throw new AppError('rate_limited', { headers: { 'retry-after': String(retryAfter) } });
        }
        throw res;
      }
    },
  };
}
