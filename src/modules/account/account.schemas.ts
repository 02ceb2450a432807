// Request and response schemas of the email flows (validation, serialization and the
// OpenAPI document).
import { errorResponses as errors } from '../../core/http/index.ts';

const email = { type: 'string', format: 'email', minLength: 3, maxLength: 254 } as const;
const token = { type: 'string', minLength: 1, maxLength: 256, description: 'The token from the emailed link' } as const;
const code = { type: 'string', minLength: 1, maxLength: 16, description: 'The 6-digit code from the email' } as const;
const id = { type: 'string', minLength: 1, maxLength: 64, description: 'The id returned when the message was requested' } as const;
const password = { type: 'string', minLength: 1, maxLength: 1024, description: 'Checked against the password policy (GET /auth/password-policy)' } as const;
const clientKind = { type: 'string', pattern: '^[a-z0-9_-]{1,32}$', description: '`web` (default: refresh token in an HttpOnly cookie) or `native` (in the body)' } as const;
const locale = { type: 'string', pattern: '^[a-z]{2,3}(-[A-Za-z]{2})?$', description: 'Language of the emails (`en`, `fr`); default from Accept-Language, else `en`' } as const;
const message = { type: 'object', required: ['message'], properties: { message: { type: 'string' } } } as const;
const verifiedUser = {
  type: 'object',
  required: ['id', 'username', 'email', 'role', 'emailVerified'],
  properties: {
    id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' }, emailVerified: { type: 'boolean' },
    credentialsCleared: { type: 'boolean', description: 'The address was proven by someone other than its registrant: earlier sessions, the password, factors, passkeys and identities were removed (set a password with /auth/password/forgot)' },
  },
} as const;
const signedIn = {
  type: 'object',
  required: ['accessToken', 'user'],
  properties: {
    accessToken: { type: 'string' },
    refreshToken: { type: 'string', description: 'Only for native clients' },
    user: { type: 'object', required: ['id', 'username', 'email', 'role'], properties: { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } } },
  },
} as const;
const proofDoc = 'Either `{token}` (from the link), or `{code}` with the `id` returned by the request or the `email` the code was sent to.';
const bearer = [{ bearerAuth: [] }];
const tags = ['email'];

export const verifyEmailSchema = {
  tags, summary: 'Verify an email address',
  description: `${proofDoc} A code gives up after 5 wrong tries (\`too_many_attempts\`). \`registrationId\`: the \`verification.id\` the registration returned, which shows the registrant is the one verifying (what they set stays; see docs/security.md), also after a resend.`,
  body: { type: 'object', additionalProperties: false, properties: { token, id, email, code, registrationId: { type: 'string', maxLength: 64 } } },
  response: { 200: { type: 'object', required: ['message', 'user'], properties: { message: { type: 'string' }, user: verifiedUser } }, ...errors(400, 413, 415, 429) },
} as const;

export const verifyEmailLinkSchema = {
  tags, summary: 'The verification link: verifies, then redirects to AUTH_CLIENT_URL',
  description: 'Redirects (302) to `AUTH_CLIENT_URL?email_verified=true`, or `AUTH_CLIENT_URL?error=<code>` when the link is invalid, spent or expired.',
  querystring: { type: 'object', required: ['token'], properties: { token } },
  response: { 302: { type: 'null', description: 'Redirect to the application' }, ...errors(400, 429) },
} as const;

export const resendSchema = {
  tags, summary: 'Send the verification message again',
  description: 'Same answer whether or not the address has an account or is verified. Per address: at most `AUTH_EMAIL_VERIFICATION_RESEND_LIMIT` resends, `AUTH_EMAIL_VERIFICATION_RESEND_INTERVAL` apart (429 with Retry-After otherwise).',
  body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email } },
  response: { 200: message, ...errors(400, 413, 415, 429) },
} as const;

export const forgotSchema = {
  tags, summary: 'Ask for a password-reset message',
  description: 'Always the same answer, whether or not the address has an account. The message holds a link to `AUTH_CLIENT_URL/reset-password?token=...` and a 6-digit code.',
  body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email } },
  response: { 200: message, ...errors(400, 413, 415, 429) },
} as const;

export const resetSchema = {
  tags, summary: 'Set a new password with a reset link or code',
  description: `${proofDoc} Every session of the user ends, and a "password changed" notice is sent.`,
  body: { type: 'object', required: ['password'], additionalProperties: false, properties: { token, id, email, code, password } },
  response: { 200: message, ...errors(400, 403, 413, 415, 429) },
} as const;

export const changePasswordSchema = {
  tags, summary: 'Change the password of the signed-in user',
  description: 'Other sessions end; the current one stays. A "password changed" notice is sent.',
  security: bearer,
  body: { type: 'object', required: ['currentPassword', 'newPassword'], additionalProperties: false, properties: { currentPassword: { type: 'string', minLength: 1, maxLength: 1024 }, newPassword: password } },
  response: { 200: message, ...errors(400, 401, 403, 413, 415, 429) },
} as const;

