import type { Db } from '../../database.ts';
import type { SessionRow } from './sessions.table.ts';

export async function insertSession(db: Db, row: { id: string; user_id: string; client: string; ip: string | null; user_agent: string | null; created_at: Date; last_used_at: Date; expires_at: Date }): Promise<SessionRow> {
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
    .select(['rt.id', 'rt.session_id', 'rt.expires_at', 'rt.spent_at', 's.user_id', 's.client', 's.revoked_at', 's.expires_at as session_expires_at'])
    .where('rt.token_hash', '=', tokenHash)
    .forUpdate('rt')
    .executeTakeFirst();
}

export async function findRefreshToken(db: Db, tokenHash: Buffer) {
  return db
    .selectFrom('refresh_tokens as rt')
    .innerJoin('sessions as s', 's.id', 'rt.session_id')
    .select(['rt.id', 'rt.session_id', 'rt.expires_at', 's.user_id', 's.revoked_at', 's.expires_at as session_expires_at'])
    .where('rt.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function markSpent(db: Db, id: number, at: Date): Promise<void> {
  await db.updateTable('refresh_tokens').set({ spent_at: at }).where('id', '=', id).execute();
}

export async function touchSession(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('sessions').set({ last_used_at: at }).where('id', '=', id).execute();
}

export async function revokeSession(db: Db, id: string, at: Date, reason: string): Promise<number> {
  const r = await db.updateTable('sessions').set({ revoked_at: at, revoked_reason: reason }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function revokeUserSessions(db: Db, userId: string, at: Date, reason: string): Promise<number> {
  const r = await db.updateTable('sessions').set({ revoked_at: at, revoked_reason: reason }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function isSessionActive(db: Db, id: string, userId: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}
