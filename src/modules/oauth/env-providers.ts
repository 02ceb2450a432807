// The providers the environment turns on. core/config collects every
// `AUTH_OAUTH_<PROVIDER>_<SETTING>` variable without knowing the providers; here they are
// checked against the provider files (providers/index.ts), at start-up, and a
// misconfiguration stops it with the variable's name, like any other configuration problem.
import { ConfigError, knownNames, oauthScopes, oauthUrl, unknownVariables, type Config } from '../../core/config/index.ts';
import { OAUTH_PROVIDER_IDS, PROVIDERS, settingsOf, type OAuthProviderSettings } from './providers/index.ts';

type OAuthConfig = Pick<Config, 'oauthEnv' | 'oauthProviders' | 'oidcProviders'>;

/**
 * The providers of the environment: the named ones, then the generic OIDC issuers; the
 * problems (a variable no provider has, a client id without its secret, Apple without its
 * key, an OIDC issuer under a provider's name) are appended to `problems`.
 */
export function readEnvProviders(config: OAuthConfig, problems: string[]): OAuthProviderSettings[] {
  const out: OAuthProviderSettings[] = [];
  // Variables of no provider, or settings the provider does not have: as unknown as any other.
  const strays: Record<string, string> = {};
  for (const [kind, values] of Object.entries(config.oauthEnv)) {
    const adapter = PROVIDERS.find((p) => p.kind === kind);
    for (const [setting, value] of Object.entries(values)) {
      if (!adapter || !settingsOf(adapter).includes(setting)) strays[`AUTH_OAUTH_${kind.toUpperCase()}_${setting}`] = value;
    }
  }
  unknownVariables(strays, knownNames(), () => false, problems);

  for (const adapter of PROVIDERS) {
    const given = config.oauthEnv[adapter.kind] ?? {};
    const p = `AUTH_OAUTH_${adapter.kind.toUpperCase()}_`;
    const get = (s: string) => {
      const v = given[s];
      return v === undefined || v.trim() === '' ? undefined : v;
    };
    const url = (s: string) => oauthUrl(get(s), p + s, problems);
    const clientId = get('CLIENT_ID')?.trim();
    if (!clientId) {
      for (const s of settingsOf(adapter)) {
        if (s !== 'CLIENT_ID' && get(s)) problems.push(`${p + s}: set ${p}CLIENT_ID too (the provider is off without it)`);
      }
      continue;
    }
    const settings: OAuthProviderSettings = {
      name: adapter.kind, kind: adapter.kind, clientId, source: 'env',
      clientSecret: get('CLIENT_SECRET'),
      scopes: oauthScopes(get('SCOPES')),
      issuer: url('ISSUER'),
      authorizationUrl: url('AUTHORIZATION_URL'),
      tokenUrl: url('TOKEN_URL'),
      userinfoUrl: url('USERINFO_URL'),
      jwksUrl: url('JWKS_URL'),
    };
    adapter.env?.read({ get, variable: (s) => p + s, url, problem: (m) => { problems.push(m); } }, settings);
    // A provider whose adapter signs its own client secret (Apple) has none to configure.
    if (!adapter.clientSecret && !settings.clientSecret) problems.push(`${p}CLIENT_SECRET: required with ${p}CLIENT_ID`);
    out.push(settings);
  }

  const builtIn = new Set<string>(OAUTH_PROVIDER_IDS);
  for (const name of config.oidcProviders) {
    if (builtIn.has(name)) problems.push(`AUTH_OIDC_PROVIDERS: "${name}" is the name of a built-in provider; choose another`);
  }
  out.push(...config.oauthProviders.filter((o) => !builtIn.has(o.name)));
  return out;
}

/** The providers of the environment; a ConfigError naming each variable at fault otherwise. */
export function envProviders(config: OAuthConfig): OAuthProviderSettings[] {
  const problems: string[] = [];
  const providers = readEnvProviders(config, problems);
  if (problems.length) throw new ConfigError(problems);
  return providers;
}
