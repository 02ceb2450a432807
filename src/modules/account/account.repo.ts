// Kysely queries of the account module's tables (email_tokens: one-time links and codes;
// mail_requests: per-address requests for mail): plain functions over `db` or `trx`, or
// writes queued on a batch, no rules.
import { sql, type Insertable } from 'kysely';
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { EmailTokenRow, EmailTokensTable, MailRequestsTable } from './account.table.ts';

// --- email_tokens ---

const spendLiveTokensQuery = (db: Db, purpose: string, email: string, at: Date) =>
  db.updateTable('email_tokens').set({ consumed_at: at })
    .where('purpose', '=', purpose).where('email', '=', email).where('consumed_at', 'is', null);

const insertTokenQuery = (db: Db, row: Insertable<EmailTokensTable>) => db.insertInto('email_tokens').values(row);

/** Spends the live tokens of a purpose sent to an address. */
export async function spendLiveTokens(db: Db, purpose: string, email: string, at: Date): Promise<void> {
  await spendLiveTokensQuery(db, purpose, email, at).execute();
}

/** spendLiveTokens as a write of a batch; `db` builds the query. */
export function spendLiveTokensBatched(batch: WriteBatch, db: Db, purpose: string, email: string, at: Date): void {
  batch.write(spendLiveTokensQuery(db, purpose, email, at));
}

export async function insertToken(db: Db, row: Insertable<EmailTokensTable>): Promise<void> {
  await insertTokenQuery(db, row).execute();
}

/** insertToken as a write of a batch; `db` builds the query. */
export function insertTokenBatched(batch: WriteBatch, db: Db, row: Insertable<EmailTokensTable>): void {
  batch.write(insertTokenQuery(db, row));
}

/** The token of an id and purpose issued to the user (spent, replaced or not). */
export async function findTokenIssuedTo(db: Db, id: string, purpose: string, userId: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('email_tokens').select('id').where('id', '=', id).where('purpose', '=', purpose).where('user_id', '=', userId).executeTakeFirst();
}

/** The user of the token of an id and purpose (spent, replaced or not). */
export async function findTokenOwner(db: Db, id: string, purpose: string): Promise<{ user_id: string | null } | undefined> {
  return db.selectFrom('email_tokens').select('user_id').where('id', '=', id).where('purpose', '=', purpose).executeTakeFirst();
}

/** How a token is looked up: by its link token's hash, by id, or the newest live one sent to an address. */
export type TokenLookup = { tokenHash: Buffer } | { id: string } | { newestLiveTo: string };

/** The token of a purpose a lookup finds, locked for the transaction when `lock`. */
export async function findToken(db: Db, purpose: string, by: TokenLookup, lock: boolean): Promise<EmailTokenRow | undefined> {
  let q = db.selectFrom('email_tokens').selectAll().where('purpose', '=', purpose);
  if ('tokenHash' in by) q = q.where('token_hash', '=', by.tokenHash);
  else if ('id' in by) q = q.where('id', '=', by.id);
  else q = q.where('email', '=', by.newestLiveTo).where('consumed_at', 'is', null).orderBy('created_at', 'desc').limit(1);
  return (lock ? q.forUpdate() : q).executeTakeFirst();
}

export async function setTokenAttempts(db: Db, id: string, attempts: number): Promise<void> {
  await db.updateTable('email_tokens').set({ attempts }).where('id', '=', id).execute();
}

export async function markTokenConsumed(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('email_tokens').set({ consumed_at: at }).where('id', '=', id).execute();
}

/** Spends every live token of a user for a purpose. */
export async function spendLiveTokensOfUser(db: Db, userId: string, purpose: string, at: Date): Promise<void> {
  await db.updateTable('email_tokens').set({ consumed_at: at })
    .where('user_id', '=', userId).where('purpose', '=', purpose).where('consumed_at', 'is', null).execute();
}

/** Deletes tokens spent, or else expired, before `before`. */
export async function deleteTokensEndedBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('email_tokens').where(sql<boolean>`coalesce(consumed_at, expires_at) < ${before}`).execute();
}

// --- mail_requests ---

// Advisory locks of class 7318003, held until the transaction ends: key 0 for the
// service-wide rules, the hash of an address's hash for one address.

/** The lock of the service-wide rules. */
export async function lockEveryAddress(trx: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(7318003, 0)`.execute(trx);
}

/** The lock of one address (by its hash, in hex). */
export async function lockAddress(trx: Db, addressHashHex: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(7318003, hashtext(${addressHashHex}))`.execute(trx);
}

/**
 * The times of the newest `limit` requests after `since`, newest first: of one address
 * (by hash) unless `addressHash` is null, of the given purposes when they are given.
 */
export async function recentRequests(db: Db, q: { since: Date; addressHash: Buffer | null; purposes?: string[] | undefined; limit: number }): Promise<{ created_at: Date }[]> {
  let query = db.selectFrom('mail_requests').select('created_at').where('created_at', '>', q.since);
  if (q.addressHash !== null) query = query.where('address_hash', '=', q.addressHash);
  if (q.purposes) query = query.where('purpose', 'in', q.purposes);
  return query.orderBy('created_at', 'desc').limit(q.limit).execute();
}

const insertRequestQuery = (db: Db, row: Insertable<MailRequestsTable>) => db.insertInto('mail_requests').values(row);

export async function insertRequest(db: Db, row: Insertable<MailRequestsTable>): Promise<void> {
  await insertRequestQuery(db, row).execute();
}

/** insertRequest as a write of a batch; `db` builds the query. */
export function insertRequestBatched(batch: WriteBatch, db: Db, row: Insertable<MailRequestsTable>): void {
  batch.write(insertRequestQuery(db, row));
}

export async function deleteRequestsBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('mail_requests').where('created_at', '<', before).execute();
}
