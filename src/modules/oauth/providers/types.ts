// The shape of a social sign-in provider adapter: its name and display name, its own
// environment settings, its endpoints, default scopes, how it authenticates at the token
// endpoint, and how its profile maps to an identity.
import type { OAuthProviderSettings } from '../../../core/config/index.ts';

/** What Tessera keeps of a provider's user. */
export interface Profile {
  /** The provider's stable id of the user. */
  id: string;
  email: string | null;
  /** Whether the provider asserts that the user controls `email`. */
  emailVerified: boolean;
  name: string | null;
  avatarUrl: string | null;
  /** The provider's profile as given (no tokens), kept on the identity. */
  raw: Record<string, unknown>;
}

export interface Endpoints {
  issuer?: string | undefined;
  authorization: string;
  token: string;
  userinfo?: string | undefined;
  jwks?: string | undefined;
}

export interface ProfileInput {
  /** The validated ID token's claims (OIDC providers). */
  claims: Record<string, unknown> | undefined;
  accessToken: string;
  /** GET a JSON resource of the provider with the user's access token. */
  get(url: string, headers?: Record<string, string>): Promise<unknown>;
  settings: OAuthProviderSettings;
  endpoints: Endpoints;
  /** Extra fields of the callback (Apple's `user` on the first sign-in). */
  callback: Record<string, string>;
}

/**
 * A provider's own environment settings, `AUTH_OAUTH_<PROVIDER>_<SETTING>`, beside the
 * ones every provider reads (OAUTH_COMMON_SETTINGS in core/config/oauth.ts).
 */
export interface ProviderEnv {
  /** The setting names (`TENANT_ID`), documented in docs/configuration.md. */
  settings: readonly string[];
  /** Fills `settings` from them once the client id is set; each problem names its variable. */
  read(from: ProviderEnvReader, settings: OAuthProviderSettings): void;
}

export interface ProviderEnvReader {
  /** A setting's value; undefined when unset or blank. */
  get(setting: string): string | undefined;
  /** A setting's variable name (`AUTH_OAUTH_MICROSOFT_TENANT_ID`). */
  variable(setting: string): string;
  /** An http(s) URL setting; a problem otherwise. */
  url(setting: string): string | undefined;
  problem(message: string): void;
}

export interface ProviderAdapter<Kind extends string = string> {
  /** The name in URLs and in its variables (`AUTH_OAUTH_<KIND>_*`). */
  kind: Kind;
  displayName: string;
  env?: ProviderEnv;
  /** OpenID Connect: an ID token is expected and validated, and a nonce is sent. */
  oidc: boolean;
  /** PKCE (S256) is sent. */
  pkce: boolean;
  scopes: string[];
  /**
   * The endpoints, or an issuer whose discovery document gives them. Settings override
   * either (ISSUER switches to discovery; *_URL replace one endpoint).
   */
  endpoints(settings: OAuthProviderSettings): Endpoints | { discover: string };
  /** How the client authenticates at the token endpoint (default: client_secret_post). */
  tokenAuth?: 'client_secret_post' | 'client_secret_basic';
  /** Extra parameters of the authorization request. */
  authParams?: Record<string, string>;
  /** Apple answers with a form POST to the callback. */
  responseMode?: 'form_post';
  /** A client secret computed at each use (Apple's signed JWT) instead of a configured one. */
  clientSecret?(settings: OAuthProviderSettings, nowSeconds: number): Promise<string>;
  profile(input: ProfileInput): Promise<Profile>;
}

export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** `true`, or the string "true" some providers send. */
export const truthy = (v: unknown): boolean => v === true || v === 'true';

/** The profile of an OIDC provider from its claims and userinfo (userinfo wins where both say something). */
export async function oidcProfile(input: ProfileInput, opts: { emailVerified?: (c: Record<string, unknown>) => boolean } = {}): Promise<Profile> {
  const info = input.endpoints.userinfo ? ((await input.get(input.endpoints.userinfo)) as Record<string, unknown>) : {};
  const c: Record<string, unknown> = { ...(input.claims ?? {}), ...info };
  const sub = str(input.claims?.sub ?? c.sub);
  if (!sub) throw new Error('the provider gave no subject');
  if (input.claims?.sub && info.sub && info.sub !== input.claims.sub) throw new Error('userinfo is for another subject');
  const name = str(c.name) ?? ([str(c.given_name), str(c.family_name)].filter(Boolean).join(' ') || null) ?? str(c.preferred_username);
  return {
    id: sub,
    email: str(c.email),
    emailVerified: str(c.email) !== null && (opts.emailVerified ? opts.emailVerified(c) : truthy(c.email_verified)),
    name: name || str(c.preferred_username),
    avatarUrl: str(c.picture),
    raw: c,
  };
}
