import type { ColumnType, Selectable } from 'kysely';

export interface OidcClientsTable {
  id: string;
  client_id: string;
  name: string;
  logo_url: string | null;
  confidential: boolean;
  /** SHA-256 of the secret (confidential clients); the secret itself is shown once. */
  secret_hash: Buffer | null;
  secret_rotated_at: Date | null;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  allowed_scopes: string[];
  /** A client of the same organisation: no consent screen. */
  first_party: boolean;
  backchannel_logout_uri: string | null;
  active: boolean;
  created_at: Date;
  updated_at: Date;
}

/** What /oauth2/authorize checked, waiting for the browser's sign-in and consent. */
export interface AuthorizationParams {
  redirectUri: string;
  scopes: string[];
  state: string | null;
  nonce: string | null;
  codeChallenge: string;
  prompt: string[];
  maxAge: number | null;
  loginHint: string | null;
  acr: 'aal2' | null;
}

export interface OidcAuthRequestsTable {
  id_hash: Buffer;
  client_id: string;
  params: ColumnType<AuthorizationParams, string, string>;
  created_at: Date;
  expires_at: Date;
}

export interface OidcCodesTable {
  code_hash: Buffer;
  client_id: string;
  user_id: string;
  sso_session_id: string;
  /** The session the exchange starts (chosen beforehand, so that a reused code can end it). */
  grant_session_id: string;
  redirect_uri: string;
  code_challenge: string;
  nonce: string | null;
  scopes: string[];
  auth_time: Date;
  amr: string[];
  acr: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface OidcConsentsTable {
  user_id: string;
  client_id: string;
  scopes: string[];
  granted_at: Date;
}

export interface OidcGrantsTable {
  session_id: string;
  client_id: string;
  user_id: string;
  sso_session_id: string | null;
  scopes: string[];
  auth_time: Date;
  amr: string[];
  acr: string;
  created_at: Date;
  /** When the client was told (back-channel) that the grant ended: once, by one instance. */
  logout_notified_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type OidcClientRow = Selectable<OidcClientsTable>;
export type OidcCodeRow = Selectable<OidcCodesTable>;
export type OidcGrantRow = Selectable<OidcGrantsTable>;
export type OidcAuthRequestRow = Selectable<OidcAuthRequestsTable>;
