import { sql, type SqlBool } from 'kysely';
import { type SqlQuery, pruneInBatches, type PruneLimits, type PruneResult } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { FamilyToken } from './refresh-token.ts';
import { SESSION_COLUMNS, type SessionRow } from './sessions.table.ts';

export interface NewSession {
  id: string; user_id: string; client: string; ip: string | null; user_agent: string | null;
  browser: string | null; os: string | null; device_type: string | null; location: string | null; amr: string[];
  created_at: Date; last_used_at: Date; expires_at: Date; reauthenticated_at: Date;
  /** The refresh-token family's first generation. */
  refresh_generation: number; refresh_hash: Buffer;
  /** The organization chosen at sign-in, if any. */
  organization_id?: string;
}

export function insertSessionQuery(db: Db, row: NewSession) {
  return db.insertInto('sessions').values(row);
}

export async function insertSession(db: Db, row: NewSession): Promise<SessionRow> {
  return insertSessionQuery(db, row).returning(SESSION_COLUMNS).executeTakeFirstOrThrow();
}

/** rotateFamily's statement ($1 session id, $2 generation, $3 next hash, $4 now, $5 hash, $6 idle cutoff). */
export const ROTATE_FAMILY_SQL = `
    update sessions
    set refresh_generation = refresh_generation + 1, refresh_hash = $3, refresh_siblings = '{}', refresh_rotated_at = $4,
        last_used_at = greatest(last_used_at, $4)
    where id = $1 and refresh_generation = $2 and refresh_generation < 2147483647
      and (refresh_hash = $5 or $5 = any(refresh_siblings))
      and revoked_at is null and expires_at > $4 and ($6::timestamptz is null or last_used_at > $6::timestamptz)
    returning user_id, client, amr`;

/** rotateFamilies' statement: the same six, as arrays of one element per rotation. */
export const ROTATE_FAMILIES_SQL = `
    update sessions s
    set refresh_generation = s.refresh_generation + 1, refresh_hash = i.next_hash, refresh_siblings = '{}', refresh_rotated_at = i.at,
        last_used_at = greatest(s.last_used_at, i.at)
    from unnest($1::uuid[], $2::int[], $3::bytea[], $4::timestamptz[], $5::bytea[], $6::timestamptz[])
      with ordinality as i(id, generation, next_hash, at, hash, idle_cutoff, n)
    where s.id = i.id and s.refresh_generation = i.generation and s.refresh_generation < 2147483647
      and (s.refresh_hash = i.hash or i.hash = any(s.refresh_siblings))
      and s.revoked_at is null and s.expires_at > i.at and (i.idle_cutoff is null or s.last_used_at > i.idle_cutoff)
    returning i.n::int as n, s.user_id, s.client, s.amr`;

/**
 * The common case of a refresh of a family token, in one statement that writes one row:
 * when `t` is the current generation (or one of its siblings) of a live session, move
 * the family to the next generation and record the use. No row: the caller's transaction
 * decides (an older generation, a revoked, expired or idle session, or a race lost: a
 * presentation that waited on the row lock sees the row as its holder left it).
 */
export function rotateFamily(query: SqlQuery, t: FamilyToken, nextHash: Buffer, now: Date, idleCutoff: Date | null) {
  // Times go as ISO strings: the driver's own Date formatting costs more, per request.
  return query<{ user_id: string; client: string; amr: string[] }>(ROTATE_FAMILY_SQL, [t.sessionId, t.generation, nextHash, now.toISOString(), t.hash, idleCutoff?.toISOString() ?? null]).then((rows) => rows[0]);
}

/** keepFamily's statement ($1 session id, $2 generation, $3 now, $4 hash, $5 idle cutoff). */
export const KEEP_FAMILY_SQL = `
    update sessions
    set last_used_at = greatest(last_used_at, $3)
    where id = $1 and refresh_generation = $2
      and (refresh_hash = $4 or $4 = any(refresh_siblings))
      and revoked_at is null and expires_at > $3 and ($5::timestamptz is null or last_used_at > $5::timestamptz)
    returning user_id, client, amr`;

