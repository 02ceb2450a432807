// Kysely queries of MFA shared by the methods and the flows: plain functions over `db` or
// `trx`, no rules. Factors, recovery codes, then challenges.
import { sql, type Insertable } from 'kysely';
import type { Read, ReadBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import type { MfaChallengeRow, MfaChallengesTable, MfaFactorRow, MfaFactorsTable } from './mfa.table.ts';

// --- Factors ---

/** A user's verified factors, oldest first. */
export const activeFactors = (on: Db, userId: string): Promise<MfaFactorRow[]> =>
  on.selectFrom('mfa_factors').selectAll().where('user_id', '=', userId).where('verified_at', 'is not', null).orderBy('created_at').execute();

/** The types of a user's verified factors, as a part of a read batch. */
export const activeFactorTypesRead = (reads: ReadBatch, db: Db, userId: string): Read<string[]> =>
  reads.value(db.selectFrom('mfa_factors').select(sql<string[]>`coalesce(array_agg(type), '{}')::text[]`.as('types')).where('user_id', '=', userId).where('verified_at', 'is not', null));

export async function insertFactor(db: Db, row: Insertable<MfaFactorsTable>): Promise<void> {
  await db.insertInto('mfa_factors').values(row).execute();
}

/** insertFactor, returning the row stored. */
export async function insertFactorReturning(db: Db, row: Insertable<MfaFactorsTable>): Promise<MfaFactorRow> {
  return db.insertInto('mfa_factors').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Deletes a user's unverified factors of a type (an unfinished enrollment). */
export async function deletePendingFactors(db: Db, userId: string, type: string): Promise<void> {
  await db.deleteFrom('mfa_factors').where('user_id', '=', userId).where('type', '=', type).where('verified_at', 'is', null).execute();
}

/** A user's unverified factor of a type, locked for the transaction. */
export async function lockPendingFactor(trx: Db, userId: string, type: string): Promise<MfaFactorRow | undefined> {
  return trx.selectFrom('mfa_factors').selectAll().where('user_id', '=', userId).where('type', '=', type).where('verified_at', 'is', null).forUpdate().executeTakeFirst();
}

export async function markFactorVerified(db: Db, factorId: string, at: Date): Promise<void> {
  await db.updateTable('mfa_factors').set({ verified_at: at }).where('id', '=', factorId).execute();
}

export async function markFactorUsed(db: Db, factorId: string, at: Date): Promise<void> {
  await db.updateTable('mfa_factors').set({ last_used_at: at }).where('id', '=', factorId).execute();
}

/** Marks every factor of a type of the user used (the email factor is the address, whatever its row). */
export async function markFactorsOfTypeUsed(db: Db, userId: string, type: string, at: Date): Promise<void> {
  await db.updateTable('mfa_factors').set({ last_used_at: at }).where('user_id', '=', userId).where('type', '=', type).execute();
}

/**
 * Moves a factor's last accepted TOTP time step to `step` (and marks it used) unless it is
 * already there or past it; returns how many rows moved (0 or 1). Two requests racing with
 * one code: only one moves it.
 */
export async function advanceTimeStep(db: Db, factorId: string, step: string, at: Date): Promise<number> {
  const moved = await db.updateTable('mfa_factors').set({ last_time_step: step, last_used_at: at })
    .where('id', '=', factorId).where((eb) => eb.or([eb('last_time_step', 'is', null), eb('last_time_step', '<', step)])).executeTakeFirst();
  return Number(moved.numUpdatedRows);
}

/** Deletes a verified factor of the user; returns its type, or undefined when there was none. */
export async function deleteVerifiedFactor(db: Db, factorId: string, userId: string): Promise<{ type: string } | undefined> {
  return db.deleteFrom('mfa_factors').where('id', '=', factorId).where('user_id', '=', userId).where('verified_at', 'is not', null).returning('type').executeTakeFirst();
}

/** Deletes every factor of a user, verified or not. */
export async function deleteFactorsOf(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('mfa_factors').where('user_id', '=', userId).execute();
}

/** Deletes unverified factors created before `before` (unfinished enrollments). */
export async function deletePendingFactorsCreatedBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('mfa_factors').where('verified_at', 'is', null).where('created_at', '<', before).execute();
}

// --- Recovery codes ---

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  return Number((await db.selectFrom('mfa_recovery_codes').select(sql<string>`count(*)`.as('n')).where('user_id', '=', userId).where('used_at', 'is', null).executeTakeFirstOrThrow()).n);
}

