// Request and response schemas of the core token API: validation, serialization (only
// these fields ever leave the server) and the OpenAPI document come from them.
import { errorResponses as errors } from '../../core/http/index.ts';

export const publicUser = {
  type: 'object',
  required: ['id', 'username', 'email', 'role'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    username: { type: 'string' },
    email: { type: ['string', 'null'], format: 'email', description: 'null for an account without an address (AUTH_EMAIL_REQUIRED=false)' },
    role: { type: 'string' },
  },
} as const;

const email = { type: 'string', format: 'email', minLength: 3, maxLength: 254 } as const;
const clientKind = { type: 'string', pattern: '^[a-z0-9_-]{1,32}$', description: '`web` (default: refresh token in an HttpOnly cookie) or `native` (refresh token in the body)' } as const;
const refreshTokenField = { type: 'string', minLength: 1, maxLength: 512 } as const;
// Free-form and stored: bounded by `x-free-form` (core/http/body-schema.ts) with the
// limits AUTH_METADATA_MAX_DEPTH and AUTH_METADATA_MAX_BYTES, as the admin API's metadata.
const metadata = {
  type: 'object', additionalProperties: true, 'x-free-form': true,
  description: "The user's application metadata: any JSON object, at most AUTH_METADATA_MAX_DEPTH levels deep (10) and AUTH_METADATA_MAX_BYTES of JSON (16 KiB). Returned by GET /auth/me and given to the custom-claims hook; administrators may change it later",
} as const;


export const registerSchema = {
  tags: ['auth'],
  summary: 'Create an account',
  description: 'The first account ever registered gets role `admin`; later ones `AUTH_DEFAULT_ROLE`. Unknown fields (such as `role`) are refused. `email` is required unless AUTH_EMAIL_REQUIRED=false. A verification message (link and 6-digit code) is sent to the address (`verification` is null without one). With `AUTH_HOOK_BEFORE_SIGNUP_URL`, the hook may refuse the registration (403 `signup_rejected` with its message; docs/hooks.md).',
  body: {
    type: 'object',
    required: ['username', 'password'],
    additionalProperties: false,
    properties: {
      username: { type: 'string', minLength: 3, maxLength: 50, pattern: '^[\\p{L}\\p{N}][\\p{L}\\p{N}._-]*$', description: 'Letters, digits, `.`, `_`, `-`; starts with a letter or digit; unique regardless of case' },
      email: { ...email, description: 'Required unless AUTH_EMAIL_REQUIRED=false' },
      metadata,
      password: { type: 'string', minLength: 1, maxLength: 1024, description: 'Checked against the password policy (GET /auth/password-policy); each broken rule has its own code' },
      captchaToken: { type: 'string', maxLength: 4096, description: 'The CAPTCHA widget token, when AUTH_CAPTCHA_PROVIDER is set' },
      locale: { type: 'string', pattern: '^[a-z]{2,3}(-[A-Za-z]{2})?$', description: 'Language of the emails (`en`, `fr`, ...); default from Accept-Language, else `en`' },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['message', 'user', 'verification'],
      properties: {
        message: { type: 'string' },
        user: publicUser,
        verification: {
          type: ['object', 'null'], required: ['id', 'expiresAt'],
          description: 'The verification message just queued: pass `id` with the emailed code to POST /auth/verify-email',
          properties: { id: { type: 'string', format: 'uuid' }, expiresAt: { type: 'string', format: 'date-time' } },
        },
      },
    },
    ...errors(400, 403, 409, 413, 415, 429, 503),
  },
} as const;

