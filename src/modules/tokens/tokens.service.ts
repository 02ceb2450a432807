// Access tokens: what they claim and how they are checked. Signature and expiry are
// checked here; whether the session is still active is the caller's second step.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import { signJwt, signJwtAsync, verifyJwt, type JwtPayload } from './jwt.ts';
import type { KeyStore } from './keys.service.ts';

export const HASURA_NAMESPACE = 'https://hasura.io/jwt/claims';

/** Methods that are a second factor (a possession or a one-time secret beside a password). */
const SECOND_FACTORS = new Set(['otp', 'sms', 'email', 'recovery', 'hwk', 'mfa']);

/** `aal2` when a password was backed by a second factor, or a factor stands alone with another. */
export function assuranceLevel(amr: string[]): 'aal1' | 'aal2' {
  return amr.filter((m) => SECOND_FACTORS.has(m)).length >= 1 && amr.length >= 2 ? 'aal2' : 'aal1';
}

export interface TokensServiceDeps {
  keys: KeyStore;
  clock: Clock;
  issuer: string;
  audience?: string | undefined;
  accessTokenExpiry: number;
  hasuraClaims: boolean;
  /** Adds the flattened `permissions` list to user tokens (AUTH_JWT_INCLUDE_PERMISSIONS). */
  includePermissions: boolean;
  /** Adds the organization role (`org.<role>`) to the Hasura allowed roles (AUTH_JWT_HASURA_ORG_ROLE). */
  hasuraOrgRole?: boolean;
}

/** The session's active organization, as an access token carries it. */
export interface TokenOrganization {
  id: string;
  slug: string;
  role: string;
  permissions: string[];
}

export interface AccessClaims extends JwtPayload {
  sub: string;
  sid: string;
  iat: number;
  exp: number;
  iss: string;
  /** Absent for an account without an address (AUTH_EMAIL_REQUIRED=false). */
  email?: string;
  username: string;
  role: string;
  /** Every role of the user, the default one first. */
  roles?: string[];
  /** Effective permissions, with AUTH_JWT_INCLUDE_PERMISSIONS. */
  permissions?: string[];
  /** How the user authenticated (RFC 8176 values). */
  amr?: string[];
  /** Assurance level: `aal2` when a second factor was used. */
  aal?: 'aal1' | 'aal2';
  /** The session's active organization, its slug, the user's role in it and that role's permissions. */
  org_id?: string;
  org_slug?: string;
  org_role?: string;
  org_permissions?: string[];
}

/** A service account's token (client credentials): no session, no user. */
export interface ClientClaims extends JwtPayload {
  sub: string;
  client_id: string;
  scope: string;
  permissions: string[];
  iat: number;
  exp: number;
  iss: string;
  jti: string;
}

export type VerifiedToken = { kind: 'user'; claims: AccessClaims } | { kind: 'client'; claims: ClientClaims };

export interface TokenSubject {
  id: string;
  email: string | null;
  username: string;
  role: string;
  /** The user's metadata (given to the custom-claims hook; never put in the token as such). */
  metadata?: Record<string, unknown>;
}

