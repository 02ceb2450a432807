// Most events tell of a change that services emit on the change feed: the same change as
// its audit entry, in the same transaction or batch. This maps a change to its events
// (none for most read-only or failed actions), from the change alone: an event that shows
// the user or their roles takes them from the change (`user`, `roles`), never from the
// database. Session ends come from the sessions module itself, which knows every session
// that ends.
import type { ChangeSubscriber } from '../../core/changes.ts';
import type { Db } from '../../database.ts';
import type { AuditEntry, UserSnapshot } from '../audit/index.ts';
import type { EventType } from './events.catalogue.ts';
import type { EventsService } from './events.service.ts';

interface Planned { type: EventType; subject: string; data: Record<string, unknown> }

const MFA = new Set(['mfa.factor_added', 'mfa.factor_removed', 'passkey.added', 'passkey.removed', 'user.mfa_reset']);
const ROLES = new Set(['user.role_assigned', 'user.role_removed', 'user.default_role_changed']);
const PASSWORD: Record<string, string> = { 'password.changed': 'changed', 'password.reset': 'reset', 'password.reset_forced': 'reset_forced' };

const viewOf = (u: UserSnapshot) => ({ id: u.id, username: u.username, email: u.email, emailVerified: u.email_verified, role: u.role, active: u.is_active, locale: u.locale, createdAt: u.created_at.toISOString() });

/** The default role first, then the others in order. */
function rolesView(held: string[]) {
  const [role, ...extra] = held;
  return role === undefined ? undefined : { role, roles: [role, ...extra.filter((r) => r !== role).sort()] };
}

/** The public events of a change. */
export function eventsOfChange(c: AuditEntry): Planned[] {
  const d = (c.details ?? {}) as Record<string, unknown>;
  const user = c.subject ?? undefined;
  // The subject's row after the change, when the emitter gave it.
  const view = user !== undefined && c.user?.id === user ? viewOf(c.user) : undefined;
  switch (c.type) {
    case 'user.registered':
    case 'user.created':
      return view ? [{ type: 'user.created', subject: view.id, data: { user: view, ...(c.type === 'user.created' ? { byAdministrator: true } : {}) } }] : [];
    case 'user.updated':
    case 'user.disabled':
    case 'user.enabled':
    case 'email.changed':
    case 'username.changed': {
      const changes = c.type === 'user.updated' ? (d.changed as Record<string, unknown>)
        : c.type === 'email.changed' ? { email: view?.email }
          : c.type === 'username.changed' ? { username: view?.username }
            : { active: c.type === 'user.enabled' };
      return view ? [{ type: 'user.updated', subject: view.id, data: { changes, user: view } }] : [];
    }
    case 'oauth.identity_linked':
    case 'oauth.identity_unlinked':
    case 'oauth.identities_merged': {
      const change = c.type === 'oauth.identity_linked' ? { linked: d.provider } : c.type === 'oauth.identity_unlinked' ? { unlinked: d.provider } : { merged: d.providers, fromUserId: d.fromUserId };
      return view ? [{ type: 'user.updated', subject: view.id, data: { changes: { identities: change }, user: view } }] : [];
    }
    case 'user.deleted':
    case 'account.deleted':
      return user ? [{ type: 'user.deleted', subject: user, data: { byAdministrator: c.type === 'user.deleted' } }] : [];
    case 'email.verified':
      return user ? [{ type: 'user.email_verified', subject: user, data: {} }] : [];
    case 'user.login_failed':
      return user ? [{ type: 'user.login_failed', subject: user, data: { reason: c.reason ?? null, method: d.method ?? null } }] : [];
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
      return Array.isArray(d.grantIds) ? (d.grantIds as string[]).map((id) => ({ type: 'grant.revoked' as const, subject: id, data: { clientId: d.clientId ?? null, userId: user ?? null, reason: c.reason ?? c.type } })) : [];
    case 'service_account.updated':
      return typeof d.serviceAccountId === 'string' ? [{ type: 'identity.updated', subject: d.serviceAccountId, data: { changes: d.changes ?? {} } }] : [];
    case 'service_account.deleted':
      return typeof d.serviceAccountId === 'string' ? [{ type: 'identity.deleted', subject: d.serviceAccountId, data: { clientId: d.clientId ?? null } }] : [];
    default: {
      // Organization changes are events about the organization (auth.organization.<id>.<action>).
      if (c.type.startsWith('organization.')) return typeof d.organizationId === 'string' ? [{ type: c.type as EventType, subject: d.organizationId, data: d }] : [];
      if (user && ROLES.has(c.type)) {
        const roles = c.roles && rolesView(c.roles);
        return roles ? [{ type: 'user.roles_changed', subject: user, data: { change: c.type, ...roles } }] : [];
      }
      if (user && c.type in PASSWORD) return [{ type: 'user.password_changed', subject: user, data: { how: PASSWORD[c.type] } }];
      if (user && MFA.has(c.type)) return [{ type: 'user.mfa_changed', subject: user, data: { change: c.type } }];
      return [];
    }
  }
}

/** The outbox's part of every change: its events, written in the change's transaction or batch. */
export function changeEvents(events: Pick<EventsService, 'emit' | 'emitBatched'>): ChangeSubscriber<Db, AuditEntry> {
  return {
    async onChange(on, c) {
      for (const e of eventsOfChange(c)) await events.emit(on, e.type, e.subject, e.data, c.actor);
    },
    onChangeBatched(batch, c) {
      for (const e of eventsOfChange(c)) events.emitBatched(batch, e.type, e.subject, e.data, c.actor);
    },
  };
}
