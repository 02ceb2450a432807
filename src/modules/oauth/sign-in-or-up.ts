// The account a provider identity signs in to (its own, a link, or a new user), and the
// end of every social sign-in: a session from the sign-in gate, the only issuer of
// sessions (a second factor first when due), or the report of a link.
import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors/index.ts';
import type { SessionContext } from '../sessions/index.ts';
import { toPublicUser, type UserRow } from '../users/index.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import type { Profile } from './providers/index.ts';
import type { ResolvedProvider } from './registry.ts';
import type { ProviderTokens } from './vault.ts';

export interface Outcome {
  /** `signed_in` (a session), or `linked` (a signed-in user added the provider). */
  kind: 'signed_in' | 'linked';
  signedIn?: { accessToken: string; refreshToken: string; user: unknown };
  redirectTo: string;
  provider: string;
}

/** Identity columns from a profile and its tokens. */
function identityColumns(deps: OAuthServiceDeps, identityId: string, profile: Profile, tokens: ProviderTokens, p: ResolvedProvider) {
  const cols = deps.vault.tokenColumns(identityId, tokens, p.scopes);
  const now = new Date(deps.clock.now());
  return {
    ...cols,
    email: profile.email, email_verified: profile.emailVerified, name: profile.name?.slice(0, 200) ?? null, avatar_url: profile.avatarUrl?.slice(0, 2000) ?? null,
    profile: profile.raw, updated_at: now, last_sign_in_at: now, refresh_locked_until: null,
  };
}

type IdentityColumns = ReturnType<typeof identityColumns> & { refresh_due_at: Date | null };

/**
 * The user a provider identity signs in to, in order: the identity's user; the
 * signed-in user who links it; an existing user with the address (linked only when both
 * sides vouch for it); a new user.
 */
export async function resolveAccount(deps: OAuthServiceDeps, p: ResolvedProvider, profile: Profile, tokens: ProviderTokens, linkUserId: string | null): Promise<{ user: UserRow; linked: boolean }> {
  const { db, clock, vault, users, audit } = deps;
  const existing = await repo.findIdentity(db, p.name, profile.id);
  // Refresh tokens are not always sent again: keep the stored one.
  const hasRefresh = Boolean(tokens.refresh_token) || Boolean(existing?.refresh_token_encrypted);
  const withDue = (id: string): IdentityColumns => {
    const cols = identityColumns(deps, id, profile, tokens, p);
    return { ...cols, refresh_due_at: vault.dueAt(cols.access_token_expires_at, hasRefresh) };
  };

  if (linkUserId) {
    if (existing && existing.user_id !== linkUserId) throw new AppError('identity_already_linked');
    const user = await users.findById(linkUserId);
    if (!user || !user.is_active) throw new AppError('unauthorized');
    if (existing) {
      await repo.updateIdentity(db, existing.id, withDue(existing.id));
      return { user, linked: true };
    }
    await link(deps, user, p, profile, withDue, 'link');
    return { user, linked: true };
  }

  if (existing) {
    const user = await users.findById(existing.user_id);
    if (!user) throw new AppError('oauth_state_invalid');
    if (!user.is_active) throw new AppError('account_disabled');
    await repo.updateIdentity(db, existing.id, withDue(existing.id));
    return { user, linked: false };
  }

  const byEmail = profile.email ? await users.findByEmail(profile.email) : undefined;
  if (byEmail) {
    // Linking by address is safe only when the provider and this account both proved it.
    if (!(deps.autoLink && profile.emailVerified && byEmail.email_verified)) throw new AppError('account_exists_link_required');
    if (!byEmail.is_active) throw new AppError('account_disabled');
    await link(deps, byEmail, p, profile, withDue, 'email');
    return { user: byEmail, linked: false };
  }

  if (!profile.email) throw new AppError('oauth_email_required');
  await deps.beforeSignup?.({ method: 'oauth', provider: p.name, email: profile.email, username: null, locale: null });
  const user = await db.transaction().execute(async (trx) => {
    const created = await users.createFromEmail(trx, profile.email!, 'en', profile.emailVerified);
    const id = randomUUID();
    const now = new Date(clock.now());
    await repo.insertIdentity(trx, { id, user_id: created.id, provider: p.name, provider_user_id: profile.id, created_at: now, ...withDue(id), updated_at: now });
    await audit(trx, { type: 'user.registered', subject: created.id, details: { method: 'oauth', provider: p.name, role: created.role }, user: created });
    return created;
  });
  return { user, linked: false };
}

/** Adds the provider's identity to a user, refused when the user already has one of that provider. */
async function link(deps: OAuthServiceDeps, user: UserRow, p: ResolvedProvider, profile: Profile, columns: (id: string) => IdentityColumns, how: 'link' | 'email'): Promise<void> {
  const { db, clock, audit } = deps;
  await db.transaction().execute(async (trx) => {
    if (await repo.identityOf(trx, user.id, p.name)) throw new AppError('provider_already_linked');
    const id = randomUUID();
    const now = new Date(clock.now());
    try {
      await repo.insertIdentity(trx, { id, user_id: user.id, provider: p.name, provider_user_id: profile.id, created_at: now, ...columns(id), updated_at: now });
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AppError('identity_already_linked');
      throw err;
    }
    await audit(trx, { type: 'oauth.identity_linked', subject: user.id, details: { provider: p.name, how, email: profile.email }, user });
  });
}

/** Signs the account in (a second factor first when due), or reports the link. */
export async function finish(deps: OAuthServiceDeps, user: UserRow, linked: boolean, p: ResolvedProvider, ctx: Omit<SessionContext, 'amr'>, redirectTo: string): Promise<Outcome> {
  if (linked) return { kind: 'linked', redirectTo, provider: p.name };
  const signedIn = await deps.gate.complete({ user, method: 'oauth', amr: ['oauth'] }, ctx);
  return { kind: 'signed_in', signedIn: { ...signedIn, user: toPublicUser(user) }, redirectTo, provider: p.name };
}
