// Social sign-in providers configured by environment. Each named provider reads
// `AUTH_OAUTH_<PROVIDER>_<SETTING>`; generic OpenID Connect issuers are listed in
// AUTH_OIDC_PROVIDERS under names of the operator's choosing and read
// `AUTH_OIDC_<NAME>_<SETTING>`. A provider is on when its client id is set.

export const OAUTH_PROVIDER_IDS = [
  'google', 'github', 'facebook', 'twitter', 'linkedin', 'apple', 'microsoft',
  'slack', 'discord', 'twitch', 'gitlab', 'bitbucket', 'spotify',
] as const;
export type OAuthProviderId = (typeof OAUTH_PROVIDER_IDS)[number];

/** Settings every provider reads; the endpoint ones override the provider's defaults. */
const COMMON = ['CLIENT_ID', 'CLIENT_SECRET', 'SCOPES', 'ISSUER', 'AUTHORIZATION_URL', 'TOKEN_URL', 'USERINFO_URL', 'JWKS_URL'] as const;
/** Settings only some providers have. */
const EXTRA: Partial<Record<OAuthProviderId, readonly string[]>> = {
  microsoft: ['TENANT_ID'],
  apple: ['TEAM_ID', 'KEY_ID', 'PRIVATE_KEY'],
  gitlab: ['URL'],
  github: ['API_URL'],
};
const OIDC_SETTINGS = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'SCOPES', 'DISPLAY_NAME'] as const;

export interface OAuthProviderSettings {
  /** The name in URLs: `google`, or the operator's name of a generic OIDC issuer (`keycloak`). */
  name: string;
  /** Which adapter: a named provider, or `oidc`. */
  kind: OAuthProviderId | 'oidc';
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

/** Every variable name the provider settings may use (for docs checks and `config check`). */
export function oauthEnvNames(): string[] {
  const names: string[] = [];
  for (const id of OAUTH_PROVIDER_IDS) {
    for (const s of [...COMMON, ...(EXTRA[id] ?? [])]) names.push(`AUTH_OAUTH_${id.toUpperCase()}_${s}`);
  }
  return names;
}

const envKey = (name: string) => name.toUpperCase().replace(/-/g, '_');

function url(raw: string | undefined, variable: string, problems: string[]): string | undefined {
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

function scopes(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw.split(/[\s,]+/).filter(Boolean);
}

/**
 * The providers the environment turns on, with problems (a client id without its secret,
 * Apple without its key, an unknown OIDC name) appended to `problems`.
 */
export function readOAuthProviders(env: Record<string, string | undefined>, problems: string[]): OAuthProviderSettings[] {
  const out: OAuthProviderSettings[] = [];
  const get = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v;
  };
  for (const id of OAUTH_PROVIDER_IDS) {
    const p = `AUTH_OAUTH_${id.toUpperCase()}_`;
    const clientId = get(`${p}CLIENT_ID`)?.trim();
    if (!clientId) {
      for (const s of [...COMMON, ...(EXTRA[id] ?? [])]) {
        if (s !== 'CLIENT_ID' && get(p + s)) problems.push(`${p + s}: set ${p}CLIENT_ID too (the provider is off without it)`);
      }
      continue;
    }
    const settings: OAuthProviderSettings = {
      name: id, kind: id, clientId, source: 'env',
      clientSecret: get(`${p}CLIENT_SECRET`),
      scopes: scopes(get(`${p}SCOPES`)),
      issuer: url(get(`${p}ISSUER`), `${p}ISSUER`, problems),
      authorizationUrl: url(get(`${p}AUTHORIZATION_URL`), `${p}AUTHORIZATION_URL`, problems),
      tokenUrl: url(get(`${p}TOKEN_URL`), `${p}TOKEN_URL`, problems),
      userinfoUrl: url(get(`${p}USERINFO_URL`), `${p}USERINFO_URL`, problems),
      jwksUrl: url(get(`${p}JWKS_URL`), `${p}JWKS_URL`, problems),
    };
    if (id === 'microsoft') settings.tenantId = get(`${p}TENANT_ID`)?.trim() ?? 'common';
    if (id === 'gitlab') settings.baseUrl = url(get(`${p}URL`), `${p}URL`, problems);
    if (id === 'github') settings.baseUrl = url(get(`${p}API_URL`), `${p}API_URL`, problems);
    if (id === 'apple') {
      settings.teamId = get(`${p}TEAM_ID`)?.trim();
      settings.keyId = get(`${p}KEY_ID`)?.trim();
      settings.privateKey = get(`${p}PRIVATE_KEY`)?.replace(/\\n/g, '\n');
      if (!settings.teamId || !settings.keyId || !settings.privateKey) problems.push(`${p}TEAM_ID, ${p}KEY_ID and ${p}PRIVATE_KEY: all three are required with ${p}CLIENT_ID (they sign the client secret)`);
      else if (!settings.privateKey.includes('BEGIN PRIVATE KEY')) problems.push(`${p}PRIVATE_KEY: expected the PKCS#8 PEM of the .p8 key (BEGIN PRIVATE KEY)`);
    } else if (!settings.clientSecret) {
      problems.push(`${p}CLIENT_SECRET: required with ${p}CLIENT_ID`);
    }
    if (settings.tenantId !== undefined && !/^[A-Za-z0-9.-]{1,100}$/.test(settings.tenantId)) problems.push(`${p}TENANT_ID: expected common, organizations, consumers, a tenant id or a domain`);
    out.push(settings);
  }
  const listed = (get('AUTH_OIDC_PROVIDERS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of listed) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) {
      problems.push(`AUTH_OIDC_PROVIDERS: "${name.slice(0, 40)}" is not a valid name (lower-case letters, digits and -, starting with a letter)`);
      continue;
    }
    if ((OAUTH_PROVIDER_IDS as readonly string[]).includes(name)) {
      problems.push(`AUTH_OIDC_PROVIDERS: "${name}" is the name of a built-in provider; choose another`);
      continue;
    }
    const p = `AUTH_OIDC_${envKey(name)}_`;
    const issuer = url(get(`${p}ISSUER`), `${p}ISSUER`, problems);
    const clientId = get(`${p}CLIENT_ID`)?.trim();
    if (!issuer) problems.push(`${p}ISSUER: required for the OIDC provider "${name}" (its discovery document is read from <issuer>/.well-known/openid-configuration)`);
    if (!clientId) problems.push(`${p}CLIENT_ID: required for the OIDC provider "${name}"`);
    if (!issuer || !clientId) continue;
    out.push({ name, kind: 'oidc', issuer, clientId, clientSecret: get(`${p}CLIENT_SECRET`), scopes: scopes(get(`${p}SCOPES`)), displayName: get(`${p}DISPLAY_NAME`)?.trim(), source: 'env' });
  }
  return out;
}

/** The settings variables of a generic OIDC provider, for docs. */
export const OIDC_SETTING_NAMES = OIDC_SETTINGS;
