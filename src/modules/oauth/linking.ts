// Identities added, removed and moved outside a sign-in: a user unlinking a provider (never
// the account's last way to sign in), and administrators linking, unlinking and merging.
import { randomUUID } from 'node:crypto';
import { AppError } from '../../core/errors/index.ts';
import { normalizeEmail } from '../users/index.ts';
import { presentIdentity } from './identities.ts';
import type { OAuthServiceDeps } from './oauth-deps.ts';
import * as repo from './oauth.repo.ts';
import type { IdentityRow } from './oauth.table.ts';

/**
 * Before an identity is unlinked: its stored provider tokens are revoked at the provider
 * when it offers revocation (best effort); the entry to record, or undefined when the
 * vault held none for it.
 */
async function forgetTokens(deps: OAuthServiceDeps, identity: IdentityRow): Promise<Record<string, unknown> | undefined> {
  if (!identity.access_token_encrypted && !identity.refresh_token_encrypted) return undefined;
  const atProvider = await deps.vault.revokeAtProvider(identity);
  return { provider: identity.provider, identityId: identity.id, atProvider };
}

/** Unlinks a provider, unless it is the account's last way to sign in. */
export async function unlink(deps: OAuthServiceDeps, userId: string, provider: string): Promise<void> {
  const { db, users, audit } = deps;
  const user = await users.findById(userId);
  if (!user) throw new AppError('unauthorized');
  const all = await repo.identitiesOf(db, userId);
  if (!all.some((i) => i.provider === provider)) throw new AppError('identity_not_found');
  if (!user.password_hash && all.length === 1 && (await deps.passkeyCount(userId)) === 0) throw new AppError('last_sign_in_method');
  const revoked = await forgetTokens(deps, all.find((i) => i.provider === provider)!);
  await db.transaction().execute(async (trx) => {
    await repo.deleteIdentity(trx, userId, provider);
    await audit(trx, { type: 'oauth.identity_unlinked', subject: userId, details: { provider }, user: await users.findById(userId, trx) });
    if (revoked) await audit(trx, { type: 'oauth.provider_tokens_revoked', subject: userId, details: revoked });
  });
}

/** What an administrator's entries carry besides: the command line's `bypass` of the rule of acting on a user. */
export interface AdminMarks { bypass?: 'cli_operator' }

/** Administrators: unlinks a provider; `force` allows taking the account's last sign-in method. */
export async function unlinkByAdmin(deps: OAuthServiceDeps, userId: string, provider: string, force: boolean, marks: AdminMarks = {}): Promise<void> {
  const { db, users, audit } = deps;
  const user = await users.findById(userId);
  if (!user) throw new AppError('not_found');
  const all = await repo.identitiesOf(db, userId);
  if (!all.some((i) => i.provider === provider)) throw new AppError('identity_not_found');
  if (!force && !user.password_hash && all.length === 1 && (await deps.passkeyCount(userId)) === 0) throw new AppError('last_sign_in_method');
  const revoked = await forgetTokens(deps, all.find((i) => i.provider === provider)!);
  await db.transaction().execute(async (trx) => {
    await repo.deleteIdentity(trx, userId, provider);
    await audit(trx, { type: 'oauth.identity_unlinked', subject: userId, details: { provider, byAdministrator: true, ...marks }, user: await users.findById(userId, trx) });
    if (revoked) await audit(trx, { type: 'oauth.provider_tokens_revoked', subject: userId, details: { ...revoked, byAdministrator: true, ...marks } });
  });
}

/** Administrators: links a provider account to a user (no tokens; the next sign-in with it brings them). */
export async function linkByAdmin(deps: OAuthServiceDeps, userId: string, provider: string, providerUserId: string, profile: { email?: string | undefined; name?: string | undefined }, marks: AdminMarks = {}) {
  const { db, clock, users, audit } = deps;
  const user = await users.findById(userId);
  if (!user) throw new AppError('not_found');
  const now = new Date(clock.now());
  await db.transaction().execute(async (trx) => {
    const holder = await repo.findIdentity(trx, provider, providerUserId);
    if (holder) throw new AppError(holder.user_id === userId ? 'provider_already_linked' : 'identity_already_linked');
    if (await repo.identityOf(trx, userId, provider)) throw new AppError('provider_already_linked');
    await repo.insertIdentity(trx, {
      id: randomUUID(), user_id: userId, provider, provider_user_id: providerUserId, email: profile.email ? normalizeEmail(profile.email) : null,
      email_verified: false, name: profile.name ?? null, avatar_url: null, profile: JSON.stringify({ linkedByAdministrator: true }) as never, scopes: [],
      refresh_attempts: 0, needs_reconsent: false, created_at: now, updated_at: now,
    });
    await audit(trx, { type: 'oauth.identity_linked', subject: userId, details: { provider, byAdministrator: true, ...marks }, user });
  });
  return (await repo.identitiesOf(db, userId)).map(presentIdentity);
}

/** Administrators: moves every identity of `fromUserId` to `intoUserId`. */
export async function merge(deps: OAuthServiceDeps, intoUserId: string, fromUserId: string): Promise<{ moved: string[] }> {
  const { db, clock, users, audit } = deps;
  if (intoUserId === fromUserId) throw new AppError('validation_failed', { message: 'Both users are the same' });
  const [into, from] = await Promise.all([users.findById(intoUserId), users.findById(fromUserId)]);
  if (!into || !from) throw new AppError('not_found');
  return db.transaction().execute(async (trx) => {
    const theirs = await repo.identitiesOf(trx, fromUserId);
    const mine = new Set((await repo.identitiesOf(trx, intoUserId)).map((i) => i.provider));
    const clash = theirs.filter((i) => mine.has(i.provider)).map((i) => i.provider);
    if (clash.length) throw new AppError('provider_already_linked', { message: `Both users have an identity of ${clash.join(', ')}` });
    const now = new Date(clock.now());
    for (const i of theirs) await repo.updateIdentity(trx, i.id, { user_id: intoUserId, updated_at: now });
    const moved = theirs.map((i) => i.provider);
    await audit(trx, { type: 'oauth.identities_merged', subject: intoUserId, details: { fromUserId, providers: moved }, user: into });
    return { moved };
  });
}
