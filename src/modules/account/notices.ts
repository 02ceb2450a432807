// Messages that tell a user something happened to their account: the password changed,
// a sign-in came from a new device, a change of email was asked for. Queued in the
// transaction of the change itself.
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionRow, SessionsService } from '../sessions/index.ts';
import type { UserRow } from '../users/index.ts';

export interface NoticesDeps {
  mailer: Mailer;
  sessions: Pick<SessionsService, 'deviceFamiliarity'>;
  /** The pool, for what a batch of writes must read first. */
  db: Db;
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

/** What a new-sign-in notice reads of the session. */
type StartedSession = Pick<SessionRow, 'id' | 'user_id' | 'browser' | 'os' | 'ip' | 'created_at'> & { location: unknown };

export function createNotices(deps: NoticesDeps) {
  const { mailer } = deps;

  /** The notice's values when the session's browser and OS are new for this user; undefined otherwise. */
  async function newSignInValues(on: Db, user: UserRow, session: StartedSession): Promise<Record<string, unknown> | undefined> {
    // No address, no notice (AUTH_EMAIL_REQUIRED=false).
    if (!deps.newSignIn || user.email === null) return undefined;
    // No earlier session at all is the account's first sign-in only when it never signed
    // in before: sessions are deleted AUTH_SESSION_RETENTION after they expire, and a
    // sign-in after a long absence, on a device nothing vouches for, deserves the notice.
    const familiarity = await deps.sessions.deviceFamiliarity(on, session);
    if (familiarity === 'seen' || (familiarity === 'first' && user.last_login === null)) return undefined;
    const loc = (typeof session.location === 'string' ? JSON.parse(session.location) : session.location) as { city?: string | null; countryName?: string | null; country?: string | null } | null;
    return {
      username: user.username, email: user.email, time: formatTime(user.locale, session.created_at.getTime()),
      browser: session.browser ?? '?', os: session.os ?? '?', ip: session.ip ?? '?',
      location: loc ? [loc.city, loc.countryName ?? loc.country].filter(Boolean).join(', ') || null : null,
    };
  }

  return {
    // Notices go to the account's address; an account without one gets none.
    async passwordChanged(trx: Db, user: UserRow): Promise<void> {
      if (user.email === null) return;
      await mailer.send(trx, 'password_changed', user.email, user.locale, { username: user.username, email: user.email, time: formatTime(user.locale, deps.clock.now()) });
    },
    async accountLocked(trx: Db, user: UserRow, until: Date): Promise<void> {
      if (user.email === null) return;
      await mailer.send(trx, 'account_locked', user.email, user.locale, { username: user.username, email: user.email, until: formatTime(user.locale, until.getTime()) });
    },
    /** Queues a notice when the session's browser and OS are new for this user; true when it did. */
    async newSignIn(trx: Db, user: UserRow, session: StartedSession): Promise<boolean> {
      const values = await newSignInValues(trx, user, session);
      if (values && user.email !== null) await mailer.send(trx, 'new_sign_in', user.email, user.locale, values);
      return Boolean(values);
    },
    /**
     * newSignIn for a session that a batch of writes will start: the earlier sessions are
     * read now (the batch's own insert is not among them); the notice joins the batch.
     */
    async newSignInBatched(batch: WriteBatch, user: UserRow, session: StartedSession): Promise<boolean> {
      const values = await newSignInValues(deps.db, user, session);
      if (values && user.email !== null) mailer.sendBatched(batch, 'new_sign_in', user.email, user.locale, values);
      return Boolean(values);
    },
  };
}

export type Notices = ReturnType<typeof createNotices>;
