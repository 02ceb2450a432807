// A user's provider identities as their owner and administrators see them, and the
// provider access token an identity holds in the vault.
import { AppError } from '../../core/errors/index.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import type { IdentityRow } from './oauth.table.ts';

/** An identity as its owner sees it (no tokens). */
export function presentIdentity(i: IdentityRow) {
  return {
    provider: i.provider, email: i.email, emailVerified: i.email_verified, name: i.name, avatarUrl: i.avatar_url,
    scopes: i.scopes, hasProviderToken: i.access_token_encrypted !== null, needsReconsent: i.needs_reconsent,
    createdAt: i.created_at.toISOString(), lastSignInAt: i.last_sign_in_at?.toISOString() ?? null,
  };
}

/** A user's identities, as their owner sees them. */
export async function identities(deps: OAuthServiceDeps, userId: string) {
  return (await repo.identitiesOf(deps.db, userId)).map(presentIdentity);
}

/** How many identities a user has (for the other modules' last-method rules). */
export async function countIdentities(deps: OAuthServiceDeps, userId: string) {
  return (await repo.identitiesOf(deps.db, userId)).length;
}

/** Administrators: a user's identities. */
export async function identitiesForAdmin(deps: OAuthServiceDeps, userId: string) {
  if (!(await deps.users.findById(userId))) throw new AppError('not_found');
  return (await repo.identitiesOf(deps.db, userId)).map((i) => ({ ...presentIdentity(i), id: i.id, providerUserId: i.provider_user_id, lastRefreshError: i.last_refresh_error, accessTokenExpiresAt: i.access_token_expires_at?.toISOString() ?? null }));
}

/** A valid provider access token of the user's identity (refreshed when needed). */
export async function providerToken(deps: OAuthServiceDeps, userId: string, provider: string) {
  const identity = await repo.identityOf(deps.db, userId, provider);
  if (!identity) throw new AppError('identity_not_found');
  const t = await deps.vault.accessToken(deps.db, identity);
  return { provider, accessToken: t.accessToken, tokenType: t.tokenType, expiresAt: t.expiresAt?.toISOString() ?? null, scopes: t.scopes };
}
