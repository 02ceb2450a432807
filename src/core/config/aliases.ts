// Configuration honesty: no variable in a namespace Tessera owns is ignored without a word.
// The variables of the services Tessera replaces that mean the same thing as one of its own
// are accepted as documented aliases; their on/off switches are honoured when Tessera has
// the behaviour and refused with the reason when it has not; anything else under an owned
// prefix stops the start with the closest known name.
import type { Config } from './schema.ts';

/** The services whose documented variables Tessera accepts (docs/compat.md). */
export const REPLACED_SERVICES = {
  myauth: 'myauth (NestJS)',
  mstack: 'mstack (Fastify)',
  edd: 'edd',
  gotrue: 'GoTrue-style',
  cloud: 'internal cloud auth',
} as const;
export type ReplacedService = keyof typeof REPLACED_SERVICES;

/** Another name for a Tessera variable; `convert` turns its value into the canonical's (an inverted boolean). */
export interface RenameAlias {
  kind: 'rename';
  name: string;
  canonical: string;
  from: ReplacedService[];
  convert?: (raw: string) => string;
  /** How the value maps, when it is not as is. */
  note?: string;
}

/**
 * An on/off switch of a replaced service. Tessera has no variable of its own for it: the
 * value is checked against the effective configuration, and a value that Tessera cannot
 * honour stops the start with the reason (never silently ignored).
 */
export interface SwitchAlias {
  kind: 'switch';
  name: string;
  from: ReplacedService[];
  /** The Tessera setting(s) the switch is checked against. */
  canonical: string;
  note: string;
  /** A problem (without the variable's name) when `on` does not hold in `c`. */
  check: (on: boolean, c: Config) => string | undefined;
}

export type Alias = RenameAlias | SwitchAlias;

const invertBool = (raw: string): string => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return 'false';
  if (['0', 'false', 'no', 'off'].includes(v)) return 'true';
  return raw; // the canonical's parser reports it
};

const rename = (name: string, canonical: string, from: ReplacedService[], extra: Pick<RenameAlias, 'convert' | 'note'> = {}): RenameAlias =>
  ({ kind: 'rename', name, canonical, from, ...extra });

