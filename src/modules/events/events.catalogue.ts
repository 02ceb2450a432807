// The closed catalogue of event types. An event's type is `<entity>.<action>`; its NATS
// subject is `auth.<entity>.<id>.<action>` (the seed documents' names for user, session
// and identity events). docs/events.md lists them (test/docs.test.ts keeps it so).
export const EVENT_TYPES = {
  'user.created': 'An account was created (registration, passwordless sign-up, an administrator, the bootstrap)',
  'user.updated': 'Account fields changed: username, email, verified flag, metadata, active flag (changed fields in data)',
  'user.deleted': 'An account was deleted, by its user or an administrator',
  'user.password_changed': 'The password was changed, reset, or an administrator forced a reset',
  'user.email_verified': 'The email address was verified',
  'user.mfa_changed': 'A second factor or passkey was added or removed, or an administrator reset them',
  'user.roles_changed': "The user's default role or extra roles changed",
  'user.login_failed': 'A sign-in of an existing account failed (reason in data)',
  'session.created': 'A session started (any sign-in method)',
  'session.invalidated': 'A session ended before its expiry: sign-out, revocation, limit, reuse, account change (reason in data)',
  'session.refresh_reused': 'A spent refresh token was presented again; the session was revoked',
  'identity.updated': "A service account's permissions, name or active flag changed",
  'identity.deleted': 'A service account was deleted',
  'organization.created': 'An organization was created (id: the organization; name, slug, owner in data)',
  'organization.updated': "An organization's name, slug, logo or metadata changed (changed fields in data)",
  'organization.deleted': 'An organization was deleted',
  'organization.member_added': 'An administrator added a member (user and role in data)',
  'organization.member_removed': 'A member was removed (user in data)',
  'organization.member_left': 'A member left (user in data)',
  'organization.member_role_changed': "A member's role changed (user, from, to in data)",
  'organization.ownership_transferred': 'Ownership was transferred (from, to in data)',
  'organization.invitation_created': 'An invitation was sent (invitation id, email, role in data)',
  'organization.invitation_revoked': 'An invitation was revoked (invitation id in data)',
  'organization.invitation_accepted': 'An invitation was accepted: the user joined (user, role in data)',
  'consent.granted': 'A user allowed an application scopes (id: the user; client and scopes in data)',
  'consent.revoked': "A user withdrew an application's consent (id: the user; client in data)",
  'grant.issued': "An application obtained tokens for a user from an authorization code (id: the grant's session; client, user and scopes in data)",
  'grant.revoked': "An application's grant ended: token revocation, a reused code, RP-initiated logout (id: the grant's session; reason in data)",
} as const;

export type EventType = keyof typeof EVENT_TYPES;

/** The NATS subject of an event about `id`. */
export function subjectOf(type: EventType, id: string): string {
  const dot = type.indexOf('.');
  return `auth.${type.slice(0, dot)}.${id}.${type.slice(dot + 1)}`;
}
