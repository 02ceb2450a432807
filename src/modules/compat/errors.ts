// The profiles' error bodies: each profile answers a client error in its own shape, with the
// status and code of Tessera's error; server errors keep Tessera's shape and request id.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors/index.ts';

type Handler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => unknown;

/** An error handler that sends `shape(err, status, code)` for 4xx and leaves 5xx to `central`. */
export function profileErrors(central: Handler, shape: (err: FastifyError, status: number, code: string) => Record<string, unknown>): Handler {
  return (err, req, reply) => {
    const status = err instanceof AppError ? err.status : err.validation ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) return central(err, req, reply);
    if (err instanceof AppError && err.headers) reply.headers(err.headers);
    const code = err instanceof AppError ? err.code : err.validation ? 'validation_failed' : 'bad_request';
    return reply.status(status).send(shape(err, status, code));
  };
}
