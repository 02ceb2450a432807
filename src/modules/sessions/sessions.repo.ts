import { sql } from 'kysely';
import type { Db } from '../../database.ts';
import type { SessionRow } from './sessions.table.ts';

export interface NewSession {
  id: string; user_id: string; client: string; ip: string | null; user_agent: string | null;
  browser: string | null; os: string | null; device_type: string | null; location: string | null; amr: string[];
  created_at: Date; last_used_at: Date; expires_at: Date; reauthenticated_at: Date;
}

export async function insertSession(db: Db, row: NewSession): Promise<SessionRow> {
  return db.insertInto('sessions').values(row).returningAll().executeTakeFirstOrThrow();
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
  let q = db.selectFrom('sessions').selectAll().where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now);
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

export async function findSession(db: Db, id: string) {
  return db.selectFrom('sessions').select(['id', 'user_id', 'amr', 'reauthenticated_at', 'created_at', 'revoked_at']).where('id', '=', id).executeTakeFirst();
}
