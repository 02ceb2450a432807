// RFC 7662 introspection of a service account's token (client credentials) for
// POST /auth/introspect. A user's token is not this module's: the answer is then
// `undefined` and the caller asks the auth module. The account's state decides exactly as
// on Tessera's own routes (authenticateToken): a disabled or deleted account's tokens are
// inactive at once, and the scope reported is what the token can still do now.
import { AppError } from '../../core/errors/index.ts';
import type { ClientClaims, VerifiedToken } from '../tokens/index.ts';
import type { ServiceAuth } from './service-accounts.service.ts';

export type ServiceTokenIntrospection =
  | { active: false }
  | {
    active: true; token_type: 'Bearer'; client_id: string; scope: string; sub: string; exp: number; iat: number;
    iss?: string; aud?: string | string[];
  };

export interface ServiceTokenIntrospectionDeps {
  /** Signature, algorithm, issuer, audience and expiry (tokens.verifyAnyToken). */
  verify: (token: string) => Promise<VerifiedToken>;
  /** The account's current state (serviceAccounts.authenticateToken); throws when unusable. */
  authenticate: (claims: ClientClaims) => Promise<ServiceAuth>;
}

/**
 * `(token) => introspection | undefined`: undefined when the token is not a service
 * account's (a user's JWT, a refresh token). A JWT that fails verification is inactive
 * whoever it claims to be, so it is answered here too.
 * @example (await introspectServiceToken(token)) ?? (await auth.introspect(token))
 */
export function createServiceTokenIntrospection(deps: ServiceTokenIntrospectionDeps) {
  return async function introspectServiceToken(token: string): Promise<ServiceTokenIntrospection | undefined> {
    // Refresh tokens never contain a dot; access tokens are three-part JWTs.
    if (token.split('.').length !== 3) return undefined;
    let verified: VerifiedToken;
    try {
      verified = await deps.verify(token);
    } catch (err) {
      if (err instanceof AppError) return { active: false };
      throw err;
    }
    if (verified.kind !== 'client') return undefined;
    const claims = verified.claims;
    let current: ServiceAuth;
    try {
      current = await deps.authenticate(claims);
    } catch (err) {
      if (err instanceof AppError) return { active: false };
      throw err;
    }
    return {
      active: true, token_type: 'Bearer', client_id: current.account.client_id, scope: current.permissions.join(' '),
      sub: claims.sub, exp: claims.exp, iat: claims.iat,
      ...(typeof claims.iss === 'string' ? { iss: claims.iss } : {}),
      ...(claims.aud !== undefined ? { aud: claims.aud } : {}),
    };
  };
}

export type IntrospectServiceToken = ReturnType<typeof createServiceTokenIntrospection>;