export const loginSchema = {
  tags: ['auth'],
  summary: 'Sign in with email (or username) and password',
  description: 'Browsers get the refresh token as an HttpOnly cookie; `"client": "native"` returns it in the body as `refreshToken`.',
  body: {
    type: 'object',
    required: ['password'],
    additionalProperties: false,
    properties: {
      email,
      username: { type: 'string', minLength: 1, maxLength: 50 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
      client: clientKind,
      captchaToken: { type: 'string', maxLength: 4096, description: 'Needed after AUTH_CAPTCHA_LOGIN_AFTER_FAILURES failures for the identifier' },
      organization: { type: 'string', minLength: 1, maxLength: 48, description: 'Start the session in this organization (id or slug) of which the user is a member: its access tokens carry `org_id`, `org_role`, `org_permissions`. Anything else is 404 `organization_not_found` (after the password was checked).' },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['accessToken', 'user'],
      properties: { accessToken: { type: 'string' }, refreshToken: { type: 'string', description: 'Only for native clients' }, user: publicUser },
    },
    ...errors(400, 401, 403, 404, 413, 415, 429, 503),
  },
} as const;

export const refreshSchema = {
  tags: ['auth'],
  summary: 'Exchange a refresh token for a new access token (rotation)',
  description: 'The refresh token comes from the cookie, or from the body for native clients (who then get the new one in the body). A spent token presented again after `AUTH_REFRESH_TOKEN_REUSE_INTERVAL` seconds revokes the session (`refresh_token_reused`). With the cookie, the request needs an `Origin` of this service or `AUTH_CORS_ORIGINS` (or `Sec-Fetch-Site: same-origin`), else 403 `csrf_rejected`.',
  // The cookie, or no scheme at all: native clients send the token in the body.
  security: [{ refreshCookie: [] }, {}],
  body: { type: 'object', additionalProperties: false, properties: { refreshToken: refreshTokenField } },
  response: {
    200: { type: 'object', required: ['accessToken'], properties: { accessToken: { type: 'string' }, refreshToken: { type: 'string', description: 'Only when the token came in the body' } } },
    ...errors(400, 401, 403, 413, 415, 429, 503),
  },
} as const;

const bearer = [{ bearerAuth: [] }];

export const meSchema = {
  tags: ['auth'],
  summary: 'The signed-in user',
  security: bearer,
  response: {
    200: {
      type: 'object',
      required: ['id', 'username', 'email', 'role', 'emailVerified', 'locale', 'metadata', 'lastLogin', 'createdAt'],
      properties: {
        ...publicUser.properties, emailVerified: { type: 'boolean' }, locale: { type: 'string' },
        metadata: { type: 'object', additionalProperties: true, description: "The user's application metadata (set at registration or by administrators)" }, lastLogin: { type: ['string', 'null'], format: 'date-time' }, createdAt: { type: 'string', format: 'date-time', description: 'When the account was created' },
      },
    },
    ...errors(401, 403),
  },
} as const;

export const verifySchema = {
  tags: ['auth'],
  summary: 'Check an access token (for resource servers that cannot verify JWTs themselves)',
  security: bearer,
  response: {
    200: { type: 'object', required: ['valid', 'user'], properties: { valid: { type: 'boolean' }, user: publicUser } },
    ...errors(401, 403),
  },
} as const;

export const logoutSchema = {
  tags: ['auth'],
  summary: 'Sign out (every device by default)',
  description: 'Identified by the bearer token, or by a live refresh token (cookie or body); a spent or unknown refresh token ends nothing and is answered 401 invalid_refresh_token. `scope` (query or body): `global` (default) revokes every session of the user, `local` only the session presented, `others` every session but it. Clears the cookie.',
  security: [{ bearerAuth: [] }, { refreshCookie: [] }],
  querystring: { type: 'object', additionalProperties: false, properties: { scope: { type: 'string', enum: ['global', 'local', 'others'] } } },
  body: { type: 'object', additionalProperties: false, properties: { refreshToken: refreshTokenField, scope: { type: 'string', enum: ['global', 'local', 'others'] } } },
  response: {
    200: { type: 'object', required: ['message'], properties: { message: { type: 'string' } } },
    ...errors(400, 401, 403),
  },
} as const;
