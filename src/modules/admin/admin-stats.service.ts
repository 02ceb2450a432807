// The dashboard's overview: sign-ins and failures per day with the reasons of failures,
// new accounts per day, live sessions, and the share of users with a second factor, over
// the last `days` UTC days (today included).
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import type { Database } from '../../database.ts';
import * as reports from '../reports/index.ts';

export interface AdminStatsDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** AUTH_SESSION_IDLE_TIMEOUT in seconds (0: none): idle sessions are not counted as active. */
  idleTimeout: number;
}

export const STATS_DAYS = { min: 1, max: 90, default: 14 } as const;
const DAY_MS = 86_400_000;
/** Methods always listed (zero included), in this order; others follow if any. */
const METHODS = ['totp', 'passkey', 'email', 'sms'];

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` whole UTC days up to and including the day of `now`. */
export function dayWindow(now: number, days: number): reports.DayWindow {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const first = today - (days - 1) * DAY_MS;
  return { firstDay: isoDay(first), lastDay: isoDay(today), from: new Date(first), to: new Date(today + DAY_MS) };
}

export function createAdminStatsService(deps: AdminStatsDeps) {
  const { db, clock } = deps;

  async function overview(days: number = STATS_DAYS.default) {
    const now = clock.now();
    const w = dayWindow(now, days);
    const idleCutoff = deps.idleTimeout > 0 ? new Date(now - deps.idleTimeout * 1000) : null;
    // One after another: the embedded database has a single connection anyway.
    const signIns = await reports.signInsPerDay(db, w);
    const reasons = await reports.failureReasons(db, w, 10);
    const newUsers = await reports.newUsersPerDay(db, w);
    const sessions = await reports.activeSessions(db, new Date(now), idleCutoff);
    const users = await reports.userCounts(db);
    const mfa = await reports.mfaAdoption(db);
    const byMethod = new Map(mfa.methods.map((m) => [m.method, m.users]));
    const methods = [...new Set([...METHODS, ...byMethod.keys()])].map((method) => ({ method, users: byMethod.get(method) ?? 0 }));
    return {
      days, from: w.firstDay, to: w.lastDay, generatedAt: new Date(now).toISOString(),
      signIns: {
        daily: signIns,
        succeeded: signIns.reduce((n, d) => n + d.succeeded, 0),
        failed: signIns.reduce((n, d) => n + d.failed, 0),
        failureReasons: reasons,
      },
      newUsers: { daily: newUsers, total: newUsers.reduce((n, d) => n + d.count, 0) },
      sessions: { active: sessions.sessions, users: sessions.users },
      users: { total: users.total, active: users.active, disabled: users.total - users.active },
      mfa: { users: users.total, enrolled: mfa.enrolled, share: users.total ? Math.round((mfa.enrolled / users.total) * 10_000) / 10_000 : 0, methods },
    };
  }

  return { overview };
}

export type AdminStatsService = ReturnType<typeof createAdminStatsService>;
