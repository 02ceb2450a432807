// Steps shared by the account flows: a proof checked with its effect in one transaction,
// and the service-wide limit on mail to one address.
import type { Kysely } from 'kysely';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import { REQUESTED_PURPOSES, type AddressRule } from './address-limits.ts';
import type { AccountSettings } from './account-deps.ts';

/** What a proof's transaction ends with: its value, or the code of the check that failed. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: 'email_token_invalid' | 'email_token_expired' | 'invalid_code' | 'too_many_attempts' };

/** Runs a proof check and its effect in one transaction; a failed check still commits its attempt count. */
export async function withProof<T>(db: Kysely<Database>, run: (trx: Db) => Promise<Outcome<T>>): Promise<T> {
  const outcome = await db.transaction().execute(run);
  if (!outcome.ok) throw new AppError(outcome.code);
  return outcome.value;
}

/** The rule every request naming an address counts against, whatever its purpose. */
export function everyRequest(s: AccountSettings): AddressRule {
  return { purposes: REQUESTED_PURPOSES, max: s.addressLimit, windowSeconds: s.addressWindow };
}
