// The claims of ID tokens and UserInfo answers: `sub` always, then the claims of each
// granted scope (OpenID Connect Core 5.4): `profile` gives the username and locale, `email`
// the address and whether it is verified.
import type { UserRow } from '../users/index.ts';

export function scopedClaims(user: UserRow, scopes: string[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id };
  if (scopes.includes('profile')) {
    claims.preferred_username = user.username;
    claims.name = user.username;
    claims.locale = user.locale;
    claims.updated_at = Math.floor(user.updated_at.getTime() / 1000);
  }
  if (scopes.includes('email') && user.email !== null) {
    claims.email = user.email;
    claims.email_verified = user.email_verified;
  }
  return claims;
}

/** The `acr` of a session: Tessera's assurance levels (`aal2` with a second factor). */
export const ACR_VALUES = ['aal1', 'aal2'] as const;
