// The Fastify side of the per-client-IP limits: a route group's onRequest hook over a
// limiter from core/limits.
import type { FastifyRequest } from 'fastify';
import type { RateLimiter } from '../limits/index.ts';
import { clientKey } from './client-key.ts';

/** An onRequest hook limiting one route group by client IP (proxy-aware via trustProxy; IPv6 per /64). */
export function rateLimitHook(limiter: RateLimiter, group: string) {
  return async (req: FastifyRequest): Promise<void> => {
    await limiter.hit(`${group}:${clientKey(req.ip)}`);
  };
}
