// Bearer authentication for routes: parses the Authorization header strictly and hands
// the token to the injected check (signature, expiry, live session, active user).
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/index.ts';

/** Extracts a bearer token; undefined when the header is absent, invalid_token when malformed. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i.exec(header.trim());
  if (!m?.[1]) throw new AppError('invalid_token');
  return m[1];
}

export function createAuthGuard<A>(check: (token: string) => Promise<A>, assign: (req: FastifyRequest, auth: A) => void) {
  return async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req);
    if (!token) throw new AppError('unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
    assign(req, await check(token));
  };
}
