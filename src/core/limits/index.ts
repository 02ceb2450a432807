// Counters that refuse past a limit, independent of HTTP: per-client rate limits and
// sign-in lockout, in memory or in Redis. Services use these; the Fastify hook over a rate
// limiter is in core/http.
export { createRateLimiter, type RateLimiter, type RateLimitOptions } from './rate-limit.ts';
export { createLockout, accountKey, type AccountFailures, type Lockout, type LockoutOptions } from './lockout.ts';
