// Configuration: the environment is read once, validated against `schema`, and frozen.
// A bad value stops the start with the variable's name and what is allowed.
import { schema, type Config, type VarSpec } from './schema.ts';
import { collectOAuthEnv, isOAuthVariable, OIDC_SETTING_NAMES, readOidcProviders } from './oauth.ts';
import { ALIASES, checkSwitches, resolveAliases, unknownVariables } from './aliases.ts';

export { schema, type Config } from './schema.ts';
export { parseDuration } from './parsers.ts';
export { OAUTH_COMMON_SETTINGS, oauthScopes, oauthUrl, type OAuthEnv, type OAuthProviderSettings } from './oauth.ts';
export { ALIASES, activeAliases, aliasNamed, closestName, OWNED_PREFIXES, REPLACED_SERVICES, unknownVariables, type Alias } from './aliases.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates configuration from an environment object (process.env by default). */
export function loadConfig(given: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const known = knownNames();
  unknownVariables(given, known, (name) => readOutsideSchema(name, given), problems);
  const origins = new Map<string, string>();
  const env = resolveAliases(given, known, (name) => specByEnv().get(name)?.parse, problems, origins);
  for (const [key, spec] of Object.entries(schema) as [string, VarSpec<unknown>][]) {
    const raw = env[spec.env];
    const value = raw === undefined || (raw === '' && spec.default === undefined) ? spec.default : raw;
    if (value === undefined) continue;
    try {
      out[key] = spec.parse(value);
    } catch (err) {
      const via = origins.has(spec.env) ? ` (set as ${origins.get(spec.env)})` : '';
      problems.push(`${spec.env}${via}: ${(err as Error).message}${spec.secret ? '' : ` (got "${String(raw).slice(0, 80)}")`}`);
    }
  }
  out.oauthProviders = Object.freeze(readOidcProviders(env, problems));
  out.oauthEnv = Object.freeze(collectOAuthEnv(env, (name) => !known.has(name) && !ALIASES.some((a) => a.name === name)));
  if (problems.length === 0) crossCheck(out as Config, problems);
  if (problems.length === 0) checkSwitches(given, out as Config, known, problems);
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

let specs: Map<string, VarSpec<unknown>> | undefined;
const specByEnv = (): Map<string, VarSpec<unknown>> => (specs ??= new Map((Object.values(schema) as VarSpec<unknown>[]).map((s) => [s.env, s])));

/** The variables of the schema (aliases and social sign-in settings apart). */
export function knownNames(): ReadonlySet<string> {
  return new Set(specByEnv().keys());
}

/** The schema entry of a canonical variable, for `config check NAME`. */
export function specOf(name: string): VarSpec<unknown> | undefined {
  return specByEnv().get(name);
}

/**
 * Social sign-in settings, read per provider outside the schema (core/config/oauth.ts).
 * Any `AUTH_OAUTH_<PROVIDER>_<SETTING>` passes here: the oauth module refuses those its
 * provider files do not have, with the same words, at start-up.
 */
function readOutsideSchema(name: string, env: Record<string, string | undefined>): boolean {
  if (isOAuthVariable(name) && !ALIASES.some((a) => a.name === name)) return true;
  const listed = (env.AUTH_OIDC_PROVIDERS ?? '').split(',').map((s) => s.trim().toUpperCase().replace(/-/g, '_')).filter(Boolean);
  return listed.some((n) => OIDC_SETTING_NAMES.some((s) => name === `AUTH_OIDC_${n}_${s}`));
}

function crossCheck(c: Config, problems: string[]): void {
  if (c.sameSite === 'none' && !c.secureCookies) {
    problems.push('AUTH_SESSION_SAME_SITE: `none` requires AUTH_SESSION_SECURE_COOKIES=true (browsers drop such cookies otherwise)');
  }
  if (c.databaseUrl && !c.encryptionKey) {
    problems.push('AUTH_ENCRYPTION_KEY: required when DATABASE_URL is set, so that every instance can decrypt the shared signing keys (at least 32 characters)');
  }
  if (c.sessionIdleTimeout > 0 && c.sessionIdleTimeout < 60) {
    problems.push('AUTH_SESSION_IDLE_TIMEOUT: must be at least 60 seconds (last use is recorded once a minute), or 0 to disable');
  }
  if (c.smtpUser !== undefined && c.smtpHost === undefined) problems.push('AUTH_SMTP_USER: set AUTH_SMTP_HOST too (without it, email goes to the log)');
  if (c.nodeEnv === 'production' && !c.smtpHost && !c.emailLogInProduction) {
    problems.push('AUTH_SMTP_HOST: required with NODE_ENV=production, or reset links and sign-in codes would be written to the log instead of sent; '
      + 'set AUTH_EMAIL_LOG_IN_PRODUCTION=true to run without email on purpose (the log then names only the template and the recipient\'s domain)');
  }
  if (c.smtpPass !== undefined && c.smtpUser === undefined) problems.push('AUTH_SMTP_PASS: set AUTH_SMTP_USER too');
  if (c.passwordMaxLength < c.passwordMinLength) problems.push('AUTH_PASSWORD_MAX_LENGTH: must be at least AUTH_PASSWORD_MIN_LENGTH');
  if (c.captchaProvider && !c.captchaSecret) problems.push('AUTH_CAPTCHA_SECRET: required with AUTH_CAPTCHA_PROVIDER');
  if ((c.hookCustomClaimsUrl || c.hookBeforeSignupUrl) && !c.hookSecret) {
    problems.push('AUTH_HOOK_SECRET: required with AUTH_HOOK_CUSTOM_CLAIMS_URL or AUTH_HOOK_BEFORE_SIGNUP_URL (hook requests are signed with it)');
  }
  if (c.mfaSmsEnabled && c.smsProvider === 'twilio' && !(c.twilioAccountSid && c.twilioAuthToken && c.twilioPhoneNumber)) {
    problems.push('SMS_PROVIDER=twilio: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER');
  }
  if (c.mfaSmsEnabled && c.smsProvider === 'aws_sns' && !(c.awsSnsAccessKey && c.awsSnsSecretKey && c.awsSnsRegion)) {
    problems.push('SMS_PROVIDER=aws_sns: set AWS_SNS_ACCESS_KEY, AWS_SNS_SECRET_KEY and AWS_SNS_REGION');
  }
  if (c.defaultPassword !== undefined && !(c.defaultUsername || c.adminUsername)) problems.push('DEFAULT_PASSWORD: set DEFAULT_USERNAME (or ADMIN_USERNAME) too');
  if (c.defaultUsername !== undefined && c.defaultPassword === undefined) problems.push('DEFAULT_USERNAME: set DEFAULT_PASSWORD too');
  if (c.adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(c.adminEmail)) problems.push('ADMIN_EMAIL: expected an email address');
  if (c.compatProfiles.includes('myauth') && c.compatPrefixMyauth === '') problems.push('AUTH_COMPAT_PREFIX_MYAUTH: `/` is refused: choose a prefix such as /api/v1/auth (the default, where myauth served)');
  if (c.compatProfiles.includes('edd')) {
    // edd accounts have a username and a display name, no email.
    if (c.emailRequired) problems.push('AUTH_COMPAT_PROFILES=edd: requires AUTH_EMAIL_REQUIRED=false (edd\'s accounts and its /admin/users have a username and no email)');
    if (c.compatPrefixEdd === '') problems.push('AUTH_COMPAT_PREFIX_EDD: `/` is refused: /admin/users is Tessera\'s own route; choose a prefix such as /edd');
  }
  if (c.compatProfiles.includes('mstack')) {
    // mstack clients have username-only accounts and keep their one refresh token.
    if (c.emailRequired) problems.push('AUTH_COMPAT_PROFILES=mstack: requires AUTH_EMAIL_REQUIRED=false (mstack signs up with a username and a password, no email)');
    if (c.refreshTokenRotation) problems.push('AUTH_COMPAT_PROFILES=mstack: requires AUTH_REFRESH_TOKEN_ROTATION=false (mstack clients keep the refresh token of their login; a rotated one would be spent, then seen as reused)');
    if (c.compatPrefixMstack === '') problems.push('AUTH_COMPAT_PREFIX_MSTACK: `/` is refused: /auth/login, /auth/verify, /auth/refresh and /auth/logout are Tessera\'s own routes; choose a prefix such as /mstack');
  }
  if (c.refreshReuseInterval >= c.refreshTokenExpiry) {
    problems.push('AUTH_REFRESH_TOKEN_REUSE_INTERVAL: must be shorter than AUTH_REFRESH_TOKEN_EXPIRY');
  }
}

/** The address browsers reach Tessera at: AUTH_PUBLIC_URL, else derived from HOST and PORT. */
export function publicUrl(c: Config): string {
  if (c.publicUrl) return c.publicUrl;
  const local = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', ''].includes(c.host);
  const host = local ? 'localhost' : c.host.includes(':') ? `[${c.host}]` : c.host;
  return `http://${host}:${c.port}`;
}

/** Warnings about insecure settings, logged loudly outside development. */
export function insecureSettings(c: Config): string[] {
  const w: string[] = [];
  if (!c.secureCookies) w.push('AUTH_SESSION_SECURE_COOKIES=false: the refresh cookie is sent over plain HTTP');
  if (c.trustProxy === true) w.push('AUTH_TRUST_PROXY=true: X-Forwarded-For is believed from any peer; list your proxies instead');
  if (c.jwtSecret) w.push('AUTH_JWT_SECRET is set: tokens use HS256, so every verifier holds the signing secret');
  if (!c.sessionCheck) w.push('AUTH_SESSION_CHECK=false: revoked sessions keep working until their access tokens expire');
  if (!c.smtpHost) {
    w.push(c.nodeEnv === 'production'
      ? 'AUTH_SMTP_HOST is not set (AUTH_EMAIL_LOG_IN_PRODUCTION=true): no email is sent, so no one receives a reset link or a code; the log names the template and the recipient\'s domain only'
      : 'AUTH_SMTP_HOST is not set: emails are written to the log, links and codes included, instead of being sent');
  }
  if (c.defaultPassword) w.push('DEFAULT_PASSWORD is set: unset it once the first administrator has signed in and changed it');
  if (c.debugMode) w.push('AUTH_DEBUG_MODE=true: every authentication decision is logged');
  if (c.webhookAllowPrivate) w.push('AUTH_WEBHOOK_ALLOW_PRIVATE=true: webhook endpoints may reach this host and internal networks (cloud metadata, databases, admin ports)');
  for (const [name, url] of [['AUTH_HOOK_CUSTOM_CLAIMS_URL', c.hookCustomClaimsUrl], ['AUTH_HOOK_BEFORE_SIGNUP_URL', c.hookBeforeSignupUrl]] as const) {
    if (url && plainHttpElsewhere(url)) w.push(`${name} uses plain http to another host: user data in hook requests can be read on the way (they are signed, not encrypted)`);
  }
  return w;
}

/** An http: URL whose host is not this machine. */
function plainHttpElsewhere(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
}

/** The effective configuration with secrets masked, for `config check` and start-up logs. */
export function describeConfig(c: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(schema) as [keyof Config & string, VarSpec<unknown>][]) {
    const value = c[key];
    out[spec.env] = value === undefined ? null : spec.secret ? '********' : value;
  }
  return out;
}