/** Every alias, canonical names included whether or not this build's schema has them (see `activeAliases`). */
export const ALIASES: readonly Alias[] = [
  rename('AUTH_ACCESS_TOKEN_EXPIRES_IN', 'AUTH_ACCESS_TOKEN_EXPIRY', ['myauth']),
  rename('AUTH_REFRESH_TOKEN_EXPIRES_IN', 'AUTH_REFRESH_TOKEN_EXPIRY', ['myauth']),
  rename('JWT_SECRET', 'AUTH_JWT_SECRET', ['mstack', 'cloud']),
  rename('JWT_EXPIRY', 'AUTH_ACCESS_TOKEN_EXPIRY', ['mstack']),
  rename('JWT_EXPIRES_IN', 'AUTH_ACCESS_TOKEN_EXPIRY', ['myauth', 'cloud']),
  rename('JWT_REFRESH_EXPIRY', 'AUTH_REFRESH_TOKEN_EXPIRY', ['mstack']),
  rename('REFRESH_TOKEN_EXPIRY', 'AUTH_REFRESH_TOKEN_EXPIRY', ['mstack', 'cloud']),
  rename('JWT_ISSUER', 'AUTH_JWT_ISSUER', ['cloud']),
  rename('JWT_AUDIENCE', 'AUTH_JWT_AUDIENCE', ['cloud']),
  rename('AUTH_SESSION_TTL', 'AUTH_REFRESH_TOKEN_EXPIRY', ['cloud']),
  rename('AUTH_REFRESH_TOKEN_ROTATION_ENABLED', 'AUTH_REFRESH_TOKEN_ROTATION', ['myauth']),
  rename('AUTH_USERNAME_ONLY', 'AUTH_EMAIL_REQUIRED', ['cloud'], { convert: invertBool, note: 'inverted: `true` means `AUTH_EMAIL_REQUIRED=false`' }),
  rename('GOTRUE_JWT_SECRET', 'AUTH_JWT_SECRET', ['gotrue']),
  rename('GOTRUE_JWT_EXP', 'AUTH_ACCESS_TOKEN_EXPIRY', ['gotrue'], { note: 'seconds' }),
  rename('GOTRUE_JWT_AUD', 'AUTH_JWT_AUDIENCE', ['gotrue']),
  rename('GOTRUE_SITE_URL', 'AUTH_CLIENT_URL', ['gotrue']),
  rename('GOTRUE_URI_ALLOW_LIST', 'AUTH_REDIRECT_ALLOWLIST', ['gotrue']),
  rename('GOTRUE_DB_DATABASE_URL', 'DATABASE_URL', ['gotrue']),
  rename('GOTRUE_MAILER_AUTOCONFIRM', 'AUTH_EMAIL_VERIFICATION_REQUIRED', ['gotrue'], { convert: invertBool, note: 'inverted: `true` means `AUTH_EMAIL_VERIFICATION_REQUIRED=false`' }),
  rename('GOTRUE_SMTP_HOST', 'AUTH_SMTP_HOST', ['gotrue']),
  rename('GOTRUE_SMTP_PORT', 'AUTH_SMTP_PORT', ['gotrue']),
  rename('GOTRUE_SMTP_USER', 'AUTH_SMTP_USER', ['gotrue']),
  rename('GOTRUE_SMTP_PASS', 'AUTH_SMTP_PASS', ['gotrue']),
  rename('GOTRUE_PASSWORD_MIN_LENGTH', 'AUTH_PASSWORD_MIN_LENGTH', ['gotrue']),
  rename('GOTRUE_SECURITY_REFRESH_TOKEN_ROTATION_ENABLED', 'AUTH_REFRESH_TOKEN_ROTATION', ['gotrue']),
  rename('GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL', 'AUTH_REFRESH_TOKEN_REUSE_INTERVAL', ['gotrue']),
  rename('GOTRUE_SESSIONS_TIMEBOX', 'AUTH_REFRESH_TOKEN_EXPIRY', ['gotrue']),
  rename('GOTRUE_SESSIONS_INACTIVITY_TIMEOUT', 'AUTH_SESSION_IDLE_TIMEOUT', ['gotrue']),
  {
    kind: 'switch', name: 'AUTH_MFA_ENABLED', from: ['myauth'], canonical: 'AUTH_MFA_REQUIRED_FOR_ROLES',
    note: '`true` only: second factors are always available to users who enrol one; `AUTH_MFA_REQUIRED_FOR_ROLES` makes them compulsory',
    check: (on) => (on ? undefined : 'Tessera cannot turn second factors off (users who enrolled one keep being asked for it); remove the variable or set it to true'),
  },
  {
    kind: 'switch', name: 'AUTH_RATE_LIMIT_ENABLED', from: ['myauth', 'mstack'], canonical: 'AUTH_RATE_LIMIT_MAX',
    note: '`true` only: rate limits are always on; tune `AUTH_RATE_LIMIT_MAX` and `AUTH_RATE_LIMIT_WINDOW`',
    check: (on) => (on ? undefined : 'Tessera cannot turn rate limiting off; remove the variable (or set it to true) and raise AUTH_RATE_LIMIT_MAX instead'),
  },
  {
    kind: 'switch', name: 'AUTH_CORS_ENABLED', from: ['myauth'], canonical: 'AUTH_CORS_ORIGINS',
    note: 'CORS is on exactly when `AUTH_CORS_ORIGINS` lists origins: `true` requires it, `false` requires it empty',
    check: (on, c) => {
      if (on && c.corsOrigins.length === 0) return 'true requires AUTH_CORS_ORIGINS: Tessera answers CORS only for the origins listed there, never for any origin';
      if (!on && c.corsOrigins.length > 0) return 'false contradicts AUTH_CORS_ORIGINS, which turns CORS on for the origins it lists; unset one of them';
      return undefined;
    },
  },
  {
    kind: 'switch', name: 'AUTH_HSTS_ENABLED', from: ['myauth'], canonical: 'AUTH_SESSION_SECURE_COOKIES',
    note: 'HSTS is sent exactly when `AUTH_SESSION_SECURE_COOKIES=true` (the default); the switch must agree with it',
    check: (on, c) => (on === c.secureCookies ? undefined
      : `${on ? 'true' : 'false'} contradicts AUTH_SESSION_SECURE_COOKIES=${c.secureCookies}: Strict-Transport-Security is sent exactly when the refresh cookie is Secure; set AUTH_SESSION_SECURE_COOKIES instead`),
  },
];

/** Variable namespaces Tessera owns: any name in them that Tessera does not know stops the start. */
// TESSERA_ is not among them: Tessera reads no TESSERA_ variable, and its test runner's
// (TESSERA_TEST_*, TESSERA_FUZZ_*) are not configuration.
export const OWNED_PREFIXES = ['AUTH_', 'DATABASE_', 'REDIS_', 'NATS_', 'TWILIO_', 'AWS_SNS_', 'GOTRUE_', 'JWT_'] as const;

