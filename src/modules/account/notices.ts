// Messages that tell a user something happened to their account: the password changed,
// a sign-in came from a new device, a change of email was asked for. Queued in the
// transaction of the change itself.
import type { Db } from '../../database.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionRow, SessionsService } from '../sessions/index.ts';
import type { UserRow } from '../users/index.ts';

export interface NoticesDeps {
  mailer: Mailer;
  sessions: SessionsService;
  clock: { now(): number };
  /** AUTH_EMAIL_NEW_SIGNIN_NOTICE */
  newSignIn: boolean;
}

/** A date and time in the user's language, in UTC. */
export function formatTime(locale: string, ms: number): string {
  try {
    return `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(ms))} UTC`;
  } catch {
    return new Date(ms).toISOString();
  }
}

export function createNotices(deps: NoticesDeps) {
  const { mailer } = deps;
  return {
    async passwordChanged(trx: Db, user: UserRow): Promise<void> {
      await mailer.send(trx, 'password_changed', user.email, user.locale, { username: user.username, email: user.email, time: formatTime(user.locale, deps.clock.now()) });
    },
    async accountLocked(trx: Db, user: UserRow, until: Date): Promise<void> {
      await mailer.send(trx, 'account_locked', user.email, user.locale, { username: user.username, email: user.email, until: formatTime(user.locale, until.getTime()) });
    },
    /** Queues a notice when the session's browser and OS are new for this user; true when it did. */
    async newSignIn(trx: Db, user: UserRow, session: SessionRow): Promise<boolean> {
      if (!deps.newSignIn) return false;
      // No earlier session at all is the account's first sign-in only when it never signed
      // in before: sessions are deleted AUTH_SESSION_RETENTION after they expire, and a
      // sign-in after a long absence, on a device nothing vouches for, deserves the notice.
      const familiarity = await deps.sessions.deviceFamiliarity(trx, session);
      if (familiarity === 'seen' || (familiarity === 'first' && user.last_login === null)) return false;
      const loc = session.location as { city?: string | null; countryName?: string | null; country?: string | null } | null;
      await mailer.send(trx, 'new_sign_in', user.email, user.locale, {
        username: user.username, email: user.email, time: formatTime(user.locale, session.created_at.getTime()),
        browser: session.browser ?? '?', os: session.os ?? '?', ip: session.ip ?? '?',
        location: loc ? [loc.city, loc.countryName ?? loc.country].filter(Boolean).join(', ') || null : null,
      });
      return true;
    },
  };
}

export type Notices = ReturnType<typeof createNotices>;
