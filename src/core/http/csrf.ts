// Cross-site request forgery on endpoints that a cookie authenticates (refresh, logout):
// the browser must say where the request comes from, with `Origin`, or with
// `Sec-Fetch-Site: same-origin`, and it must be the service itself or an allowed origin.
// A cross-site form post, or a request that hides its origin, is refused.
//
// "The service itself" is AUTH_PUBLIC_URL, and also the origin the request was addressed
// to: its scheme and Host (or, behind a trusted proxy, X-Forwarded-Proto and -Host). A
// browser always sends the Host of the site it is talking to, so a page on another site
// that posts here carries its own Origin and our Host, and the two differ: this is the
// browser's own same-origin rule. It is what lets http://127.0.0.1:4000/ui work beside
// AUTH_PUBLIC_URL=http://localhost:4000.
//
// Only for hosts that DNS rebinding cannot name: an IP literal or `localhost` (a name the
// browser resolves itself), or names a trusted proxy forwarded. An attacker's own name pointed at this server's address would
// otherwise be "the service itself" to its own pages, which could then drive sign-ins and
// read the answers of a server the attacker cannot reach. Other names must be configured
// (AUTH_PUBLIC_URL, AUTH_CORS_ORIGINS).
//
// Both checks decide by the route that matched, never by the raw URL: /%61uth/login and
// an absolute-form request line reach the same handler as /auth/login and get the same
// checks.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.ts';

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the request was addressed to, as a browser would write it in `Origin`
 * (default port dropped, host lower-cased); undefined when the Host or scheme is unusable.
 * `req.protocol` and `req.host` follow trustProxy: forwarded values only from a trusted proxy.
 */
export function requestOrigin(req: FastifyRequest): string | undefined {
  const proto = req.protocol;
  const host = req.host;
  if ((proto !== 'http' && proto !== 'https') || typeof host !== 'string' || !HOST.test(host)) return undefined;
  try {
    const url = new URL(`${proto}://${host}`);
    return rebindingProof(url.hostname) || viaTrustedProxy(req) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

/** An IP literal or localhost: names an attacker's DNS cannot point here. */
function rebindingProof(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || isIP(h.replace(/^\[|\]$/g, '')) !== 0;
}

/**
 * The scheme or host came from a trusted proxy's forwarded headers (fastify uses them only
 * then): the proxy, configured by the operator, decides which names reach this service.
 */
function viaTrustedProxy(req: FastifyRequest): boolean {
  const fwdHost = req.headers['x-forwarded-host'];
  const fwdProto = req.headers['x-forwarded-proto'];
  return (typeof fwdHost === 'string' && req.host === fwdHost.split(',')[0]!.trim())
    || (typeof fwdProto === 'string' && fwdProto !== 'http' && req.protocol === fwdProto.split(',')[0]!.trim());
}

function originSet(allowedOrigins: string[]): Set<string> {
  return new Set(allowedOrigins.map((o) => { try { return new URL(o).origin; } catch { return o; } }));
}

/** Whether `origin` (an Origin header) is this service, as configured or as addressed, or an allowed origin. */
function isOwnOrAllowed(allowed: Set<string>, req: FastifyRequest, origin: string): boolean {
  return allowed.has(origin) || origin === requestOrigin(req);
}

export function createCsrfCheck(allowedOrigins: string[]) {
  const allowed = originSet(allowedOrigins);
  return (req: FastifyRequest): void => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      if (isOwnOrAllowed(allowed, req, origin)) return;
      throw new AppError('csrf_rejected');
    }
    if (req.headers['sec-fetch-site'] === 'same-origin') return;
    throw new AppError('csrf_rejected', { message: 'Cross-site request refused: send the Origin header' });
  };
}

// Routes under /auth that other sites or servers legitimately POST to: the OAuth callbacks
// (Apple's form_post comes from the provider's origin) and the server-to-server endpoints.
// Route patterns, as registered (request.routeOptions.url).
const CROSS_SITE_ALLOWED = new Set(['/auth/oauth/:provider/callback', '/auth/token', '/auth/introspect']);

/**
 * Every other POST under /auth that a browser says comes from another site (an `Origin` that
 * is neither this service nor AUTH_CORS_ORIGINS, or `Sec-Fetch-Site: cross-site`) is refused
 * before it is read: no sign-in, sign-up or code check can be driven from someone else's page.
 * Clients that are not browsers send neither header and are unaffected. A request that
 * matched no route is left to the 404 handler.
 */
export function createCrossSiteGuard(allowedOrigins: string[]) {
  const allowed = originSet(allowedOrigins);
  return (req: FastifyRequest): void => {
    const route = req.routeOptions.url;
    if (req.method !== 'POST' || route === undefined || !route.startsWith('/auth/') || CROSS_SITE_ALLOWED.has(route)) return;
    const origin = req.headers.origin;
    if (typeof origin === 'string' && !isOwnOrAllowed(allowed, req, origin)) throw new AppError('csrf_rejected');
    if (origin === undefined && req.headers['sec-fetch-site'] === 'cross-site') throw new AppError('csrf_rejected');
  };
}
