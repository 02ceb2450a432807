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

// Paths under /auth that other sites or servers legitimately POST to: the OAuth callbacks
// (Apple's form_post comes from the provider's origin) and the server-to-server endpoints.
const CROSS_SITE_ALLOWED = /^\/auth\/(?:oauth\/[^/?]+\/callback|token|introspect)(?:[/?]|$)/;

/**
 * Every other POST under /auth that a browser says comes from another site (an `Origin` that
 * is neither this service nor AUTH_CORS_ORIGINS, or `Sec-Fetch-Site: cross-site`) is refused
 * before it is read: no sign-in, sign-up or code check can be driven from someone else's page.
 * Clients that are not browsers send neither header and are unaffected.
 */
export function createCrossSiteGuard(allowedOrigins: string[]) {
  const allowed = new Set(allowedOrigins.map((o) => { try { return new URL(o).origin; } catch { return o; } }));
  return (req: FastifyRequest): void => {
    if (req.method !== 'POST' || !req.url.startsWith('/auth/') || CROSS_SITE_ALLOWED.test(req.url)) return;
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !allowed.has(origin)) throw new AppError('csrf_rejected');
    if (origin === undefined && req.headers['sec-fetch-site'] === 'cross-site') throw new AppError('csrf_rejected');
  };
}
