// Kysely queries of MFA shared by the methods and the flows: plain functions over `db` or
// `trx`, no rules.
import type { Db } from '../../database.ts';
import type { MfaFactorRow } from './mfa.table.ts';

/** A user's verified factors, oldest first. */
export const activeFactors = (on: Db, userId: string): Promise<MfaFactorRow[]> =>
  on.selectFrom('mfa_factors').selectAll().where('user_id', '=', userId).where('verified_at', 'is not', null).orderBy('created_at').execute();
