import type { ColumnType, Generated, Selectable } from 'kysely';

export interface UserIdentitiesTable {
  id: string;
  user_id: string;
  /** The provider's name in URLs (`google`, or a generic OIDC provider's name). */
  provider: string;
  /** The provider's stable id of the user (`sub`, GitHub's numeric id, ...). */
  provider_user_id: string;
  email: string | null;
  email_verified: boolean;
  name: string | null;
  avatar_url: string | null;
  /** The profile as the provider gave it (no tokens). */
  profile: Record<string, unknown>;
  /** Provider tokens, sealed with AUTH_ENCRYPTION_KEY (`v1.<key id>....`). */
  access_token_encrypted: string | null;
  refresh_token_encrypted: string | null;
  id_token_encrypted: string | null;
  token_type: string | null;
  scopes: string[];
  access_token_expires_at: Date | null;
  /** When the worker should refresh the access token (null: nothing to refresh). */
  refresh_due_at: Date | null;
  refresh_attempts: number;
  /** A worker holds the refresh until then. */
  refresh_locked_until: Date | null;
  last_refresh_error: string | null;
  last_refreshed_at: Date | null;
  /** Every refresh failed: the user must sign in with the provider again. */
  needs_reconsent: boolean;
  created_at: Date;
  updated_at: Date;
  last_sign_in_at: Date | null;
}

export interface OAuthStatesTable {
  /** SHA-256 of the state sent to the provider. */
  state_hash: Buffer;
  provider: string;
  /**
   * SHA-256 of the secret the state is bound to: the browser-binding cookie set with the
   * redirect (browser starts), or the app's PKCE code verifier, i.e. its S256 challenge
   * decoded (native starts, `client` = `native`; see native.ts).
   */
  browser_hash: Buffer | null;
  code_verifier_encrypted: string | null;
  nonce: string | null;
  /** Where the browser goes afterwards (browser starts), or the app's redirect URI sent to the provider (native starts). */
  redirect_to: string;
  /** Set when a signed-in user links the provider. */
  link_user_id: string | null;
  client: string;
  created_at: Date;
  expires_at: Date;
}

export interface OAuthProvidersTable {
  name: string;
  kind: string;
  client_id: string;
  client_secret_encrypted: string | null;
  private_key_encrypted: string | null;
  /** Scopes, endpoint overrides, tenant, team and key ids, display name. */
  settings: Record<string, unknown>;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

export type IdentityRow = Selectable<UserIdentitiesTable>;
export type OAuthStateRow = Selectable<OAuthStatesTable>;
export type OAuthProviderRow = Selectable<OAuthProvidersTable>;

/** One error of a refresh run, as `tessera oauth refresh status` shows it. */
export interface RefreshRunError { provider: string; identityId: string; error: string }

/** The refresh worker's last run that had work (one row, any instance's). */
export interface OAuthRefreshRunsTable {
  id: Generated<number>;
  started_at: Date;
  finished_at: Date;
  refreshed: number;
  failed: number;
  errors: ColumnType<RefreshRunError[], string, string>;
}