export const magicLinkSchema = {
  tags, summary: 'Send a magic sign-in link',
  description: 'Same answer whether or not the address has an account (with `AUTH_MAGIC_LINK_SIGNUP=true` the link creates it). `redirectTo` must be `AUTH_CLIENT_URL` or an exact entry of `AUTH_REDIRECT_ALLOWLIST`. For `client: "native"` the link goes to `redirectTo?token=...`, to be redeemed with POST /auth/magic-link/verify.',
  body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email, redirectTo: { type: 'string', maxLength: 2048 }, client: clientKind, locale } },
  response: { 200: message, ...errors(400, 413, 415, 429) },
} as const;

export const magicLinkLinkSchema = {
  tags, summary: 'The magic link: signs in (refresh cookie) and redirects to its redirectTo',
  description: 'On failure, redirects to `AUTH_CLIENT_URL?error=<code>`.',
  querystring: { type: 'object', required: ['token'], properties: { token } },
  response: { 302: { type: 'null', description: 'Redirect' }, ...errors(400, 429) },
} as const;

export const magicLinkVerifySchema = {
  tags, summary: "Redeem a magic link's token (native apps, or pages that post it)",
  body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token, client: clientKind } },
  response: { 200: signedIn, ...errors(400, 403, 413, 415, 429, 503) },
} as const;

export const emailCodeSchema = {
  tags, summary: 'Send a 6-digit sign-in code',
  description: 'Same answer whether or not the address has an account.',
  body: { type: 'object', required: ['email'], additionalProperties: false, properties: { email, locale } },
  response: { 200: message, ...errors(400, 413, 415, 429) },
} as const;

export const emailCodeVerifySchema = {
  tags, summary: 'Sign in with an emailed code',
  description: 'A code gives up after 5 wrong tries (`too_many_attempts`).',
  body: { type: 'object', required: ['email', 'code'], additionalProperties: false, properties: { email, code, client: clientKind } },
  response: { 200: signedIn, ...errors(400, 403, 413, 415, 429, 503) },
} as const;

export const emailChangeSchema = {
  tags, summary: 'Ask to change the email of the signed-in user',
  description: 'Sends a confirmation (link and code) to the new address and a notice to the current one. The email changes only on confirmation.',
  security: bearer,
  body: { type: 'object', required: ['newEmail'], additionalProperties: false, properties: { newEmail: email } },
  response: {
    202: { type: 'object', required: ['message', 'id', 'expiresAt'], properties: { message: { type: 'string' }, id: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } },
    ...errors(400, 401, 403, 409, 413, 415, 429),
  },
} as const;

export const emailChangeConfirmSchema = {
  tags, summary: 'Confirm a change of email',
  description: proofDoc,
  body: { type: 'object', additionalProperties: false, properties: { token, id, email, code } },
  response: { 200: { type: 'object', required: ['message', 'user'], properties: { message: { type: 'string' }, user: verifiedUser } }, ...errors(400, 409, 413, 415, 429) },
} as const;

export const emailChangeLinkSchema = {
  tags, summary: 'The confirmation link of an email change: confirms, then redirects to AUTH_CLIENT_URL',
  description: 'Redirects to `AUTH_CLIENT_URL?email_changed=true`, or `?error=<code>`.',
  querystring: { type: 'object', required: ['token'], properties: { token } },
  response: { 302: { type: 'null', description: 'Redirect' }, ...errors(400, 429) },
} as const;

export const expiredPasswordSchema = {
  tags, summary: 'Replace an expired password and sign in',
  description: 'With the `passwordChangeToken` of a `password_expired` answer from POST /auth/login (15 minutes, single use). Answers like a sign-in.',
  body: { type: 'object', required: ['token', 'newPassword'], additionalProperties: false, properties: { token, newPassword: password, client: clientKind } },
  response: { 200: signedIn, ...errors(400, 403, 413, 415, 429, 503) },
} as const;

export const deleteAccountSchema = {
  tags: ['auth'], summary: 'Delete the signed-in account (needs a recent sign-in)', security: bearer,
  description: 'Removes the user with their sessions, factors and tokens; every session ends on every instance at once.',
  response: { 200: message, ...errors(401, 403, 429) },
} as const;

export const updateProfileSchema = {
  tags: ['auth'], summary: 'Change the username of the signed-in user', security: bearer,
  description: 'The rules of registration apply: 3–50 letters or digits of any script, `.`, `_`, `-`, starting with a letter or digit, unique regardless of case (409 `username_taken`). Sending the current name changes nothing.',
  body: {
    type: 'object', required: ['username'], additionalProperties: false,
    properties: { username: { type: 'string', minLength: 3, maxLength: 50, pattern: '^[\\p{L}\\p{N}][\\p{L}\\p{N}._-]*$' } },
  },
  response: {
    200: { type: 'object', required: ['message', 'user'], properties: { message: { type: 'string' }, user: { type: 'object', required: ['id', 'username', 'email', 'role'], properties: { id: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } } } } },
    ...errors(400, 401, 403, 409, 413, 415, 429),
  },
} as const;
