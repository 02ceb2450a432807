/** An error answer of the server: its stable `code` (docs/errors.md), status and message. */
export class TesseraError extends Error {
  override readonly name = 'TesseraError';
  constructor(
    /** The stable error code, e.g. `invalid_credentials`; `network_error` when no answer came. */
    readonly code: string,
    /** The HTTP status (0 when no answer came). */
    readonly status: number,
    message: string,
    /** The whole JSON body of the answer, for codes that carry more (details, retry hints). */
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Codes after which the session is gone for good: the client signs out. */
export const SESSION_ENDED = new Set(['invalid_refresh_token', 'refresh_token_reused', 'session_revoked', 'account_disabled']);
