import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * For routes whose body is optional (refresh and sign-out from a browser, rotating a
 * secret): a request with no body at all is validated as an empty object. A callback
 * hook: no promise per request.
 */
export function optionalBody(req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (req.body === undefined || req.body === null) req.body = {};
  done();
}
