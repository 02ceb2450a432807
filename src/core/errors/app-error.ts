import { errorCatalogue, type ErrorCode } from './catalogue.ts';

/**
 * The one error type services throw. Status and public message come from the catalogue;
 * `cause` and anything internal go to the log only.
 * @example throw new AppError('invalid_credentials')
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    opts: { message?: string; details?: unknown; headers?: Record<string, string>; cause?: unknown; fields?: Record<string, unknown> } = {},
  ) {
    super(opts.message ?? errorCatalogue[code].message, { cause: opts.cause });
    this.name = 'AppError';
    this.status = errorCatalogue[code].status;
    this.details = opts.details;
    this.headers = opts.headers;
    this.fields = opts.fields;
  }
  readonly details: unknown;
  readonly headers: Record<string, string> | undefined;
  /** Top-level fields a few errors add to the body (the MFA challenge of `mfa_required`). */
  readonly fields: Record<string, unknown> | undefined;
}