/**
 * A refresh without rotation (AUTH_REFRESH_TOKEN_ROTATION=false): when `t` is the current
 * generation (or a sibling) of a live session, record the use and change nothing else.
 * No row: the token is older, or its session revoked, expired or idle.
 */
export function keepFamily(query: SqlQuery, t: FamilyToken, now: Date, idleCutoff: Date | null) {
  return query<{ user_id: string; client: string; amr: string[] }>(KEEP_FAMILY_SQL, [t.sessionId, t.generation, now.toISOString(), t.hash, idleCutoff?.toISOString() ?? null]).then((rows) => rows[0]);
}

export interface FamilyRotation { t: FamilyToken; nextHash: Buffer; now: Date; idleCutoff: Date | null }

/**
 * rotateFamily for several tokens of distinct sessions in one statement: each row is
 * decided by the same conditions as alone. Answers in the items' order, undefined where
 * rotateFamily would have found no row.
 */
export async function rotateFamilies(query: SqlQuery, items: FamilyRotation[]) {
  const rows = await query<{ n: number; user_id: string; client: string; amr: string[] }>(ROTATE_FAMILIES_SQL, [
    items.map((r) => r.t.sessionId), items.map((r) => r.t.generation), items.map((r) => r.nextHash),
    items.map((r) => r.now.toISOString()), items.map((r) => r.t.hash), items.map((r) => r.idleCutoff?.toISOString() ?? null),
  ]);
  const out: ({ user_id: string; client: string; amr: string[] } | undefined)[] = items.map(() => undefined);
  for (const { n, ...row } of rows) out[n - 1] = row;
  return out;
}

/** A session with its refresh-token family, locked until the transaction ends when `lock`. */
export async function findFamily(db: Db, sessionId: string, lock: boolean) {
  const q = db.selectFrom('sessions')
    .select(['id', 'user_id', 'client', 'amr', 'created_at', 'revoked_at', 'expires_at', 'last_used_at', 'refresh_generation', 'refresh_hash', 'refresh_siblings', 'refresh_rotated_at'])
    .where('id', '=', sessionId);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
}

/** The family's next generation, after the caller decided so under the row lock. */
export async function advanceFamily(db: Db, sessionId: string, generation: number, hash: Buffer, at: Date): Promise<void> {
  await db.updateTable('sessions')
    .set({ refresh_generation: generation, refresh_hash: hash, refresh_siblings: [], refresh_rotated_at: at, last_used_at: sql<Date>`greatest(last_used_at, ${at})` })
    .where('id', '=', sessionId).execute();
}

/** A sibling of the current generation (a retry within the reuse interval). */
export async function addSibling(db: Db, sessionId: string, hash: Buffer, at: Date): Promise<void> {
  await db.updateTable('sessions')
    .set({ refresh_siblings: sql<Buffer[]>`array_append(refresh_siblings, ${hash})`, last_used_at: sql<Date>`greatest(last_used_at, ${at})` })
    .where('id', '=', sessionId).execute();
}

export async function insertRefreshToken(db: Db, row: { session_id: string; token_hash: Buffer; parent_id: number | null; created_at: Date; expires_at: Date }): Promise<void> {
  await db.insertInto('refresh_tokens').values(row).execute();
}

/** The token and its session, the token row locked until the transaction ends. */
export async function findRefreshTokenForUpdate(db: Db, tokenHash: Buffer) {
  return db
    .selectFrom('refresh_tokens as rt')
    .innerJoin('sessions as s', 's.id', 'rt.session_id')
    .select(['rt.id', 'rt.session_id', 'rt.expires_at', 'rt.spent_at', 's.user_id', 's.client', 's.revoked_at', 's.expires_at as session_expires_at', 's.last_used_at', 's.amr'])
    .where('rt.token_hash', '=', tokenHash)
    .forUpdate('rt')
    .executeTakeFirst();
}

/**
 * The common case of a refresh in one statement (one round trip, its own transaction):
 * when the token is unspent and its session live, spend it, insert its successor and
 * touch the session. Returns the token's row (undefined: unknown token) and whether it
 * rotated; a row that did not rotate (spent, revoked, expired, idle) changed nothing and
 * is decided by the caller's full transaction. Under READ COMMITTED, a presentation that
 * waited on the row lock sees the row as its holder left it (spent), so a race of two
 * presentations rotates once.
 */