export function createTokensService(deps: TokensServiceDeps) {
  const { keys, clock } = deps;

  /**
   * The claims of a user's access token, not yet signed. `access` carries the user's roles
   * (default first) and effective permissions; without it the token names the default
   * role only. Apart from signing, so that a hook can add claims in between.
   */
  function accessClaims(user: TokenSubject, sessionId: string, amr: string[] = ['pwd'], access?: { roles: string[]; permissions: string[] }, org?: TokenOrganization | null): AccessClaims {
    const iat = Math.floor(clock.now() / 1000);
    const exp = iat + deps.accessTokenExpiry;
    const roles = access?.roles.length ? [user.role, ...access.roles.filter((r) => r !== user.role)] : [user.role];
    const claims: AccessClaims = {
      sub: user.id, sid: sessionId, iat, exp, iss: deps.issuer, ...(user.email !== null ? { email: user.email } : {}), username: user.username, role: user.role, roles,
      amr, aal: assuranceLevel(amr),
    };
    if (deps.includePermissions) claims.permissions = access?.permissions ?? [];
    if (org) Object.assign(claims, { org_id: org.id, org_slug: org.slug, org_role: org.role, org_permissions: org.permissions });
    if (deps.audience) claims.aud = deps.audience;
    if (deps.hasuraClaims) {
      const allowed = org && deps.hasuraOrgRole ? [...roles, `org.${org.role}`] : roles;
      claims[HASURA_NAMESPACE] = {
        'x-hasura-allowed-roles': allowed, 'x-hasura-default-role': user.role, 'x-hasura-user-id': user.id,
        ...(org ? { 'x-hasura-org-id': org.id, 'x-hasura-org-role': org.role } : {}),
      };
    }
    return claims;
  }

  /** Signs the claims of `accessClaims` (as completed by the custom-claims hook, if any). */
  async function signAccessClaims(claims: AccessClaims): Promise<{ accessToken: string; expiresAt: number }> {
    return { accessToken: await signJwtAsync(claims, keys.signingKey()), expiresAt: claims.exp };
  }

  /**
   * The claims signed now, when the key's algorithm signs inline (everything but RS256,
   * see signJwtAsync); undefined sends the caller to signAccessClaims.
   */
  function signAccessClaimsNow(claims: AccessClaims): string | undefined {
    const key = keys.signingKey();
    return key.alg === 'RS256' ? undefined : signJwt(claims, key);
  }

  /** A user's access token: `accessClaims`, signed. */
  function issueAccessToken(user: TokenSubject, sessionId: string, amr: string[] = ['pwd'], access?: { roles: string[]; permissions: string[] }): Promise<{ accessToken: string; expiresAt: number }> {
    return signAccessClaims(accessClaims(user, sessionId, amr, access));
  }

  /** A service account's token (client credentials), valid `expiresIn` seconds. */
  function issueClientToken(client: { id: string; clientId: string }, permissions: string[], expiresIn: number): Promise<{ accessToken: string; expiresAt: number }> {
    const iat = Math.floor(clock.now() / 1000);
    const claims: ClientClaims = {
      sub: client.id, client_id: client.clientId, scope: permissions.join(' '), permissions, iat, exp: iat + expiresIn, iss: deps.issuer, jti: randomUUID(),
    };
    if (deps.audience) claims.aud = deps.audience;
    return signJwtAsync(claims, keys.signingKey()).then((accessToken) => ({ accessToken, expiresAt: claims.exp }));
  }

  /**
   * Signs an OpenID Connect ID token or logout token with the current signing key (the
   * JWKS publishes it). Only the sign-in gate calls it, as it does for access tokens.
   */
  function signIdToken(claims: JwtPayload): Promise<string> {
    return signJwtAsync(claims, keys.signingKey());
  }

  // Tokens already verified, until their expiry: a client presents the same token many
  // times, and the signature check is the costliest step of a bearer check. Only tokens
  // that passed verification enter; the key is the whole token, so any change misses.
  const verified = new Map<string, JwtPayload & { exp: number; iat: number }>();
  const VERIFIED_MAX = 10_000;

  /** Verifies signature, algorithm, issuer and expiry of a user's token; throws invalid_token or token_expired. */
  async function verifyAccessToken(token: string): Promise<AccessClaims> {
    const v = await verifyAnyToken(token);
    if (v.kind !== 'user') throw new AppError('invalid_token');
    return v.claims;
  }

  /** The claims of a token verified before and still within its lifetime, or undefined. */
  function alreadyVerified(token: string) {
    const claims = verified.get(token);
    if (claims === undefined) return undefined;
    const now = clock.now();
    if (claims.exp * 1000 > now && claims.iat * 1000 <= now + 60_000) return claims;
    verified.delete(token);
    return undefined;
  }

  /**
   * A user's token whose signature this instance has already verified, and which has not
   * expired since: its claims, without a promise. undefined means "ask verifyAccessToken",
   * which decides every other case (first sight, expiry, service tokens, forgeries).
   */
  function verifiedAccessClaims(token: string): AccessClaims | undefined {
    const claims = alreadyVerified(token);
    return claims !== undefined && typeof claims.sid === 'string' ? (claims as AccessClaims) : undefined;
  }

  /** Verifies a user's or a service account's token and tells which it is. */
  async function verifyAnyToken(token: string): Promise<VerifiedToken> {
    let claims = alreadyVerified(token);
    if (!claims) {
      claims = await verifyUncached(token);
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
      verified.set(token, claims);
    }
    if (typeof claims.sid === 'string') return { kind: 'user', claims: claims as AccessClaims };
    return { kind: 'client', claims: claims as ClientClaims };
  }

  async function verifyUncached(token: string): Promise<JwtPayload & { exp: number; iat: number }> {
    const opts = { resolveKey: keys.resolve, nowSeconds: Math.floor(clock.now() / 1000), issuer: deps.issuer, audience: deps.audience };
    let result = verifyJwt(token, opts);
    if (!result.ok && result.reason === 'bad_signature') {
      // A key rotated in by another instance is picked up without a restart.
      const kid = headerKid(token);
      if (await keys.reloadIfUnknown(kid)) result = verifyJwt(token, opts);
    }
    if (!result.ok) throw new AppError(result.reason === 'expired' ? 'token_expired' : 'invalid_token');
    const p = result.payload;
    if (typeof p.sub !== 'string') throw new AppError('invalid_token');
    // A user's token names its session; a client's names its client id and scope.
    const userToken = typeof p.sid === 'string';
    const clientToken = p.sid === undefined && typeof p.client_id === 'string' && typeof p.scope === 'string';
    if (!userToken && !clientToken) throw new AppError('invalid_token');
    return p as JwtPayload & { exp: number; iat: number };
  }

  return { accessClaims, signAccessClaims, signAccessClaimsNow, issueAccessToken, signIdToken, issueClientToken, verifyAccessToken, verifiedAccessClaims, verifyAnyToken, jwks: keys.jwks };
}

function headerKid(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid;
  } catch {
    return undefined;
  }
}

export type TokensService = ReturnType<typeof createTokensService>;
