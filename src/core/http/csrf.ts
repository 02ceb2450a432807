// Cross-site request forgery on endpoints that a cookie authenticates (refresh, logout):
// the browser must say where the request comes from, with `Origin`, or with
// `Sec-Fetch-Site: same-origin`, and it must be the service itself or an allowed origin.
// A cross-site form post, or a request that hides its origin, is refused.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.ts';

export function createCsrfCheck(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins.map((o) => { try { return new URL(o).origin; } catch { return o; } }));
  return (req: FastifyRequest): void => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      if (allowed.has(origin)) return;
      throw new AppError('csrf_rejected');
    }
    if (req.headers['sec-fetch-site'] === 'same-origin') return;
    throw new AppError('csrf_rejected', { message: 'Cross-site request refused: send the Origin header' });
  };
}
