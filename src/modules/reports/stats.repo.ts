// The dashboard's figures, counted in SQL over the tables of several modules (audit log,
// users, sessions, factors, passkeys). Reads only. Days are UTC calendar days, and every
// day of the window has its row (zeros included) from generate_series. Plain SQL that
// PostgreSQL 15 and PGlite both run.
import { sql } from 'kysely';
import type { Db } from '../../database.ts';

/** A window of whole UTC days: `firstDay`..`lastDay` (YYYY-MM-DD), as instants `from` (inclusive) .. `to` (exclusive). */
export interface DayWindow { firstDay: string; lastDay: string; from: Date; to: Date }

const SUCCEEDED = 'user.login_succeeded';
const FAILED = 'user.login_failed';

/** Sign-ins that completed and that failed, per day. */
export async function signInsPerDay(db: Db, w: DayWindow): Promise<{ date: string; succeeded: number; failed: number }[]> {
  const r = await sql<{ date: string; succeeded: number; failed: number }>`
    with d as (select generate_series(${w.firstDay}::date, ${w.lastDay}::date, interval '1 day')::date as day),
    a as (
      select (occurred_at at time zone 'UTC')::date as day,
        count(*) filter (where type = ${SUCCEEDED})::int as succeeded,
        count(*) filter (where type = ${FAILED})::int as failed
      from audit_log
      where occurred_at >= ${w.from} and occurred_at < ${w.to} and type in (${SUCCEEDED}, ${FAILED})
      group by 1
    )
    select to_char(d.day, 'YYYY-MM-DD') as date, coalesce(a.succeeded, 0)::int as succeeded, coalesce(a.failed, 0)::int as failed
    from d left join a on a.day = d.day
    order by d.day`.execute(db);
  return r.rows;
}

/** Failed sign-ins of the window by reason (the error code in the entry), most frequent first. */
export async function failureReasons(db: Db, w: DayWindow, limit: number): Promise<{ reason: string; count: number }[]> {
  const r = await sql<{ reason: string; count: number }>`
    select coalesce(reason, 'unknown') as reason, count(*)::int as count
    from audit_log
    where type = ${FAILED} and occurred_at >= ${w.from} and occurred_at < ${w.to}
    group by 1
    order by 2 desc, 1
    limit ${limit}`.execute(db);
  return r.rows;
}

/** Accounts created per day (those that still exist). */
export async function newUsersPerDay(db: Db, w: DayWindow): Promise<{ date: string; count: number }[]> {
  const r = await sql<{ date: string; count: number }>`
    with d as (select generate_series(${w.firstDay}::date, ${w.lastDay}::date, interval '1 day')::date as day),
    u as (
      select (created_at at time zone 'UTC')::date as day, count(*)::int as count
      from users
      where created_at >= ${w.from} and created_at < ${w.to}
      group by 1
    )
    select to_char(d.day, 'YYYY-MM-DD') as date, coalesce(u.count, 0)::int as count
    from d left join u on u.day = d.day
    order by d.day`.execute(db);
  return r.rows;
}

/** Sessions live now (not revoked, not expired, not idle past `idleCutoff`) and the users they belong to. */
export async function activeSessions(db: Db, now: Date, idleCutoff: Date | null): Promise<{ sessions: number; users: number }> {
  const r = await sql<{ sessions: number; users: number }>`
    select count(*)::int as sessions, count(distinct user_id)::int as users
    from sessions
    where revoked_at is null and expires_at > ${now}${idleCutoff ? sql` and last_used_at > ${idleCutoff}` : sql``}`.execute(db);
  return r.rows[0] ?? { sessions: 0, users: 0 };
}

/** Accounts, active and disabled. */
export async function userCounts(db: Db): Promise<{ total: number; active: number }> {
  const r = await sql<{ total: number; active: number }>`
    select count(*)::int as total, count(*) filter (where is_active)::int as active from users`.execute(db);
  return r.rows[0] ?? { total: 0, active: 0 };
}

/**
 * Users with a second factor (a verified TOTP, email or SMS factor, or a passkey: the
 * `mfa` filter of GET /admin/users), in all and per method.
 */
export async function mfaAdoption(db: Db): Promise<{ enrolled: number; methods: { method: string; users: number }[] }> {
  const enrolled = await sql<{ n: number }>`
    select count(*)::int as n from (
      select user_id from mfa_factors where verified_at is not null
      union
      select user_id from passkeys
    ) m`.execute(db);
  const methods = await sql<{ method: string; users: number }>`
    select type as method, count(distinct user_id)::int as users from mfa_factors where verified_at is not null group by type
    union all
    select 'passkey' as method, count(distinct user_id)::int as users from passkeys
    order by 2 desc, 1`.execute(db);
  return { enrolled: enrolled.rows[0]?.n ?? 0, methods: methods.rows };
}
