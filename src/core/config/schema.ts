// The one configuration schema: every environment variable Tessera reads, its default
// and what it means. `docs/configuration.md` and the README table are kept in step with
// this list by test/docs.test.ts.
import {
  parseBaseUrl, parseBool, parseDuration, parseEnum, parseInteger, parseList, parseOptionalDuration, parseSender, parseTrustProxy, parseUrl,
  parseUrlList, parseEndpointUrl, parseSigningSecret, parseColor, parseLogoUrl, parsePathPrefix,
} from './parsers.ts';
import type { OAuthEnv, OAuthProviderSettings } from './oauth.ts';

export interface VarSpec<T> {
  /** Environment variable name. */
  env: string;
  /** Default as it would be written in the environment; undefined means unset. */
  default?: string;
  parse: (raw: string) => T;
  doc: string;
  /** Masked when the effective configuration is printed. */
  secret?: boolean;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const v = <S extends VarSpec<any>>(spec: S): S => spec;

export const schema = {
  nodeEnv: v({ env: 'NODE_ENV', default: 'development', parse: parseEnum(['development', 'production', 'test'] as const), doc: 'Runtime environment. Outside `development` and `test`, insecure settings are logged as warnings.' }),
  port: v({ env: 'PORT', default: '4000', parse: parseInteger(0, 65535), doc: 'TCP port to listen on.' }),
  host: v({ env: 'HOST', default: '127.0.0.1', parse: (s) => s.trim(), doc: 'Address to listen on. Use `0.0.0.0` in a container.' }),
  dataDir: v({ env: 'DATA_DIR', default: './data', parse: (s) => s.trim(), doc: 'Directory of the embedded database (PGlite) and, in embedded mode, the generated encryption key file.' }),
  databaseUrl: v({ env: 'DATABASE_URL', parse: parseUrl(['postgres', 'postgresql']), doc: 'PostgreSQL connection URL. Unset: embedded PGlite in `DATA_DIR`.', secret: true }),
  databasePoolMax: v({ env: 'DATABASE_POOL_MAX', default: '10', parse: parseInteger(1, 200), doc: 'Maximum connections in the PostgreSQL pool (ignored for PGlite, which has one session).' }),
  pgliteSharedBuffers: v({ env: 'AUTH_PGLITE_SHARED_BUFFERS', default: '16MB', parse: (s) => {
    const m = /^(\d+)(kB|MB|GB)$/.exec(s.trim());
    if (!m || Number(m[1]) === 0) throw new Error('expected a size such as 16MB, 512kB or 1GB');
    const kb = Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB' | 'MB' | 'GB'];
    if (kb < 1024) throw new Error('at least 1MB');
    return `${m[1]}${m[2]}`;
  }, doc: 'Shared buffers of the embedded database (PGlite), held in the server\'s own memory. 16MB keeps an auth server\'s working set (users, sessions, roles) and the idle process under 200 MB; raise it for hundreds of thousands of users on the embedded database. Ignored with `DATABASE_URL`.' }),
  databasePreparedStatements: v({ env: 'DATABASE_PREPARED_STATEMENTS', default: 'true', parse: parseBool, doc: 'Statements that repeat on a pooled connection become named prepared statements there, parsed and planned once instead of at every execution. `false` for a transaction-mode pooler between Tessera and PostgreSQL that does not keep prepared statements (PgBouncer before 1.21, or without `max_prepared_statements`).' }),
  pruneBatchSize: v({ env: 'AUTH_PRUNE_BATCH_SIZE', default: '1000', parse: parseInteger(1, 100000), doc: 'Rows the hourly housekeeping deletes per statement (ended sessions, old audit entries, events, deliveries, mail); a run deletes at most 100 statements of this per table, and a backlog continues a minute later.' }),
  natsUrl: v({ env: 'NATS_URL', parse: parseUrl(['nats', 'tls']), doc: 'NATS server URL. When set, events are published to subjects `auth.<entity>.<id>.<action>` (through JetStream when the server has it). Unset, events are still recorded in the outbox for webhooks.', secret: true }),
  natsStream: v({ env: 'AUTH_NATS_STREAM', default: 'TESSERA_AUTH', parse: (s) => { if (!/^[A-Za-z0-9_-]{1,64}$/.test(s.trim())) throw new Error('letters, digits, _ and - (at most 64)'); return s.trim(); }, doc: 'JetStream stream that Tessera creates (when missing and JetStream is enabled) to keep `auth.>` events.' }),
  outboxRetention: v({ env: 'AUTH_OUTBOX_RETENTION', default: '7d', parse: parseDuration, doc: 'How long events stay in the outbox table: the hourly clean-up deletes older published ones (all older ones without `NATS_URL`; with it, unpublished events wait for NATS).' }),
  webhookTimeout: v({ env: 'AUTH_WEBHOOK_TIMEOUT', default: '10s', parse: parseDuration, doc: 'How long a webhook endpoint has to answer an attempt; no answer in time counts as a failed attempt.' }),
  webhookRetryWindow: v({ env: 'AUTH_WEBHOOK_RETRY_WINDOW', default: '24h', parse: parseDuration, doc: 'How long a failing webhook delivery is retried (with growing delays: 5s, 30s, 2m, 10m, 30m, 1h, 2h, then every 4h) before it is dead-lettered, to be replayed through the admin API.' }),
  webhookAllowPrivate: v({ env: 'AUTH_WEBHOOK_ALLOW_PRIVATE', default: 'false', parse: parseBool, doc: 'Lets webhook endpoints be loopback, private (RFC 1918, RFC 4193), link-local, shared (CGNAT) and other special-purpose addresses, or names that resolve to them; refused otherwise, at registration and at every delivery attempt. For development and tests with a local receiver only.' }),
  redisUrl: v({ env: 'REDIS_URL', parse: parseUrl(['redis', 'rediss']), doc: 'Redis URL. When set, rate-limit counters are shared by every instance through Redis.', secret: true }),
  jwtSecret: v({ env: 'AUTH_JWT_SECRET', parse: (s) => {
    if (s.length < 32) throw new Error('must be at least 32 characters (use a random value, e.g. `openssl rand -base64 48`)');
    return s;
  }, doc: 'When set, access tokens are signed with HS256 and this secret instead of a generated asymmetric key (seed-style deployments). At least 32 characters.', secret: true }),
  jwtAlgorithm: v({ env: 'AUTH_JWT_ALGORITHM', default: 'ES256', parse: parseEnum(['RS256', 'ES256', 'EdDSA'] as const), doc: 'Algorithm of the generated signing key. ES256 signs about twelve times faster than RS256 (every sign-in and refresh signs) and its tokens are shorter; RS256 verifies faster (see docs/operations.md).' }),
  jwtIssuer: v({ env: 'AUTH_JWT_ISSUER', default: 'tessera', parse: (s) => s.trim(), doc: 'The `iss` claim of access tokens.' }),
  jwtAudience: v({ env: 'AUTH_JWT_AUDIENCE', parse: (s) => s.trim(), doc: 'Optional `aud` claim of access tokens; when set, tokens without it are refused.' }),
  jwtHasuraClaims: v({ env: 'AUTH_JWT_HASURA_CLAIMS', default: 'true', parse: parseBool, doc: 'Adds `https://hasura.io/jwt/claims` (`x-hasura-allowed-roles`, `x-hasura-default-role`, `x-hasura-user-id`) to access tokens.' }),
  encryptionKey: v({ env: 'AUTH_ENCRYPTION_KEY', parse: (s) => {
    if (s.length < 32) throw new Error('must be at least 32 characters of random data (e.g. `openssl rand -base64 32`)');
    return s;
  }, doc: 'Key that encrypts private keys at rest (AES-256-GCM). Required with `DATABASE_URL` (all instances share it); in embedded mode a key file is created in `DATA_DIR` when unset.', secret: true }),
  accessTokenExpiry: v({ env: 'AUTH_ACCESS_TOKEN_EXPIRY', default: '15m', parse: parseDuration, doc: 'Lifetime of access tokens (`2s`, `5m`, `1h`, `7d`).' }),
  refreshTokenExpiry: v({ env: 'AUTH_REFRESH_TOKEN_EXPIRY', default: '7d', parse: parseDuration, doc: 'Absolute lifetime of a session and its refresh tokens.' }),
  refreshReuseInterval: v({ env: 'AUTH_REFRESH_TOKEN_REUSE_INTERVAL', default: '10', parse: parseInteger(0, 3600), doc: 'Seconds after its rotation during which a spent refresh token still yields a token for the same session (parallel tabs, lost responses). Later use revokes the session.' }),
  refreshTokenRotation: v({ env: 'AUTH_REFRESH_TOKEN_ROTATION', default: 'true', parse: parseBool, doc: '`true`: every refresh replaces the refresh token, and a replaced token presented after `AUTH_REFRESH_TOKEN_REUSE_INTERVAL` revokes the session (reuse detection). `false`: a refresh answers a new access token and the same refresh token, which stays valid until the session ends (logout, revocation, `AUTH_REFRESH_TOKEN_EXPIRY`, or `AUTH_SESSION_IDLE_TIMEOUT` counted from its last use); no reuse detection then, since the token never changes.' }),
  sessionIdleTimeout: v({ env: 'AUTH_SESSION_IDLE_TIMEOUT', default: '0', parse: parseOptionalDuration, doc: 'A session unused for this long can no longer refresh or authenticate (`30m`, `8h`, `7d`). `0`: no idle timeout, only the absolute `AUTH_REFRESH_TOKEN_EXPIRY`.' }),
  sessionRetention: v({ env: 'AUTH_SESSION_RETENTION', default: '30d', parse: parseDuration, doc: 'How long a session\'s record stays after its absolute expiry (device history for the new-sign-in notice, session ids named in the audit log) before the hourly housekeeping deletes it. Its refresh tokens go at its expiry.' }),
  maxActiveSessions: v({ env: 'AUTH_MAX_ACTIVE_SESSIONS', default: '0', parse: parseInteger(0, 100000), doc: 'Most active sessions per user; a sign-in beyond it revokes the least recently used session. `0`: unlimited.' }),
  sessionCheck: v({ env: 'AUTH_SESSION_CHECK', default: 'true', parse: parseBool, doc: 'Bearer tokens are accepted only while their session is active, so revocation is instant. `false` checks signature and expiry only (revocation then waits for the access token to expire).' }),
  geoipDb: v({ env: 'AUTH_GEOIP_DB', parse: (s) => s.trim(), doc: 'Path to a MaxMind-format GeoIP database (GeoLite2-City or -Country `.mmdb`). When set, sessions record a coarse location of the client address.' }),
  introspectionSecret: v({ env: 'AUTH_INTROSPECTION_SECRET', parse: (s) => {
    if (s.length < 32) throw new Error('must be at least 32 characters (use a random value, e.g. `openssl rand -base64 48`)');
    return s;
  }, doc: 'Shared secret with which resource servers authenticate to `POST /auth/introspect` (HTTP Basic password or Bearer). Unset: introspection refuses every caller.', secret: true }),
  publicUrl: v({ env: 'AUTH_PUBLIC_URL', parse: parseBaseUrl, doc: "Tessera's own address as browsers reach it; links in emails that Tessera answers itself (verify email, magic link, confirm email change) start with it. Unset: `http://localhost:<PORT>` (or `HOST` when it is a name or a routable address)." }),
  clientUrl: v({ env: 'AUTH_CLIENT_URL', default: 'http://localhost:3000', parse: parseBaseUrl, doc: "The application's address: where email links land after Tessera has handled them, the default `redirectTo`, and the base of the password-reset link (`<AUTH_CLIENT_URL>/reset-password?token=...`)." }),
  redirectAllowlist: v({ env: 'AUTH_REDIRECT_ALLOWLIST', default: '', parse: parseUrlList, doc: 'Comma list of URLs, besides `AUTH_CLIENT_URL`, that `redirectTo` may name. Exact matches only (scheme, host, port, path and query); app links such as `myapp://auth` are allowed.' }),
  uiEnabled: v({ env: 'AUTH_UI_ENABLED', default: 'true', parse: parseBool, doc: 'Serves the hosted sign-in and account pages under `/ui` and the admin dashboard under `/admin/ui`. `false`: neither is served (404).' }),
  uiLogoUrl: v({ env: 'AUTH_UI_LOGO_URL', parse: parseLogoUrl, doc: 'Logo of the hosted pages and dashboard: a path on this service (`/ui/assets/...`), an `https://` URL (its origin is added to the CSP `img-src`), or a `data:image/...` URL. Unset: the Tessera mark.' }),
  uiPrimaryColor: v({ env: 'AUTH_UI_PRIMARY_COLOR', default: '#4338ca', parse: parseColor, doc: 'Colour of buttons, links and focus rings (`#rgb` or `#rrggbb`). Keep a contrast of at least 4.5:1 against white.' }),
  uiBackgroundColor: v({ env: 'AUTH_UI_BACKGROUND_COLOR', default: '#f5f6f8', parse: parseColor, doc: 'Page background colour behind the cards.' }),
  uiTextColor: v({ env: 'AUTH_UI_TEXT_COLOR', default: '#1f2933', parse: parseColor, doc: 'Text colour.' }),
  appName: v({ env: 'AUTH_APP_NAME', default: 'Tessera', parse: (s) => s.trim().slice(0, 100), doc: 'Product name shown in emails, the hosted pages and the dashboard.' }),
  smtpHost: v({ env: 'AUTH_SMTP_HOST', parse: (s) => s.trim(), doc: 'SMTP server. Required with `NODE_ENV=production` (unless `AUTH_EMAIL_LOG_IN_PRODUCTION=true`). Unset in development and test: every message is written to the log in full (links and codes included) instead of being sent.' }),
  smtpPort: v({ env: 'AUTH_SMTP_PORT', default: '587', parse: parseInteger(1, 65535), doc: 'SMTP port.' }),
  smtpUser: v({ env: 'AUTH_SMTP_USER', parse: (s) => s, doc: 'SMTP user name (unset: no authentication).' }),
  smtpPass: v({ env: 'AUTH_SMTP_PASS', parse: (s) => s, doc: 'SMTP password.', secret: true }),
  smtpSecure: v({ env: 'AUTH_SMTP_SECURE', default: 'false', parse: parseBool, doc: '`true`: TLS from the first byte (port 465). `false`: plain connection upgraded with STARTTLS when the server offers it.' }),
  smtpSender: v({ env: 'AUTH_SMTP_SENDER', default: 'Tessera <no-reply@localhost>', parse: parseSender, doc: 'The `From` of every message.' }),
  emailLogInProduction: v({ env: 'AUTH_EMAIL_LOG_IN_PRODUCTION', default: 'false', parse: parseBool, doc: '`true`: `NODE_ENV=production` may start without `AUTH_SMTP_HOST`. No email is sent then; the log names each message\'s template and the recipient\'s domain only, never a link or a code.' }),
  emailTemplatesDir: v({ env: 'AUTH_EMAIL_TEMPLATES_DIR', parse: (s) => s.trim(), doc: 'Directory of templates that override the shipped ones, file by file: `<locale>/<kind>.subject`, `.txt`, `.html`, and `<locale>/layout.html` (see docs/api.md#email-templates).' }),
  emailMaxAttempts: v({ env: 'AUTH_EMAIL_MAX_ATTEMPTS', default: '8', parse: parseInteger(3, 100), doc: 'Delivery attempts per message before it is given up (logged as an error).' }),
  emailRetryDelay: v({ env: 'AUTH_EMAIL_RETRY_DELAY', default: '10s', parse: parseDuration, doc: 'Wait before the second attempt; it doubles after every failure, up to one hour.' }),
  emailPollInterval: v({ env: 'AUTH_EMAIL_POLL_INTERVAL', default: '5s', parse: parseDuration, doc: 'How often the delivery worker looks for due messages (new messages are also sent at once).' }),
  emailAddressLimit: v({ env: 'AUTH_EMAIL_ADDRESS_LIMIT', default: '10', parse: parseInteger(1, 100000), doc: 'Most messages requested for one address per `AUTH_EMAIL_ADDRESS_WINDOW` (verification, reset, magic link, code, email change), whether or not it has an account.' }),
  emailAddressWindow: v({ env: 'AUTH_EMAIL_ADDRESS_WINDOW', default: '1h', parse: parseDuration, doc: 'Window of `AUTH_EMAIL_ADDRESS_LIMIT`.' }),
  emailRequired: v({ env: 'AUTH_EMAIL_REQUIRED', default: 'true', parse: parseBool, doc: '`true`: every account has an email address. `false`: `POST /auth/register`, the admin API, the CLI and imports also take accounts with a username and no address; flows that need an address (password reset, magic link, email code, verification, email second factor, new-sign-in and password notices) are then unavailable to those accounts (`email_required` where the caller is signed in).' }),
  emailVerificationRequired: v({ env: 'AUTH_EMAIL_VERIFICATION_REQUIRED', default: 'false', parse: parseBool, doc: 'Sign-in with a password is refused (`email_not_verified`) until the email is verified.' }),
  emailVerificationExpiresIn: v({ env: 'AUTH_EMAIL_VERIFICATION_EXPIRES_IN', default: '24h', parse: parseDuration, doc: 'Lifetime of the verification link and code.' }),
  emailVerificationResendLimit: v({ env: 'AUTH_EMAIL_VERIFICATION_RESEND_LIMIT', default: '3', parse: parseInteger(0, 1000), doc: 'Resends of the verification message per address within `AUTH_EMAIL_VERIFICATION_EXPIRES_IN`.' }),
  emailVerificationResendInterval: v({ env: 'AUTH_EMAIL_VERIFICATION_RESEND_INTERVAL', default: '60s', parse: parseDuration, doc: 'Least time between two verification messages to one address.' }),
  passwordResetExpiresIn: v({ env: 'AUTH_PASSWORD_RESET_EXPIRES_IN', default: '1h', parse: parseDuration, doc: 'Lifetime of the password-reset link and code.' }),
  magicLinkExpiresIn: v({ env: 'AUTH_MAGIC_LINK_EXPIRES_IN', default: '15m', parse: parseDuration, doc: 'Lifetime of a magic link.' }),
  magicLinkSignup: v({ env: 'AUTH_MAGIC_LINK_SIGNUP', default: 'false', parse: parseBool, doc: 'A magic link or email code sent to an address without an account creates the account when used.' }),
  emailCodeExpiresIn: v({ env: 'AUTH_EMAIL_CODE_EXPIRES_IN', default: '10m', parse: parseDuration, doc: 'Lifetime of a 6-digit email sign-in code.' }),
  emailChangeExpiresIn: v({ env: 'AUTH_EMAIL_CHANGE_EXPIRES_IN', default: '24h', parse: parseDuration, doc: 'Lifetime of the confirmation sent to a new email address.' }),
  newSignInNotice: v({ env: 'AUTH_EMAIL_NEW_SIGNIN_NOTICE', default: 'true', parse: parseBool, doc: 'Emails the user when a password sign-in comes from a browser and system not seen on their earlier sessions.' }),
  rateLimitMax: v({ env: 'AUTH_RATE_LIMIT_MAX', default: '20', parse: parseInteger(1), doc: 'Requests per client IP per window on each credential endpoint group (register, login, refresh, verify-email, password, magic-link, email-code, email-change).' }),
  rateLimitWindow: v({ env: 'AUTH_RATE_LIMIT_WINDOW', default: '900', parse: parseInteger(1), doc: 'Rate-limit window in seconds.' }),
  trustProxy: v({ env: 'AUTH_TRUST_PROXY', default: 'false', parse: parseTrustProxy, doc: '`false`; `true` (trust every hop: only behind a proxy that overwrites X-Forwarded-For); a hop count; or a comma list of proxy addresses / CIDRs whose X-Forwarded-For is believed.' }),
  corsOrigins: v({ env: 'AUTH_CORS_ORIGINS', default: '', parse: parseList, doc: 'Comma list of origins allowed by CORS, with credentials. Empty: no CORS headers.' }),
  secureCookies: v({ env: 'AUTH_SESSION_SECURE_COOKIES', default: 'true', parse: parseBool, doc: 'Marks the refresh cookie `Secure`. Turn off only for plain-HTTP development on a host other than localhost.' }),
  sameSite: v({ env: 'AUTH_SESSION_SAME_SITE', default: 'strict', parse: parseEnum(['strict', 'lax', 'none'] as const, true), doc: 'SameSite attribute of the refresh cookie. `none` requires secure cookies.' }),
  defaultRole: v({ env: 'AUTH_DEFAULT_ROLE', default: 'viewer', parse: (s) => {
    if (!/^[a-z][a-z0-9_:-]{0,49}$/.test(s.trim())) throw new Error('expected a role name (lower case letters, digits, _ : -)');
    return s.trim();
  }, doc: 'Role given to every registered user after the first (the first user ever registered becomes `admin`).' }),
  metadataMaxDepth: v({ env: 'AUTH_METADATA_MAX_DEPTH', default: '10', parse: parseInteger(1, 32), doc: 'Deepest nesting of arrays and objects accepted in user metadata (`POST /auth/register`, `POST`, `PATCH /admin/users`), the metadata object itself counting as 1. Deeper: 400 `validation_failed`.' }),
  metadataMaxBytes: v({ env: 'AUTH_METADATA_MAX_BYTES', default: '16384', parse: parseInteger(256, 16384), doc: 'Largest user metadata accepted, in bytes of UTF-8 JSON (256 to 16384). Larger: 400 `validation_failed`.' }),
  logLevel: v({ env: 'AUTH_LOG_LEVEL', default: 'info', parse: parseEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const), doc: 'Log level (pino).' }),
  metricsToken: v({ env: 'AUTH_METRICS_TOKEN', parse: (s) => {
    if (s.length < 16) throw new Error('must be at least 16 characters (use a random value, e.g. `openssl rand -base64 24`)');
    return s;
  }, doc: 'Bearer token that `GET /metrics` (Prometheus format) requires on the main port. Unset, and without `AUTH_METRICS_PORT`, `/metrics` is not served.', secret: true }),
  metricsPort: v({ env: 'AUTH_METRICS_PORT', parse: parseInteger(0, 65535), doc: 'When set, `/metrics` is also served without a token on this port, on `AUTH_METRICS_HOST`: a listener apart from the API that only the scraper reaches.' }),
  metricsHost: v({ env: 'AUTH_METRICS_HOST', default: '127.0.0.1', parse: (s) => s.trim(), doc: 'Address of the `AUTH_METRICS_PORT` listener (`0.0.0.0` in a container scraped from outside it).' }),
  debugMode: v({ env: 'AUTH_DEBUG_MODE', default: 'false', parse: parseBool, doc: 'Logs each authentication decision (never secrets) at info level.' }),
  passwordMinLength: v({ env: 'AUTH_PASSWORD_MIN_LENGTH', default: '8', parse: parseInteger(1, 1024), doc: 'Shortest password accepted (characters), wherever a password is set.' }),
  passwordMaxLength: v({ env: 'AUTH_PASSWORD_MAX_LENGTH', default: '128', parse: parseInteger(8, 1024), doc: 'Longest password accepted; bounds the work of the hasher.' }),
  passwordRequireUppercase: v({ env: 'AUTH_PASSWORD_REQUIRE_UPPERCASE', default: 'false', parse: parseBool, doc: 'A password needs an upper-case letter.' }),
  passwordRequireLowercase: v({ env: 'AUTH_PASSWORD_REQUIRE_LOWERCASE', default: 'false', parse: parseBool, doc: 'A password needs a lower-case letter.' }),
  passwordRequireNumbers: v({ env: 'AUTH_PASSWORD_REQUIRE_NUMBERS', default: 'false', parse: parseBool, doc: 'A password needs a digit.' }),
  passwordRequireSymbols: v({ env: 'AUTH_PASSWORD_REQUIRE_SYMBOLS', default: 'false', parse: parseBool, doc: 'A password needs a character that is neither a letter nor a digit.' }),
  passwordPreventCommon: v({ env: 'AUTH_PASSWORD_PREVENT_COMMON', default: 'true', parse: parseBool, doc: 'Refuses the ~49,000 most common passwords (shipped list, case-insensitive).' }),
  passwordPreventUserInfo: v({ env: 'AUTH_PASSWORD_PREVENT_USER_INFO', default: 'true', parse: parseBool, doc: "Refuses passwords that contain the username or the email's local part (case-insensitive, 3 characters or more)." }),
  passwordHistoryCount: v({ env: 'AUTH_PASSWORD_HISTORY_COUNT', default: '0', parse: parseInteger(0, 24), doc: 'A new password may not be any of the last N (the current one included). `0`: off.' }),
  passwordChangeRequiredDays: v({ env: 'AUTH_PASSWORD_CHANGE_REQUIRED_DAYS', default: '0', parse: parseInteger(0, 3650), doc: 'A password older than this many days must be changed at the next sign-in (`password_expired`). `0`: never.' }),
  passwordBreachCheck: v({ env: 'AUTH_PASSWORD_BREACH_CHECK', default: 'false', parse: parseBool, doc: "Checks new passwords against Have I Been Pwned's range API (k-anonymity: only 5 hex characters of the SHA-1 leave the server)." }),
  passwordBreachApiUrl: v({ env: 'AUTH_PASSWORD_BREACH_API_URL', default: 'https://api.pwnedpasswords.com', parse: parseBaseUrl, doc: 'Base URL of the range API (`<url>/range/<5 hex>`).' }),
  passwordBreachTimeout: v({ env: 'AUTH_PASSWORD_BREACH_TIMEOUT', default: '2s', parse: parseDuration, doc: 'How long the breach check waits before falling back to the local list.' }),
  lockoutEnabled: v({ env: 'AUTH_ACCOUNT_LOCKOUT_ENABLED', default: 'true', parse: parseBool, doc: 'Locks sign-in for an identifier (email or username) after repeated failures, whether or not an account exists.' }),
  lockoutAttempts: v({ env: 'AUTH_ACCOUNT_LOCKOUT_ATTEMPTS', default: '5', parse: parseInteger(1, 1000), doc: 'Failed sign-ins within `AUTH_ACCOUNT_LOCKOUT_DURATION` that lock the identifier.' }),
  lockoutDuration: v({ env: 'AUTH_ACCOUNT_LOCKOUT_DURATION', default: '1800', parse: parseDuration, doc: 'How long failures are counted, and how long a lock lasts (seconds, or `30m`).' }),
  rateLimitLoginAttempts: v({ env: 'AUTH_RATE_LIMIT_LOGIN_ATTEMPTS', parse: parseInteger(1), doc: 'Sign-in requests (password, email code, magic link) per client IP, and per identifier, per window. Unset: `AUTH_RATE_LIMIT_MAX`.' }),
  rateLimitLoginWindow: v({ env: 'AUTH_RATE_LIMIT_LOGIN_WINDOW', parse: parseDuration, doc: 'Window of `AUTH_RATE_LIMIT_LOGIN_ATTEMPTS`. Unset: `AUTH_RATE_LIMIT_WINDOW`.' }),
  rateLimitSignupAttempts: v({ env: 'AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS', parse: parseInteger(1), doc: 'Registrations per client IP per window. Unset: `AUTH_RATE_LIMIT_MAX`.' }),
  rateLimitSignupWindow: v({ env: 'AUTH_RATE_LIMIT_SIGNUP_WINDOW', parse: parseDuration, doc: 'Window of `AUTH_RATE_LIMIT_SIGNUP_ATTEMPTS`. Unset: `AUTH_RATE_LIMIT_WINDOW`.' }),
  captchaProvider: v({ env: 'AUTH_CAPTCHA_PROVIDER', parse: parseEnum(['turnstile', 'hcaptcha'] as const), doc: 'Bot check on registration and, after failures, on sign-in: `turnstile` or `hcaptcha`. Unset: none.' }),
  captchaSecret: v({ env: 'AUTH_CAPTCHA_SECRET', parse: (s) => s, doc: "The provider's secret key.", secret: true }),
  captchaVerifyUrl: v({ env: 'AUTH_CAPTCHA_VERIFY_URL', parse: parseUrl(['http', 'https']), doc: "The provider's verification endpoint. Unset: the provider's own (`https://challenges.cloudflare.com/turnstile/v0/siteverify`, `https://api.hcaptcha.com/siteverify`)." }),
  captchaLoginAfter: v({ env: 'AUTH_CAPTCHA_LOGIN_AFTER_FAILURES', default: '3', parse: parseInteger(0, 1000), doc: 'Failed sign-ins for an identifier after which sign-in needs a CAPTCHA too (`0`: always).' }),
  hookCustomClaimsUrl: v({ env: 'AUTH_HOOK_CUSTOM_CLAIMS_URL', parse: parseEndpointUrl, doc: 'Synchronous hook called (signed POST) each time a user access token is minted: sign-in by any method and refresh. Its `{"claims": {...}}` are added to the token; reserved claims are never overridden (see docs/hooks.md).' }),
  hookBeforeSignupUrl: v({ env: 'AUTH_HOOK_BEFORE_SIGNUP_URL', parse: parseEndpointUrl, doc: 'Synchronous hook called (signed POST) before a registration or a passwordless sign-up creates an account; `{"decision": "reject", "message": "..."}` refuses it (403 `signup_rejected`). Accounts created by administrators are not subject to it.' }),
  hookSecret: v({ env: 'AUTH_HOOK_SECRET', parse: parseSigningSecret, doc: 'Secret that signs hook requests (Standard Webhooks headers `webhook-id`, `webhook-timestamp`, `webhook-signature`): `whsec_` + base64, or at least 32 characters used as raw bytes. Required when a hook URL is set.', secret: true }),
  hookTimeout: v({ env: 'AUTH_HOOK_TIMEOUT', default: '2s', parse: (s) => {
    const seconds = parseDuration(s);
    if (seconds > 30) throw new Error('expected at most 30s (the request being answered waits for the hook)');
    return seconds;
  }, doc: 'How long Tessera waits for a hook (whole seconds, 1s to 30s) before the call counts as failed.' }),
  hookCustomClaimsOnFailure: v({ env: 'AUTH_HOOK_CUSTOM_CLAIMS_ON_FAILURE', default: 'closed', parse: parseEnum(['open', 'closed'] as const), doc: 'When the custom-claims hook times out or fails: `closed` refuses the sign-in or refresh (503 `hook_failed`); `open` issues the token without the hook\'s claims. `closed` by default because such claims often restrict as well as grant (a tenant, a ban flag), and a token without them would mean something else to resource servers.' }),
  hookBeforeSignupOnFailure: v({ env: 'AUTH_HOOK_BEFORE_SIGNUP_ON_FAILURE', default: 'closed', parse: parseEnum(['open', 'closed'] as const), doc: 'When the before-signup hook times out or fails: `closed` refuses the registration (503 `hook_failed`); `open` lets it through. `closed` by default: the hook exists to stop some sign-ups, and a refused attempt can simply be retried.' }),
  mfaTotpIssuer: v({ env: 'AUTH_MFA_TOTP_ISSUER', default: 'Tessera', parse: (s) => s.trim().slice(0, 100), doc: 'Issuer shown by authenticator apps for TOTP factors (in the `otpauth://` URI).' }),
  mfaChallengeExpiresIn: v({ env: 'AUTH_MFA_CHALLENGE_EXPIRES_IN', default: '10m', parse: parseDuration, doc: 'Lifetime of a second-factor challenge (sign-in, reauthentication, phone check) and of its email or SMS code.' }),
  mfaRequiredForRoles: v({ env: 'AUTH_MFA_REQUIRED_FOR_ROLES', default: '', parse: parseList, doc: 'Comma list of roles whose users (default, extra or included role) must have a factor: without one, sign-in answers `mfa_enrollment_required` with a token that only allows enrolling.' }),
  reauthMaxAge: v({ env: 'AUTH_REAUTH_MAX_AGE', default: '5m', parse: parseDuration, doc: 'How long a sign-in or `POST /auth/reauthenticate` counts as recent for sensitive actions (removing a factor, new recovery codes, changing password or email, deleting the account).' }),
  mfaSmsEnabled: v({ env: 'AUTH_MFA_SMS_ENABLED', default: 'false', parse: parseBool, doc: 'Allows SMS codes as a second factor (through `SMS_PROVIDER`).' }),
  smsProvider: v({ env: 'SMS_PROVIDER', default: 'log', parse: parseEnum(['twilio', 'aws_sns', 'log'] as const), doc: '`twilio`, `aws_sns`, or `log` (development: the message goes to the log).' }),
  twilioAccountSid: v({ env: 'TWILIO_ACCOUNT_SID', parse: (s) => s.trim(), doc: 'Twilio account SID.' }),
  twilioAuthToken: v({ env: 'TWILIO_AUTH_TOKEN', parse: (s) => s.trim(), doc: 'Twilio auth token.', secret: true }),
  twilioPhoneNumber: v({ env: 'TWILIO_PHONE_NUMBER', parse: (s) => s.trim(), doc: 'The Twilio number messages come from (E.164).' }),
  twilioApiUrl: v({ env: 'TWILIO_API_URL', default: 'https://api.twilio.com', parse: parseBaseUrl, doc: "Base URL of Twilio's API." }),
  awsSnsAccessKey: v({ env: 'AWS_SNS_ACCESS_KEY', parse: (s) => s.trim(), doc: 'AWS access key id for SNS.' }),
  awsSnsSecretKey: v({ env: 'AWS_SNS_SECRET_KEY', parse: (s) => s.trim(), doc: 'AWS secret access key for SNS.', secret: true }),
  awsSnsRegion: v({ env: 'AWS_SNS_REGION', parse: (s) => s.trim(), doc: 'AWS region of SNS (`eu-west-1`).' }),
  awsSnsEndpoint: v({ env: 'AWS_SNS_ENDPOINT', parse: parseBaseUrl, doc: 'SNS endpoint. Unset: `https://sns.<region>.amazonaws.com`.' }),
  mfaSmsPerNumberLimit: v({ env: 'AUTH_MFA_SMS_PER_NUMBER_LIMIT', default: '5', parse: parseInteger(1, 1000), doc: 'SMS codes per phone number per hour.' }),
  mfaSmsDailyLimit: v({ env: 'AUTH_MFA_SMS_DAILY_LIMIT', default: '1000', parse: parseInteger(1, 10_000_000), doc: 'SMS codes the whole service sends per 24 hours (stops SMS pumping).' }),
  webauthnRpId: v({ env: 'AUTH_WEBAUTHN_RP_ID', default: 'localhost', parse: (s) => s.trim().toLowerCase(), doc: 'WebAuthn relying party id: the registrable domain passkeys are bound to (`example.com`), never an IP address.' }),
  webauthnRpName: v({ env: 'AUTH_WEBAUTHN_RP_NAME', default: 'Tessera', parse: (s) => s.trim().slice(0, 100), doc: 'Name shown by the browser when a passkey is created.' }),
  webauthnOrigins: v({ env: 'AUTH_WEBAUTHN_ORIGINS', default: '', parse: parseUrlList, doc: 'Comma list of origins allowed to run the ceremonies (`https://app.example.com`). Empty: the origins of `AUTH_CLIENT_URL` and of the public URL.' }),
  webauthnChallengeExpiresIn: v({ env: 'AUTH_WEBAUTHN_CHALLENGE_EXPIRES_IN', default: '5m', parse: parseDuration, doc: 'Lifetime of a passkey ceremony challenge (single use).' }),
  argon2Memory: v({ env: 'AUTH_PASSWORD_ARGON2_MEMORY', default: '19456', parse: parseInteger(1024, 4194304), doc: 'argon2id memory cost in KiB.' }),
  argon2Iterations: v({ env: 'AUTH_PASSWORD_ARGON2_ITERATIONS', default: '2', parse: parseInteger(1, 100), doc: 'argon2id time cost (iterations).' }),
  argon2Parallelism: v({ env: 'AUTH_PASSWORD_ARGON2_PARALLELISM', default: '1', parse: parseInteger(1, 16), doc: 'argon2id parallelism.' }),
  jwtIncludePermissions: v({ env: 'AUTH_JWT_INCLUDE_PERMISSIONS', default: 'false', parse: parseBool, doc: "Adds `permissions`, the user's effective permissions (through every role and included role), to access tokens. Off keeps tokens small; servers can ask `POST /auth/authorize` instead." }),
  organizationsUserCreate: v({ env: 'AUTH_ORGANIZATIONS_USER_CREATE', default: 'true', parse: parseBool, doc: 'Any signed-in user may create an organization (and becomes its owner). `false`: only administrators create organizations (admin API, CLI).' }),
  organizationInvitationExpiresIn: v({ env: 'AUTH_ORGANIZATION_INVITATION_EXPIRES_IN', default: '7d', parse: parseDuration, doc: 'Lifetime of an invitation to an organization (the link in the email).' }),
  organizationInvitationUrl: v({ env: 'AUTH_ORGANIZATION_INVITATION_URL', parse: parseUrl(['http', 'https']), doc: "Page the invitation email links to, with `?token=...` appended. Unset: the hosted page `<AUTH_PUBLIC_URL>/ui/invitation`. An application's own page calls `POST /auth/organizations/invitations/lookup`, then `/accept` (signed in) or `/sign-up`." }),
  jwtHasuraOrgRole: v({ env: 'AUTH_JWT_HASURA_ORG_ROLE', default: 'false', parse: parseBool, doc: 'With an active organization, adds the organization role as `org.<role>` (`org.admin`) to `x-hasura-allowed-roles`, so that Hasura permissions can be written per organization role (the client picks it with `x-hasura-role`).' }),
  serviceAccountTokenExpiry: v({ env: 'AUTH_SERVICE_ACCOUNT_TOKEN_EXPIRY', default: '1h', parse: parseDuration, doc: 'Lifetime of access tokens obtained by service accounts with the client-credentials grant (`POST /auth/token`).' }),
  auditRetentionDays: v({ env: 'AUTH_AUDIT_RETENTION_DAYS', default: '90', parse: parseInteger(0, 36500), doc: 'Days audit entries are kept; older ones are deleted by the hourly housekeeping. `0`: kept for ever.' }),
  adminUsername: v({ env: 'ADMIN_USERNAME', parse: (s) => s.trim(), doc: 'At every start, when no active user holds `admin` or `super_admin`: the user with this username becomes `admin` and `super_admin` (enabled if disabled). When no such user exists and it equals `DEFAULT_USERNAME` (or that is unset), it is created with `DEFAULT_PASSWORD`.' }),
  adminEmail: v({ env: 'ADMIN_EMAIL', parse: (s) => s.trim().toLowerCase(), doc: 'Email of the administrator created at start (see `DEFAULT_USERNAME`); verified from the start. Unset: `<username>@localhost`, which can only sign in by username.' }),
  defaultUsername: v({ env: 'DEFAULT_USERNAME', parse: (s) => s.trim(), doc: 'Username of the administrator created at start when no active admin exists (with `DEFAULT_PASSWORD`, which must meet the password policy). Nothing happens when an admin exists, so the start stays idempotent.' }),
  defaultPassword: v({ env: 'DEFAULT_PASSWORD', parse: (s) => s, doc: 'Password of the administrator created at start (see `DEFAULT_USERNAME`). Change it after the first sign-in, or unset it once the admin exists.', secret: true }),
  oidcProviders: v({ env: 'AUTH_OIDC_PROVIDERS', default: '', parse: parseList, doc: 'Comma list of names of generic OpenID Connect providers (Keycloak, Okta, Auth0, Authentik, ...). Each reads `AUTH_OIDC_<NAME>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, `_SCOPES` and `_DISPLAY_NAME`; its endpoints come from the issuer\'s discovery document.' }),
  oauthAutoLink: v({ env: 'AUTH_OAUTH_AUTO_LINK', default: 'true', parse: parseBool, doc: 'A first social sign-in whose email belongs to an existing account links to it, but only when the provider says the email is verified and the account\'s email is verified too. `false`: such sign-ins are refused with `account_exists_link_required` (the user signs in and links the provider).' }),
  oauthRefreshMargin: v({ env: 'AUTH_OAUTH_TOKEN_REFRESH_MARGIN', default: '5m', parse: parseDuration, doc: 'How long before a stored provider access token expires the background worker refreshes it (with the provider refresh token).' }),
  compatProfiles: v({ env: 'AUTH_COMPAT_PROFILES', default: '', parse: (s) => {
    const list = parseList(s);
    const built = ['myauth', 'mstack', 'edd'];
    for (const p of list) if (!built.includes(p)) throw new Error(`expected a comma list of ${built.join(', ')}`);
    return [...new Set(list)] as ('myauth' | 'mstack' | 'edd')[];
  }, doc: 'Comma list of API profiles that serve the request and response shapes of a replaced service over the same services and sign-in gate (docs/compat.md): `myauth`, `mstack`, `edd`. Empty: none.' }),
  compatPrefixMyauth: v({ env: 'AUTH_COMPAT_PREFIX_MYAUTH', default: '/api/v1/auth', parse: parsePathPrefix, doc: 'Path prefix of the `myauth` profile: its routes are `<prefix>/sign-up`, `/verify-email`, `/sign-in/credentials`, `/sign-in/mfa`, `/me`, `/logout` and the others of docs/compat.md. `/` is refused.' }),
  compatPrefixMstack: v({ env: 'AUTH_COMPAT_PREFIX_MSTACK', default: '/mstack', parse: parsePathPrefix, doc: 'Path prefix of the `mstack` profile: its routes are `<prefix>/auth/signup`, `/auth/login`, `/auth/verify`, `/auth/refresh`, `/auth/logout`. `/` is refused: those paths are Tessera\'s own.' }),
  compatPrefixEdd: v({ env: 'AUTH_COMPAT_PREFIX_EDD', default: '/edd', parse: parsePathPrefix, doc: 'Path prefix of the `edd` profile: its routes are `<prefix>/login`, `/logout`, `/me` and `/admin/users`. `/` is refused: `/admin/users` is Tessera\'s own.' }),
  shutdownTimeout: v({ env: 'AUTH_SHUTDOWN_TIMEOUT', default: '10s', parse: parseDuration, doc: 'How long SIGTERM waits for in-flight requests before closing anyway.' }),
} as const;

type Specs = typeof schema;
type NonOptional = { [K in keyof Specs as Specs[K] extends { default: string } ? K : never]: ReturnType<Specs[K]['parse']> };
type Optional = { [K in keyof Specs as Specs[K] extends { default: string } ? never : K]?: ReturnType<Specs[K]['parse']> };
export type Config = Readonly<NonOptional & Optional & {
  /** Generic OpenID Connect issuers from `AUTH_OIDC_PROVIDERS` and `AUTH_OIDC_<NAME>_*` (see core/config/oauth.ts). */
  oauthProviders: readonly OAuthProviderSettings<'oidc'>[];
  /**
   * The named providers' `AUTH_OAUTH_<PROVIDER>_*` variables, as set: the oauth module
   * checks them against its provider files at start-up (its envProviders).
   */
  oauthEnv: OAuthEnv;
}>;