/** Whether the user has recovery codes, used or not. */
export async function hasRecoveryCodes(db: Db, userId: string): Promise<boolean> {
  return (await db.selectFrom('mfa_recovery_codes').select('id').where('user_id', '=', userId).limit(1).execute()).length > 0;
}

export async function deleteRecoveryCodesOf(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
}

/** Stores unused codes (their keyed hashes) for a user. */
export async function insertRecoveryCodes(db: Db, userId: string, codeHashes: Buffer[]): Promise<void> {
  await db.insertInto('mfa_recovery_codes').values(codeHashes.map((codeHash) => ({ user_id: userId, code_hash: codeHash, used_at: null }))).execute();
}

/** Marks the user's unused code of this hash used; returns how many rows changed (0 or 1). */
export async function useRecoveryCode(db: Db, userId: string, codeHash: Buffer, at: Date): Promise<number> {
  const used = await db.updateTable('mfa_recovery_codes').set({ used_at: at })
    .where('user_id', '=', userId).where('code_hash', '=', codeHash).where('used_at', 'is', null).executeTakeFirst();
  return Number(used.numUpdatedRows);
}

// --- Challenges ---

export async function insertChallenge(db: Db, row: Insertable<MfaChallengesTable>): Promise<MfaChallengeRow> {
  return db.insertInto('mfa_challenges').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The challenge of an id (and purpose, when given), locked for the transaction. */
export async function lockChallenge(trx: Db, challengeId: string, purpose?: string): Promise<MfaChallengeRow | undefined> {
  let q = trx.selectFrom('mfa_challenges').selectAll().where('id', '=', challengeId);
  if (purpose !== undefined) q = q.where('purpose', '=', purpose);
  return q.forUpdate().executeTakeFirst();
}

/** The user of a challenge of an id and purpose. */
export async function findChallengeOwner(db: Db, challengeId: string, purpose: string): Promise<{ user_id: string } | undefined> {
  return db.selectFrom('mfa_challenges').select('user_id').where('id', '=', challengeId).where('purpose', '=', purpose).executeTakeFirst();
}

/** The user of a challenge of an id and purpose, and whether it is spent or expired. */
export async function findChallengeState(db: Db, challengeId: string, purpose: string): Promise<Pick<MfaChallengeRow, 'user_id' | 'consumed_at' | 'expires_at'> | undefined> {
  return db.selectFrom('mfa_challenges').select(['user_id', 'consumed_at', 'expires_at']).where('id', '=', challengeId).where('purpose', '=', purpose).executeTakeFirst();
}

/** The challenge of a purpose behind a token (by the token's hash). */
export async function findChallengeByToken(db: Db, tokenHash: Buffer, purpose: string): Promise<MfaChallengeRow | undefined> {
  return db.selectFrom('mfa_challenges').selectAll().where('token_hash', '=', tokenHash).where('purpose', '=', purpose).executeTakeFirst();
}

export async function setChallengeAttempts(db: Db, challengeId: string, attempts: number): Promise<void> {
  await db.updateTable('mfa_challenges').set({ attempts }).where('id', '=', challengeId).execute();
}

/** Puts a sent code (its keyed hash), its method and factor on a challenge. */
export async function setChallengeCode(db: Db, challengeId: string, code: { method: string; code_hash: Buffer; factor_id: string | null }): Promise<void> {
  await db.updateTable('mfa_challenges').set(code).where('id', '=', challengeId).execute();
}

export async function markChallengeConsumed(db: Db, challengeId: string, at: Date): Promise<void> {
  await db.updateTable('mfa_challenges').set({ consumed_at: at }).where('id', '=', challengeId).execute();
}

/** Deletes a user's challenges of every purpose but `keepPurpose`. */
export async function deleteChallengesOf(db: Db, userId: string, keepPurpose: string): Promise<void> {
  await db.deleteFrom('mfa_challenges').where('user_id', '=', userId).where('purpose', '<>', keepPurpose).execute();
}

export async function deleteChallengesExpiredBefore(db: Db, before: Date): Promise<void> {
  await db.deleteFrom('mfa_challenges').where('expires_at', '<', before).execute();
}
