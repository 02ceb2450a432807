// The single place errors become HTTP responses: AppError codes map through the
// catalogue, framework errors map to coded 4xx, anything else is a generic 500 whose
// detail goes only to the log. Two standards shape some answers on the way out:
// RFC 6749 5.2 on the OAuth endpoints (routes with `config: { oauthErrors: true }`), and
// RFC 6750 3 for refused bearer tokens.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorCatalogue, type ErrorCode } from '../errors/index.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Errors answer in RFC 6749 5.2's shape: `error` is the RFC's code, with `error_description`. */
    oauthErrors?: boolean;
  }
}

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
  FST_ERR_BAD_URL: 'invalid_request',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
};

function validationDetails(err: FastifyError): { field: string; message: string }[] {
  return (err.validation ?? []).map((v) => {
    // A missing field, or one the schema does not name (bodies refuse unknown fields).
    const { missingProperty, additionalProperty } = (v.params ?? {}) as { missingProperty?: string; additionalProperty?: string };
    const named = missingProperty ?? additionalProperty;
    const path = v.instancePath ? v.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
    const message = additionalProperty !== undefined ? 'is not an accepted field' : v.message ?? 'is invalid';
    return { field: named ? [path, named].filter(Boolean).join('.') : path || (err.validationContext ?? 'body'), message };
  });
}

// RFC 6749 5.2's `error` for each of our codes on the OAuth endpoints; a code not listed
// is a malformed request. 429 and 5xx are outside 5.2's list: RFC 6749 4.1.2.1's
// `temporarily_unavailable` and `server_error` are the values OAuth clients know.
const OAUTH_ERRORS: Partial<Record<string, string>> = {
  invalid_client: 'invalid_client',
  invalid_scope: 'invalid_scope',
  unsupported_grant_type: 'unsupported_grant_type',
  oidc_grant_type_unsupported: 'unsupported_grant_type',
  invalid_grant: 'invalid_grant',
  unauthorized_client: 'unauthorized_client',
  rate_limited: 'temporarily_unavailable',
  not_ready: 'temporarily_unavailable',
  internal_error: 'server_error',
};

/** RFC 6749's error_description allows printable ASCII other than `"` and `\`. */
const printable = (text: string) => text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]+/g, ' ').trim();

/** The body in RFC 6749 5.2's shape, our `code` (and the rest) kept beside it. */
function oauthBody(body: ErrorBody): ErrorBody {
  const details = Array.isArray(body.details) ? (body.details as { field?: unknown; message?: unknown }[]) : [];
  const first = details[0];
  const fallback = first && typeof first.message === 'string' ? `${String(first.field ?? '')} ${first.message}`.trim() : String(body.error);
  const description = typeof body.error_description === 'string' ? body.error_description : fallback;
  return { ...body, error: OAUTH_ERRORS[body.code] ?? 'invalid_request', error_description: printable(description) };
}

// Codes that mean "the bearer token is not usable": RFC 6750 3.1's invalid_token.
const BEARER_REFUSALS: ReadonlySet<string> = new Set(['invalid_token', 'token_expired', 'session_revoked']);

function send(req: FastifyRequest, reply: FastifyReply, status: number, body: ErrorBody) {
  return reply.status(status).send(req.routeOptions.config?.oauthErrors ? oauthBody(body) : body);
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError, req, reply) => {
    if (err instanceof AppError) {
      if (err.headers) reply.headers(err.headers);
      // RFC 6750 3: a refused bearer token says so in the challenge (a missing one gets a
      // bare `Bearer`, set where it is found missing).
      if (BEARER_REFUSALS.has(err.code) && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', 'Bearer error="invalid_token"');
      const body: ErrorBody = { error: err.message, code: err.code, ...err.fields };
      if (err.details !== undefined) body.details = err.details;
      return send(req, reply, err.status, body);
    }
    if (err.validation) {
      return send(req, reply, 400, { error: errorCatalogue.validation_failed.message, code: 'validation_failed', details: validationDetails(err) });
    }
    const mapped = err.code ? FRAMEWORK_CODES[err.code] : undefined;
    if (mapped) return send(req, reply, errorCatalogue[mapped].status, { error: errorCatalogue[mapped].message, code: mapped });
    if (err instanceof SyntaxError && err.statusCode === 400) {
      return send(req, reply, 400, { error: errorCatalogue.invalid_json.message, code: 'invalid_json' });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Another client error raised by the framework: keep its status, never its internals.
      return send(req, reply, status, { error: status === 404 ? 'Not found' : errorCatalogue.invalid_request.message, code: status === 404 ? 'not_found' : 'invalid_request' });
    }
    req.log.error({ err }, 'unhandled error');
    return send(req, reply, 500, { error: errorCatalogue.internal_error.message, code: 'internal_error', requestId: String(req.id) });
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
    error_description: { type: 'string', description: 'POST /auth/token and /auth/introspect: RFC 6749 5.2 description (there `error` is the RFC code)' },
  },
} as const;

/** The error responses of a route, for its schema: `...errorResponses(400, 401)`. */
export function errorResponses(...statuses: number[]): Record<number, typeof errorResponseSchema> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponseSchema]));
}
