// Single-use proofs of access to a mailbox: each issue makes a 256-bit link token and a
// 6-digit code, stores only their hashes (the code keyed with a server secret, so a
// database dump does not reveal it by brute force), and supersedes the earlier live
// ones of the same purpose and address. A code gives up after MAX_CODE_ATTEMPTS wrong
// tries; both expire. Checks take the row lock and run in the caller's transaction, so
// that consuming a token and acting on it commit together.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { createKeyedHasher, randomToken, sha256, sixDigitCode } from '../../core/crypto/index.ts';
import type { WriteBatch } from '../../core/db/index.ts';
import type { Db } from '../../database.ts';
import * as repo from './account.repo.ts';
import type { EmailTokenRow } from './account.table.ts';

export const MAX_CODE_ATTEMPTS = 5;

export type TokenPurpose = 'verify_email' | 'password_reset' | 'magic_link' | 'email_code' | 'email_change' | 'password_expired';

export interface Issued {
  id: string;
  token: string;
  code: string;
  expiresAt: Date;
}

/** How the client proves it read the message: the link's token, or a code with the id or address. */
export type Proof = { token: string } | { id: string; code: string } | { email: string; code: string };

export type Checked =
  | { ok: true; row: EmailTokenRow }
  | { ok: false; code: 'email_token_invalid' | 'email_token_expired' | 'invalid_code' | 'too_many_attempts' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createOneTimeTokens(deps: { clock: Clock; secret: string }) {
  const codeHash = createKeyedHasher(deps.secret, 'tessera/email-codes/v1');

  type IssueInput = { purpose: TokenPurpose; userId: string | null; email: string; ttlSeconds: number; redirectTo?: string | null; locale?: string | null; amr?: string[] };

  /**
   * A new token's row and what is handed out. An issue spends the address's earlier live
   * tokens of the purpose, then stores the new one; as one statement's two writes (in a
   * batch), the update sees the table as it was before, so it never spends the token
   * inserted beside it.
   */
  function newToken(input: IssueInput) {
    const now = new Date(deps.clock.now());
    const id = randomUUID();
    const token = randomToken(32);
    const code = sixDigitCode();
    const expiresAt = new Date(now.getTime() + input.ttlSeconds * 1000);
    const row = {
      id, purpose: input.purpose, user_id: input.userId, email: input.email, token_hash: sha256(token), code_hash: codeHash(id, code),
      redirect_to: input.redirectTo ?? null, locale: input.locale ?? null, amr: input.amr ? input.amr.join(' ') : null, created_at: now, expires_at: expiresAt, consumed_at: null,
    };
    return { now, row, issued: { id, token, code, expiresAt } };
  }

  /** Whether `id` is a token of this purpose that was issued to the user (spent, replaced or not). */
  async function wasIssuedTo(on: Db, id: string, purpose: TokenPurpose, userId: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const row = await repo.findTokenIssuedTo(on, id, purpose, userId);
    return row !== undefined;
  }

  /** The user a token of this purpose was issued to (spent, replaced or not). */
  async function ownerOf(on: Db, id: string, purpose: TokenPurpose): Promise<string | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await repo.findTokenOwner(on, id, purpose);
    return row?.user_id ?? undefined;
  }

  async function issue(trx: Db, input: IssueInput): Promise<Issued> {
    const { now, row, issued } = newToken(input);
    await repo.spendLiveTokens(trx, input.purpose, input.email, now);
    await repo.insertToken(trx, row);
    return issued;
  }

  /** issue as writes of a batch; `on` builds the queries. */
  function issueBatched(batch: WriteBatch, on: Db, input: IssueInput): Issued {
    const { now, row, issued } = newToken(input);
    repo.spendLiveTokensBatched(batch, on, input.purpose, input.email, now);
    repo.insertTokenBatched(batch, on, row);
    return issued;
  }

  async function findForUpdate(trx: Db, purpose: TokenPurpose, proof: Proof, lock = true): Promise<EmailTokenRow | undefined> {
    let by: repo.TokenLookup;
    if ('token' in proof) by = { tokenHash: sha256(proof.token) };
    else if ('id' in proof) {
      if (!UUID.test(proof.id)) return undefined;
      by = { id: proof.id };
    } else {
      // The newest live code sent to the address.
      by = { newestLiveTo: proof.email };
    }
    return repo.findToken(trx, purpose, by, lock);
  }

  /**
   * Checks a proof and, when it holds, spends the token. A wrong code is counted in the
   * same transaction: commit it even when the check fails.
   */
  async function consume(trx: Db, purpose: TokenPurpose, proof: Proof): Promise<Checked> {
    const now = deps.clock.now();
    const byCode = !('token' in proof);
    const row = await findForUpdate(trx, purpose, proof);
    const unknown = byCode ? 'invalid_code' : 'email_token_invalid';
    if (!row || row.consumed_at) return { ok: false, code: unknown };
    if (row.expires_at.getTime() <= now) return { ok: false, code: 'email_token_expired' };
    if (row.attempts >= MAX_CODE_ATTEMPTS) return { ok: false, code: 'too_many_attempts' };
    if (byCode) {
      const given = /^\d{6}$/.test(proof.code) ? codeHash(row.id, proof.code) : Buffer.alloc(32);
      if (!timingSafeEqual(given, row.code_hash)) {
        const attempts = row.attempts + 1;
        await repo.setTokenAttempts(trx, row.id, attempts);
        return { ok: false, code: attempts >= MAX_CODE_ATTEMPTS ? 'too_many_attempts' : 'invalid_code' };
      }
    }
    await repo.markTokenConsumed(trx, row.id, new Date(now));
    return { ok: true, row: { ...row, consumed_at: new Date(now) } };
  }

  /**
   * The user a proof would be for, without checking or spending it: lets a caller do slow
   * work (policy, hashing) before the short transaction that consumes the proof.
   */
  async function peekUser(db: Db, purpose: TokenPurpose, proof: Proof): Promise<string | undefined> {
    const row = await findForUpdate(db, purpose, proof, false);
    return row && !row.consumed_at ? (row.user_id ?? undefined) : undefined;
  }

  /** Ends every live token of a user for a purpose (a reset spends the other reset links). */
  async function revokeForUser(trx: Db, userId: string, purpose: TokenPurpose): Promise<void> {
    await repo.spendLiveTokensOfUser(trx, userId, purpose, new Date(deps.clock.now()));
  }

  /** Deletes tokens that ended more than a week ago. */
  async function prune(db: Db): Promise<void> {
    await repo.deleteTokensEndedBefore(db, new Date(deps.clock.now() - 7 * 86_400_000));
  }

  return { issue, issueBatched, consume, peekUser, revokeForUser, prune, wasIssuedTo, ownerOf };
}

export type OneTimeTokens = ReturnType<typeof createOneTimeTokens>;