/** The aliases whose canonical variable this build has (an alias of a setting not yet built is unknown). */
export function activeAliases(known: ReadonlySet<string>): Alias[] {
  return ALIASES.filter((a) => known.has(a.canonical));
}

/** The alias `name`, if it is one. */
export function aliasNamed(name: string, known: ReadonlySet<string>): Alias | undefined {
  return activeAliases(known).find((a) => a.name === name);
}

const isSet = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

/**
 * The environment with each rename alias's value under its canonical name. Two names of
 * one setting with different values (after parsing) are a problem, whichever they are.
 */
export function resolveAliases(
  env: Record<string, string | undefined>,
  known: ReadonlySet<string>,
  parseOf: (canonical: string) => ((raw: string) => unknown) | undefined,
  problems: string[],
  /** Filled with canonical name -> the alias its value came from. */
  origins?: Map<string, string>,
): Record<string, string | undefined> {
  const out = { ...env };
  const byCanonical = new Map<string, RenameAlias[]>();
  for (const a of activeAliases(known)) {
    if (a.kind !== 'rename' || !isSet(env[a.name])) continue;
    byCanonical.set(a.canonical, [...(byCanonical.get(a.canonical) ?? []), a]);
  }
  for (const [canonical, aliases] of byCanonical) {
    const given: [string, string][] = aliases.map((a) => [a.name, a.convert ? a.convert(env[a.name]!) : env[a.name]!]);
    if (isSet(env[canonical])) given.unshift([canonical, env[canonical]!]);
    const parse = parseOf(canonical);
    const same = (x: string, y: string) => {
      if (x === y) return true;
      try { return JSON.stringify(parse?.(x)) === JSON.stringify(parse?.(y)); } catch { return false; }
    };
    const [first, ...rest] = given;
    const clash = rest.find(([, raw]) => !same(first![1], raw));
    if (clash) {
      problems.push(`${clash[0]}: set together with ${first![0]} to a different value (${given.map(([n]) => n).join(', ')} are names of one setting, ${canonical}); keep one`);
      continue;
    }
    out[canonical] = first![1];
    if (first![0] !== canonical) origins?.set(canonical, first![0]);
  }
  return out;
}

/** Problems of the switch aliases set in `env`, checked against the effective configuration. */
export function checkSwitches(env: Record<string, string | undefined>, c: Config, known: ReadonlySet<string>, problems: string[]): void {
  for (const a of activeAliases(known)) {
    if (a.kind !== 'switch' || !isSet(env[a.name])) continue;
    const v = env[a.name]!.trim().toLowerCase();
    const on = ['1', 'true', 'yes', 'on'].includes(v) ? true : ['0', 'false', 'no', 'off'].includes(v) ? false : undefined;
    if (on === undefined) {
      problems.push(`${a.name}: expected true or false (got "${env[a.name]!.slice(0, 80)}")`);
      continue;
    }
    const problem = a.check(on, c);
    if (problem) problems.push(`${a.name}=${env[a.name]!.trim()}: ${problem}`);
  }
}

/** Levenshtein distance, enough for suggesting a variable name. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The known name closest to `name` (an alias counts as its canonical name). */
export function closestName(name: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const candidates: [string, string][] = [...known].map((k) => [k, k]);
  for (const a of activeAliases(known)) candidates.push([a.name, a.canonical]);
  for (const [candidate, suggest] of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) { bestDistance = d; best = suggest; }
  }
  return best;
}

/**
 * Problems for the variables of `env` under an owned prefix that are neither known nor an
 * alias. `isKnown` also answers for names read outside the schema (social sign-in).
 */
export function unknownVariables(env: Record<string, string | undefined>, known: ReadonlySet<string>, isKnown: (name: string) => boolean, problems: string[]): void {
  const aliases = new Set(activeAliases(known).map((a) => a.name));
  for (const name of Object.keys(env).sort()) {
    if (!OWNED_PREFIXES.some((p) => name.startsWith(p))) continue;
    if (known.has(name) || aliases.has(name) || isKnown(name)) continue;
    const pending = ALIASES.find((a) => a.name === name);
    if (pending) {
      problems.push(`${name}: an alias of ${pending.canonical}, which this version of Tessera does not have`);
      continue;
    }
    const closest = closestName(name, known);
    problems.push(`${name}: not a Tessera setting${closest ? `; did you mean ${closest}?` : ''}`);
  }
}
