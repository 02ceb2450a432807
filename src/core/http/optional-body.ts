import type { FastifyRequest } from 'fastify';

/**
 * For routes whose body is optional (refresh and sign-out from a browser, rotating a
 * secret): a request with no body at all is validated as an empty object.
 */
export async function optionalBody(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) req.body = {};
}
