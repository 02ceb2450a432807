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
} as const;

export type EventType = keyof typeof EVENT_TYPES;

/** The NATS subject of an event about `id`. */
export function subjectOf(type: EventType, id: string): string {
  const dot = type.indexOf('.');
  return `auth.${type.slice(0, dot)}.${id}.${type.slice(dot + 1)}`;
}
