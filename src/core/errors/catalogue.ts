// The closed catalogue of error codes a client can see. docs/errors.md lists the same
// codes; test/docs.test.ts fails when the two drift apart.

export const errorCatalogue = {
  invalid_request: { status: 400, message: 'The request is malformed' },
  validation_failed: { status: 400, message: 'The request body or parameters are invalid' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON' },
  email_token_invalid: { status: 400, message: 'The link or code is invalid or was already used' },
  email_token_expired: { status: 400, message: 'The link or code has expired; ask for a new one' },
  invalid_code: { status: 400, message: 'The code is not right' },
  invalid_current_password: { status: 400, message: 'The current password is not right' },
  email_unchanged: { status: 400, message: 'This is already the email of the account' },
  redirect_not_allowed: { status: 400, message: 'redirectTo is not an allowed address' },
  unauthorized: { status: 401, message: 'Authentication required' },
  invalid_credentials: { status: 401, message: 'Invalid email or password' },
  invalid_token: { status: 401, message: 'The access token is invalid' },
  token_expired: { status: 401, message: 'The access token has expired' },
  session_revoked: { status: 401, message: 'The session has ended' },
  invalid_refresh_token: { status: 401, message: 'The refresh token is invalid or has expired' },
  refresh_token_reused: { status: 401, message: 'The refresh token was already used; the session has been revoked' },
  invalid_client: { status: 401, message: 'Client authentication failed' },
  email_not_verified: { status: 403, message: 'Verify your email address before signing in' },
  account_disabled: { status: 403, message: 'This account is disabled' },
  not_found: { status: 404, message: 'Not found' },
  email_taken: { status: 409, message: 'An account with this email already exists' },
  username_taken: { status: 409, message: 'This username is taken' },
  payload_too_large: { status: 413, message: 'The request body is too large' },
  unsupported_media_type: { status: 415, message: 'Unsupported content type; send application/json' },
  too_many_attempts: { status: 429, message: 'Too many wrong codes; ask for a new one' },
  rate_limited: { status: 429, message: 'Too many attempts, try again later' },
  internal_error: { status: 500, message: 'Internal server error' },
  not_ready: { status: 503, message: 'The service is not ready' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