export async function rotateUnspent(query: SqlQuery, tokenHash: Buffer, nextHash: Buffer, now: Date, idleCutoff: Date | null) {
  const rows = await query<{ id: number; session_id: string; user_id: string; client: string; amr: string[]; rotated: boolean }>(`
    with t as (
      select rt.id, rt.session_id, rt.expires_at, rt.spent_at, s.user_id, s.client, s.amr, s.revoked_at, s.expires_at as session_expires_at, s.last_used_at
      from refresh_tokens rt join sessions s on s.id = rt.session_id
      where rt.token_hash = $1
      for update of rt
    ), ok as (
      select t.id, t.session_id, t.session_expires_at from t
      where t.spent_at is null and t.revoked_at is null and t.session_expires_at > $3 and t.expires_at > $3
        and ($4::timestamptz is null or t.last_used_at > $4::timestamptz)
    ), spend as (
      update refresh_tokens set spent_at = $3 where id in (select id from ok) returning id
    ), successor as (
      insert into refresh_tokens (session_id, token_hash, parent_id, created_at, expires_at)
      select ok.session_id, $2, ok.id, $3, ok.session_expires_at from ok returning id
    ), touch as (
      update sessions set last_used_at = $3 where id in (select session_id from ok) and last_used_at < $3 returning id
    )
    select t.id, t.session_id, t.user_id, t.client, t.amr, exists (select 1 from successor) as rotated from t`, [tokenHash, nextHash, now, idleCutoff]);
  return rows[0];
}

export async function findRefreshToken(db: Db, tokenHash: Buffer) {
  return db
    .selectFrom('refresh_tokens as rt')
    .innerJoin('sessions as s', 's.id', 'rt.session_id')
    .select(['rt.id', 'rt.session_id', 'rt.expires_at', 'rt.spent_at', 'rt.created_at', 's.user_id', 's.client', 's.amr', 's.revoked_at', 's.expires_at as session_expires_at', 's.last_used_at'])
    .where('rt.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function markSpent(db: Db, id: number, at: Date): Promise<void> {
  await db.updateTable('refresh_tokens').set({ spent_at: at }).where('id', '=', id).execute();
}

export async function touchSession(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_used_at: at }).where('id', '=', id).where('last_used_at', '<', at).execute();
}

