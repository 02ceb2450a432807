// Access tokens: what they claim and how they are checked. Signature and expiry are
// checked here; whether the session is still active is the caller's second step.
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import { signJwt, verifyJwt, type JwtPayload } from './jwt.ts';
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
}

export interface AccessClaims extends JwtPayload {
  sub: string;
  sid: string;
  iat: number;
  exp: number;
  iss: string;
  email: string;
  username: string;
  role: string;
  /** How the user authenticated (RFC 8176 values). */
  amr?: string[];
  /** Assurance level: `aal2` when a second factor was used. */
  aal?: 'aal1' | 'aal2';
}

export interface TokenSubject {
  id: string;
  email: string;
  username: string;
  role: string;
}

export function createTokensService(deps: TokensServiceDeps) {
  const { keys, clock } = deps;

  function issueAccessToken(user: TokenSubject, sessionId: string, amr: string[] = ['pwd']): { accessToken: string; expiresAt: number } {
    const iat = Math.floor(clock.now() / 1000);
    const exp = iat + deps.accessTokenExpiry;
    const claims: AccessClaims = {
      sub: user.id, sid: sessionId, iat, exp, iss: deps.issuer, email: user.email, username: user.username, role: user.role,
      amr, aal: assuranceLevel(amr),
    };
    if (deps.audience) claims.aud = deps.audience;
    if (deps.hasuraClaims) {
      claims[HASURA_NAMESPACE] = { 'x-hasura-allowed-roles': [user.role], 'x-hasura-default-role': user.role, 'x-hasura-user-id': user.id };
    }
    return { accessToken: signJwt(claims, keys.signingKey()), expiresAt: exp };
  }

  // Tokens already verified, until their expiry: a client presents the same token many
  // times, and the signature check is the costliest step of a bearer check. Only tokens
  // that passed verification enter; the key is the whole token, so any change misses.
  const verified = new Map<string, AccessClaims>();
  const VERIFIED_MAX = 10_000;

  /** Verifies signature, algorithm, issuer and expiry; throws invalid_token or token_expired. */
  async function verifyAccessToken(token: string): Promise<AccessClaims> {
    const cached = verified.get(token);
    if (cached) {
      if (cached.exp * 1000 > clock.now() && cached.iat * 1000 <= clock.now() + 60_000) return cached;
      verified.delete(token);
    }
    const claims = await verifyUncached(token);
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(token, claims);
    return claims;
  }

  async function verifyUncached(token: string): Promise<AccessClaims> {
    const opts = { resolveKey: keys.resolve, nowSeconds: Math.floor(clock.now() / 1000), issuer: deps.issuer, audience: deps.audience };
    let result = verifyJwt(token, opts);
    if (!result.ok && result.reason === 'bad_signature') {
      // A key rotated in by another instance is picked up without a restart.
      const kid = headerKid(token);
      if (await keys.reloadIfUnknown(kid)) result = verifyJwt(token, opts);
    }
    if (!result.ok) throw new AppError(result.reason === 'expired' ? 'token_expired' : 'invalid_token');
    const p = result.payload;
    if (typeof p.sub !== 'string' || typeof p.sid !== 'string') throw new AppError('invalid_token');
    return p as AccessClaims;
  }

  return { issueAccessToken, verifyAccessToken, jwks: keys.jwks };
}

function headerKid(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }).kid;
  } catch {
    return undefined;
  }
}

export type TokensService = ReturnType<typeof createTokensService>;
