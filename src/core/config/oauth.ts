// Social sign-in providers configured by environment. Each named provider reads
// `AUTH_OAUTH_<PROVIDER>_<SETTING>`; generic OpenID Connect issuers are listed in
// AUTH_OIDC_PROVIDERS under names of the operator's choosing and read
// `AUTH_OIDC_<NAME>_<SETTING>`. A provider is on when its client id is set.
//
// The named providers are files of the oauth module, which core must not import: here
// every `AUTH_OAUTH_<PROVIDER>_<SETTING>` variable outside the schema is only collected
// (Config.oauthEnv), and the oauth module checks them against its provider files at
// start-up (modules/oauth/env-providers.ts), each problem naming its variable.

/** Settings every named provider reads; the endpoint ones override the provider's defaults. */
export const OAUTH_COMMON_SETTINGS = ['CLIENT_ID', 'CLIENT_SECRET', 'SCOPES', 'ISSUER', 'AUTHORIZATION_URL', 'TOKEN_URL', 'USERINFO_URL', 'JWKS_URL'] as const;
const OIDC_SETTINGS = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'SCOPES', 'DISPLAY_NAME'] as const;

/** The settings of one provider; `Kind` is narrowed by the oauth module to the kinds it has adapters for. */
export interface OAuthProviderSettings<Kind extends string = string> {
  /** The name in URLs: `google`, or the operator's name of a generic OIDC issuer (`keycloak`). */
  name: string;
  /** Which adapter: a named provider, or `oidc`. */
  kind: Kind;
  clientId: string;
  clientSecret?: string | undefined;
  /** Replaces the adapter's default scopes. */
  scopes?: string[] | undefined;
  displayName?: string | undefined;
  /** Endpoint overrides (self-hosted instances, tests). */
  issuer?: string | undefined;
  authorizationUrl?: string | undefined;
  tokenUrl?: string | undefined;
  userinfoUrl?: string | undefined;
  jwksUrl?: string | undefined;
  /** Microsoft: the Entra ID tenant (`common`, `organizations`, `consumers` or a tenant id). */
  tenantId?: string | undefined;
  /** Apple: the team id, the key id and the PKCS#8 private key (PEM) that sign the client secret. */
  teamId?: string | undefined;
  keyId?: string | undefined;
  privateKey?: string | undefined;
  /** GitLab: the instance (self-hosted); GitHub: the REST API base. */
  baseUrl?: string | undefined;
  /** Where the settings came from. */
  source: 'env' | 'database';
}

/**
 * The `AUTH_OAUTH_<PROVIDER>_<SETTING>` variables set, by provider (lower-case, as in URLs)
 * and setting (`CLIENT_ID`), values as given.
 */
export type OAuthEnv = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Provider names are one word (no `_`); the setting is the rest of the name. */
const OAUTH_VARIABLE = /^AUTH_OAUTH_([A-Z0-9]+)_([A-Z0-9_]+)$/;

/** Whether a variable has the shape of a named provider's setting (which provider and setting are valid is the oauth module's to say). */
export function isOAuthVariable(name: string): boolean {
  return OAUTH_VARIABLE.test(name);
}

/** Every provider setting set in `env`; `outside` leaves out the schema's own AUTH_OAUTH_* variables. */
export function collectOAuthEnv(env: Record<string, string | undefined>, outside: (name: string) => boolean): OAuthEnv {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = OAUTH_VARIABLE.exec(name);
    if (!m || value === undefined || !outside(name)) continue;
    (out[m[1]!.toLowerCase()] ??= {})[m[2]!] = value;
  }
  return out;
}

const envKey = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** An http(s) URL setting, trailing slashes dropped; a problem names `variable` otherwise. */
export function oauthUrl(raw: string | undefined, variable: string, problems: string[]): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    return raw.trim().replace(/\/+$/, '');
  } catch {
    problems.push(`${variable}: expected an http(s) URL`);
    return undefined;
  }
}

/** A list of scopes, separated by spaces or commas. */
export function oauthScopes(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(/[\s,]+/).filter(Boolean);
}

/**
 * The generic OpenID Connect issuers the environment turns on (AUTH_OIDC_PROVIDERS), with
 * problems (a bad name, a missing issuer or client id) appended to `problems`. A name that
 * is a named provider's is refused by the oauth module, which knows them.
 */
export function readOidcProviders(env: Record<string, string | undefined>, problems: string[]): OAuthProviderSettings<'oidc'>[] {
  const out: OAuthProviderSettings<'oidc'>[] = [];
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  const listed = (get('AUTH_OIDC_PROVIDERS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of listed) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
      problems.push(`AUTH_OIDC_PROVIDERS: "${name.slice(0, 40)}" is not a valid name (lower-case letters, digits and -, starting with a letter)`);
      continue;
    }
    const p = `AUTH_OIDC_${envKey(name)}_`;
    const issuer = oauthUrl(get(`${p}ISSUER`), `${p}ISSUER`, problems);
    const clientId = get(`${p}CLIENT_ID`)?.trim();
    if (!issuer) problems.push(`${p}ISSUER: required for the OIDC provider "${name}" (its discovery document is read from <issuer>/.well-known/openid-configuration)`);
    if (!clientId) problems.push(`${p}CLIENT_ID: required for the OIDC provider "${name}"`);
    if (!issuer || !clientId) continue;
    out.push({ name, kind: 'oidc', issuer, clientId, clientSecret: get(`${p}CLIENT_SECRET`), scopes: oauthScopes(get(`${p}SCOPES`)), displayName: get(`${p}DISPLAY_NAME`)?.trim(), source: 'env' });
  }
  return out;
}

/** The settings variables of a generic OIDC provider, for docs. */
export const OIDC_SETTING_NAMES = OIDC_SETTINGS;
