// Most events follow an audit entry: the same change, in the same transaction. This maps
// an entry to its events (none for most read-only or failed actions). Session ends come
// from the sessions module itself, which knows every session that ends.
import type { Db } from '../../database.ts';
import type { AuditEntry, KnownRows } from '../audit/index.ts';
import type { EventType } from './events.catalogue.ts';

interface Planned { type: EventType; subject: string; data: Record<string, unknown> }
type KnownUser = NonNullable<KnownRows['user']>;

const MFA = new Set(['mfa.factor_added', 'mfa.factor_removed', 'passkey.added', 'passkey.removed', 'user.mfa_reset']);
const ROLES = new Set(['user.role_assigned', 'user.role_removed', 'user.default_role_changed']);
const PASSWORD: Record<string, string> = { 'password.changed': 'changed', 'password.reset': 'reset', 'password.reset_forced': 'reset_forced' };

const viewOf = (u: KnownUser) => ({ id: u.id, username: u.username, email: u.email, emailVerified: u.email_verified, role: u.role, active: u.is_active, locale: u.locale, createdAt: u.created_at.toISOString() });

async function userView(on: Db, id: string) {
  const u = await on.selectFrom('users').select(['id', 'username', 'email', 'email_verified', 'role', 'is_active', 'locale', 'created_at']).where('id', '=', id).executeTakeFirst();
  return u && viewOf(u);
}

async function rolesView(on: Db, id: string) {
  const u = await on.selectFrom('users').select('role').where('id', '=', id).executeTakeFirst();
  const extra = (await on.selectFrom('user_roles').select('role').where('user_id', '=', id).execute()).map((r) => r.role);
  return u ? { role: u.role, roles: [u.role, ...extra.filter((r) => r !== u.role).sort()] } : undefined;
}

/**
 * The events of an entry when they need nothing from the database (a sign-in, a failed
 * one, a password or factor change...), so that they can join a batch of writes;
 * undefined when they carry a view of the user that must be read (eventsOfAudit).
 */
export function eventsOfAuditNow(e: AuditEntry, known: KnownRows = {}): Planned[] | undefined {
  const d = (e.details ?? {}) as Record<string, unknown>;
  const user = e.subject ?? undefined;
  switch (e.type) {
    case 'user.registered':
    case 'user.created':
      // The new account's row, when the caller holds it as it was inserted.
      if (!user || known.user?.id !== user) return undefined;
      return [{ type: 'user.created', subject: user, data: { user: viewOf(known.user), ...(e.type === 'user.created' ? { byAdministrator: true } : {}) } }];
    case 'user.updated':
    case 'user.disabled':
    case 'user.enabled':
    case 'email.changed':
    case 'username.changed':
    case 'oauth.identity_linked':
    case 'oauth.identity_unlinked':
    case 'oauth.identities_merged':
      return undefined;
    case 'user.deleted':
    case 'account.deleted':
      return user ? [{ type: 'user.deleted', subject: user, data: { byAdministrator: e.type === 'user.deleted' } }] : [];
    case 'email.verified':
      return user ? [{ type: 'user.email_verified', subject: user, data: {} }] : [];
    case 'user.login_failed':
      return user ? [{ type: 'user.login_failed', subject: user, data: { reason: e.reason ?? null, method: d.method ?? null } }] : [];
    case 'user.login_succeeded':
      return user && typeof d.sessionId === 'string' ? [{ type: 'session.created', subject: d.sessionId, data: { userId: user, client: d.client ?? null, amr: d.amr ?? [] } }] : [];
    case 'session.refresh_reused':
      return typeof d.sessionId === 'string' ? [{ type: 'session.refresh_reused', subject: d.sessionId, data: { userId: user ?? null } }] : [];
    case 'oidc.consent_granted':
      return user ? [{ type: 'consent.granted', subject: user, data: { clientId: d.clientId ?? null, scopes: d.scopes ?? [] } }] : [];
    case 'oidc.consent_revoked':
      return user ? [{ type: 'consent.revoked', subject: user, data: { clientId: d.clientId ?? null } }] : [];
    case 'oidc.token_issued':
      return typeof d.grantId === 'string' && d.grantType === 'authorization_code' ? [{ type: 'grant.issued', subject: d.grantId, data: { clientId: d.clientId ?? null, userId: user ?? null, scopes: d.scopes ?? [] } }] : [];
    case 'oidc.token_revoked':
    case 'oidc.grant_refused':
    case 'oidc.logout':
      return Array.isArray(d.grantIds) ? (d.grantIds as string[]).map((id) => ({ type: 'grant.revoked' as const, subject: id, data: { clientId: d.clientId ?? null, userId: user ?? null, reason: e.reason ?? e.type } })) : [];
    case 'service_account.updated':
      return typeof d.serviceAccountId === 'string' ? [{ type: 'identity.updated', subject: d.serviceAccountId, data: { changes: d.changes ?? {} } }] : [];
    case 'service_account.deleted':
      return typeof d.serviceAccountId === 'string' ? [{ type: 'identity.deleted', subject: d.serviceAccountId, data: { clientId: d.clientId ?? null } }] : [];
    default:
      // Organization changes are events about the organization (auth.organization.<id>.<action>).
      if (e.type.startsWith('organization.')) return typeof d.organizationId === 'string' ? [{ type: e.type as EventType, subject: d.organizationId, data: d }] : [];
      if (user && ROLES.has(e.type)) return undefined;
      if (user && e.type in PASSWORD) return [{ type: 'user.password_changed', subject: user, data: { how: PASSWORD[e.type] } }];
      if (user && MFA.has(e.type)) return [{ type: 'user.mfa_changed', subject: user, data: { change: e.type } }];
      return [];
  }
}

export async function eventsOfAudit(on: Db, e: AuditEntry): Promise<Planned[]> {
  const now = eventsOfAuditNow(e);
  if (now) return now;
  const d = (e.details ?? {}) as Record<string, unknown>;
  const user = e.subject ?? undefined;
  switch (e.type) {
    case 'user.registered':
    case 'user.created': {
      const view = user ? await userView(on, user) : undefined;
      return view ? [{ type: 'user.created', subject: view.id, data: { user: view, ...(e.type === 'user.created' ? { byAdministrator: true } : {}) } }] : [];
    }
    case 'user.updated':
    case 'user.disabled':
    case 'user.enabled':
    case 'email.changed':
    case 'username.changed': {
      const view = user ? await userView(on, user) : undefined;
      const changes = e.type === 'user.updated' ? (d.changed as Record<string, unknown>)
        : e.type === 'email.changed' ? { email: view?.email }
          : e.type === 'username.changed' ? { username: view?.username }
            : { active: e.type === 'user.enabled' };
      return view ? [{ type: 'user.updated', subject: view.id, data: { changes, user: view } }] : [];
    }
    case 'oauth.identity_linked':
    case 'oauth.identity_unlinked':
    case 'oauth.identities_merged': {
      const view = user ? await userView(on, user) : undefined;
      const change = e.type === 'oauth.identity_linked' ? { linked: d.provider } : e.type === 'oauth.identity_unlinked' ? { unlinked: d.provider } : { merged: d.providers, fromUserId: d.fromUserId };
      return view ? [{ type: 'user.updated', subject: view.id, data: { changes: { identities: change }, user: view } }] : [];
    }
    default: {
      const roles = user ? await rolesView(on, user) : undefined;
      return roles ? [{ type: 'user.roles_changed', subject: user!, data: { change: e.type, ...roles } }] : [];
    }
  }
}
