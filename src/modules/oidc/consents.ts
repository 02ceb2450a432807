// The consents a user gave to applications (per client and scope set), listed and
// withdrawn from the account page. Withdrawing ends the application's grants too.
import { AppError } from '../../core/errors/index.ts';
import { liveGrantsOf } from './grants.ts';
import * as repo from './oidc.repo.ts';
import type { ProviderDeps } from './provider-deps.ts';

export interface PresentedConsent { clientId: string; name: string; logoUrl: string | null; scopes: string[]; grantedAt: string }

export function createConsents(deps: ProviderDeps) {
  const { db, sessions, audit } = deps;

  async function list(userId: string): Promise<PresentedConsent[]> {
    return (await repo.listConsents(db, userId)).map((c) => ({ clientId: c.client_id, name: c.name, logoUrl: c.logo_url, scopes: c.scopes, grantedAt: c.granted_at.toISOString() }));
  }

  async function revoke(userId: string, clientId: string): Promise<void> {
    const grants = await liveGrantsOf(db, userId, clientId);
    const removed = await db.transaction().execute(async (trx) => {
      const removed = await repo.deleteConsent(trx, userId, clientId);
      if (removed) await audit(trx, { type: 'oidc.consent_revoked', subject: userId, actor: { type: 'user', id: userId }, details: { clientId, grantIds: grants.map((g) => g.session_id) } });
      return removed;
    });
    if (!removed) throw new AppError('oidc_consent_not_found');
    for (const g of grants) await sessions.revoke(g.session_id, 'consent_revoked');
  }

  return { list, revoke };
}
