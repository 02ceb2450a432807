// Bearer authentication for routes: parses the Authorization header strictly and hands
// the token to the injected check (signature, expiry, live session, active user).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.ts';

/** Extracts a bearer token; undefined when the header is absent, invalid_token when malformed. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
  if (!m?.[1]) throw new AppError('invalid_token');
  return m[1];
}

/**
 * A bearer guard, usable as a route hook (onRequest, preHandler) or awaited as
 * `await guard(req)`. `cached`, when given, answers from this instance's caches without a
 * promise (undefined: not sure, ask `check`); a hit is handed on synchronously, which
 * spares the hot bearer routes the promises of the full check.
 */
export function createAuthGuard<A>(check: (token: string) => Promise<A>, assign: (req: FastifyRequest, auth: A) => void, cached?: (token: string) => A | undefined) {
  async function slow(req: FastifyRequest, token: string | undefined): Promise<void> {
    if (!token) throw new AppError('unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
    assign(req, await check(token));
  }
  function guard(req: FastifyRequest): Promise<void>;
  function guard(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void;
  function guard(req: FastifyRequest, _reply?: FastifyReply, done?: (err?: Error) => void): Promise<void> | void {
    let token: string | undefined;
    let hit: A | undefined;
    try {
      token = bearerToken(req);
      if (token && cached) hit = cached(token);
    } catch (err) {
      if (done) return done(err as Error);
      return Promise.reject(err as Error);
    }
    if (hit !== undefined) {
      assign(req, hit);
      if (done) return done();
      return Promise.resolve();
    }
    if (done) {
      slow(req, token).then(() => done(), done);
      return;
    }
    return slow(req, token);
  }
  return guard;
}