export async function revokeSession(db: Db, id: string, at: Date, reason: string): Promise<number> {
  const r = await db.updateTable('sessions').set({ revoked_at: at, revoked_reason: reason }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Revokes one session of a user; 0 when it is not theirs or already revoked. */
export async function revokeUserSession(db: Db, userId: string, id: string, at: Date, reason: string): Promise<number> {
  const r = await db.updateTable('sessions').set({ revoked_at: at, revoked_reason: reason })
    .where('id', '=', id).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Revokes every session of a user, except `keep` when given; returns the ids revoked. */
export async function revokeUserSessions(db: Db, userId: string, at: Date, reason: string, keep?: string): Promise<string[]> {
  let q = db.updateTable('sessions').set({ revoked_at: at, revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keep) q = q.where('id', '!=', keep);
  return (await q.returning('id').execute()).map((r) => r.id);
}

/** The fields a bearer check needs. */
export async function findSessionState(db: Db, id: string) {
  return db.selectFrom('sessions').select(['id', 'user_id', 'revoked_at', 'expires_at', 'last_used_at', 'client']).where('id', '=', id).executeTakeFirst();
}

/** Live sessions of a user, newest first. `idleCutoff`: sessions last used before it are idle-expired. */
export async function listActive(db: Db, userId: string, now: Date, idleCutoff: Date | null): Promise<SessionRow[]> {
  let q = db.selectFrom('sessions').select(SESSION_COLUMNS).where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now);
  if (idleCutoff) q = q.where('last_used_at', '>', idleCutoff);
  return q.orderBy('created_at', 'desc').orderBy('id').execute();
}

/** Serialises the sign-ins of one user (for the active-session limit). */
export async function lockUserSessions(db: Db, userId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(7318002, hashtext(${userId}))`.execute(db);
}

/** Browser and OS of a user's most recent other sessions (revoked ones included). */
export async function recentDevices(db: Db, userId: string, excludeId: string, limit: number): Promise<{ browser: string | null; os: string | null }[]> {
  return db.selectFrom('sessions').select(['browser', 'os']).where('user_id', '=', userId).where('id', '!=', excludeId)
    .orderBy('created_at', 'desc').limit(limit).execute();
}

export async function setReauthenticated(db: Db, id: string, at: Date, amr: string[]): Promise<void> {
  await db.updateTable('sessions').set({ reauthenticated_at: at, amr }).where('id', '=', id).execute();
}

/**
 * Deletes, in batches, the refresh tokens of sessions whose absolute expiry lies in
 * (`after`, `until`]. `= any(array(...))` makes PostgreSQL collect those sessions first
 * (on sessions_expires_idx) and look their tokens up on refresh_tokens_session_idx; as a
 * join it may scan the whole token table to learn that none is left.
 */
export async function pruneTokensOfSessionsExpiring(db: Db, after: Date, until: Date, limits?: PruneLimits): Promise<PruneResult> {
  return pruneInBatches(db, {
    table: 'refresh_tokens', key: 'id',
    where: (eb) => {
      const expired = eb.selectFrom('sessions').select('sessions.id').where('sessions.expires_at', '>', after).where('sessions.expires_at', '<=', until);
      return sql<SqlBool>`${sql.ref('refresh_tokens.session_id')} = any(array(${expired}))`;
    },
  }, limits);
}

/** Deletes, in batches, sessions whose absolute expiry is before `before`, each batch's refresh tokens first. */
export async function pruneSessionsExpiredBefore(db: Db, before: Date, limits?: PruneLimits): Promise<PruneResult> {
  return pruneInBatches(db, {
    table: 'sessions', key: 'id', where: (eb) => eb('expires_at', '<', before),
    children: [{ table: 'refresh_tokens', key: 'id', parentKey: 'session_id' }],
  }, limits);
}

export async function findSession(db: Db, id: string) {
  return db.selectFrom('sessions').select(['id', 'user_id', 'amr', 'reauthenticated_at', 'created_at', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}

// ---- what other modules read and change of sessions (through index.ts) ---------------------

/** The user a session belongs to, whatever its state; undefined for an unknown session. */
export async function ownerOfSession(db: Db, id: string): Promise<string | undefined> {
  return (await db.selectFrom('sessions').select('user_id').where('id', '=', id).executeTakeFirst())?.user_id;
}

/** Owner and revocation of the sessions among `ids` that exist (the OpenID provider's grants). */
export async function sessionStates(db: Db, ids: string[]): Promise<{ id: string; user_id: string; revoked_at: Date | null }[]> {
  if (!ids.length) return [];
  return db.selectFrom('sessions').select(['id', 'user_id', 'revoked_at']).where('id', 'in', ids).execute();
}

/** The active organization of a user's session: null for none, undefined for no such session. */
export async function activeOrganizationOf(db: Db, sessionId: string, userId: string): Promise<string | null | undefined> {
  return (await db.selectFrom('sessions').select('organization_id').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst())?.organization_id;
}

/** Sets (or clears) the active organization of a user's live session; false when there is none. */
export async function setActiveOrganization(db: Db, sessionId: string, userId: string, organizationId: string | null): Promise<boolean> {
  const r = await db.updateTable('sessions').set({ organization_id: organizationId }).where('id', '=', sessionId).where('user_id', '=', userId).where('revoked_at', 'is', null).returning('id').executeTakeFirst();
  return Boolean(r);
}

/** Ends an organization as the active one of a user's sessions (or of everyone's). */
export async function clearActiveOrganization(db: Db, organizationId: string, userId?: string): Promise<void> {
  let q = db.updateTable('sessions').set({ organization_id: null }).where('organization_id', '=', organizationId);
  if (userId) q = q.where('user_id', '=', userId);
  await q.execute();
}
