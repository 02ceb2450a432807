// Per-address limits on mail: every request that would send a message to an address is
// recorded whether or not an account exists there, so that the limit stops mail-bombing
// and its answers say nothing about accounts. Requests for one address are serialised
// with an advisory lock, so concurrent requests cannot slip past the limit together.
import type { Clock } from '../../core/clock.ts';
import { createKeyedHasher } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import * as repo from './account.repo.ts';

/**
 * What callers ask for by naming an address. The verification message that registration
 * sends is recorded too (for the resend interval) but not counted here, so that an
 * address with a new account and one without get exactly the same answers.
 */
export const REQUESTED_PURPOSES = ['verify_resend', 'password_reset', 'magic_link', 'email_code', 'email_change'];

export interface AddressRule {
  /** Purposes counted by this rule (all when omitted). */
  purposes?: string[];
  max: number;
  windowSeconds: number;
  /** Count requests for every address, not just this one (a service-wide cap). */
  everyAddress?: boolean;
  /** Called when this rule refuses (to log a service-wide cap being reached). */
  onLimit?: () => void;
}

export function createAddressLimits(deps: { clock: Clock; secret: string; onLimited?: () => void }) {
  // Keyed, so that the table does not list which addresses were asked about.
  const keyed = createKeyedHasher(deps.secret, 'tessera/address-limits/v1');
  const hash = (address: string) => keyed('address', address);
  /** The record of one request (what the rules count). */
  const request = (addressHash: Buffer, purpose: string, at: number) => ({ address_hash: addressHash, purpose, created_at: new Date(at) });

  /**
   * Records a request of `purpose` for `email` unless one of the rules is exhausted, in
   * which case it throws rate_limited with Retry-After. Runs in the caller's transaction.
   */
  async function take(trx: Db, email: string, purpose: string, rules: AddressRule[]): Promise<void> {
    const h = hash(email);
    const now = deps.clock.now();
    // One address at a time; a service-wide rule serialises every address. Without a rule
    // there is nothing to count, so nothing to serialise: the request is only recorded.
    if (rules.some((r) => r.everyAddress)) await repo.lockEveryAddress(trx);
    else if (rules.length) await repo.lockAddress(trx, h.toString('hex'));
    for (const rule of rules) {
      if (rule.max <= 0) deps.onLimited?.();
      if (rule.max <= 0) throw new AppError('rate_limited', { headers: { 'retry-after': String(rule.windowSeconds) } });
      const rows = await repo.recentRequests(trx, {
        since: new Date(now - rule.windowSeconds * 1000), addressHash: rule.everyAddress ? null : h, purposes: rule.purposes, limit: rule.max,
      });
      if (rows.length >= rule.max) {
        const oldest = rows[rows.length - 1]!.created_at.getTime();
        const retryAfter = Math.max(1, Math.ceil((oldest + rule.windowSeconds * 1000 - now) / 1000));
        rule.onLimit?.();
        deps.onLimited?.();
        throw new AppError('rate_limited', { headers: { 'retry-after': String(retryAfter) } });
      }
    }
    await repo.insertRequest(trx, request(h, purpose, now));
  }

  /**
   * take without rules (registration's own message: recorded, never counted), as a write
   * of a batch; `on` builds the query (the batch's transaction or the pool).
   */
  function recordBatched(batch: WriteBatch, on: Db, email: string, purpose: string): void {
    repo.insertRequestBatched(batch, on, request(hash(email), purpose, deps.clock.now()));
  }

  /** Forgets requests older than `seconds`. */
  async function prune(db: Db, seconds: number): Promise<void> {
    await repo.deleteRequestsBefore(db, new Date(deps.clock.now() - seconds * 1000));
  }

  return { take, recordBatched, prune };
}

export type AddressLimits = ReturnType<typeof createAddressLimits>;
