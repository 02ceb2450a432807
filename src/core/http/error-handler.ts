// The single place errors become HTTP responses: AppError codes map through the
// catalogue, framework errors map to coded 4xx, anything else is a generic 500 whose
// detail goes only to the log.
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, errorCatalogue, type ErrorCode } from '../errors/index.ts';

export interface ErrorBody {
  error: string;
  code: string;
  details?: unknown;
  requestId?: string;
  [field: string]: unknown;
}

const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

function validationDetails(err: FastifyError): { field: string; message: string }[] {
  return (err.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string })?.missingProperty;
    const path = v.instancePath ? v.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    return { field: missing ? [path, missing].filter(Boolean).join('.') : path || (err.validationContext ?? 'body'), message: v.message ?? 'is invalid' };
  });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      if (err.headers) reply.headers(err.headers);
      const body: ErrorBody = { error: err.message, code: err.code, ...err.fields };
      if (err.details !== undefined) body.details = err.details;
      return reply.status(err.status).send(body);
    }
    if (err.validation) {
      return reply.status(400).send({ error: errorCatalogue.validation_failed.message, code: 'validation_failed', details: validationDetails(err) });
    }
    const mapped = err.code ? FRAMEWORK_CODES[err.code] : undefined;
    if (mapped) return reply.status(errorCatalogue[mapped].status).send({ error: errorCatalogue[mapped].message, code: mapped });
    if (err instanceof SyntaxError && err.statusCode === 400) {
      return reply.status(400).send({ error: errorCatalogue.invalid_json.message, code: 'invalid_json' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Another client error raised by the framework: keep its status, never its internals.
      return reply.status(status).send({ error: status === 404 ? 'Not found' : errorCatalogue.invalid_request.message, code: status === 404 ? 'not_found' : 'invalid_request' });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: errorCatalogue.internal_error.message, code: 'internal_error', requestId: String(req.id) });
  });

  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ error: errorCatalogue.not_found.message, code: 'not_found' }));
}

/** OpenAPI schema of every error response. */
export const errorResponseSchema = {
  type: 'object',
  required: ['error', 'code'],
  properties: {
    error: { type: 'string', description: 'Human-readable message' },
    code: { type: 'string', description: 'Stable machine-readable code (docs/errors.md)' },
    details: { description: 'Per-field problems for validation_failed' },
    requestId: { type: 'string', description: 'Present on 500: quote it when reporting the problem' },
    verification_id: { type: 'string', description: '`mfa_required`: the challenge to answer with POST /auth/login/mfa' },
    expires_at: { type: 'string', format: 'date-time', description: '`mfa_required`: when the challenge ends' },
    methods: { type: 'array', items: { type: 'string' }, description: '`mfa_required`: the methods that can answer it, the preferred first (its code already sent)' },
    enrollment_token: { type: 'string', description: '`mfa_enrollment_required`: allows only enrolling a factor, then signs in' },
  },
} as const;

/** The error responses of a route, for its schema: `...errorResponses(400, 401)`. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorResponseSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponseSchema]));
}
