// Challenges: what a second factor answers. Purposes: `login` (the second step of a
// sign-in), `reauth` (step-up), `phone` (proving an SMS number) and `enroll` (behind an
// enrollment token). A challenge lives a set time, takes MAX_MFA_ATTEMPTS answers and is
// spent once; the method named in an answer checks its code through the MfaMethod interface.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { MfaMethod } from './methods/method.ts';
import * as repo from './mfa.repo.ts';
import type { MfaChallengeRow } from './mfa.table.ts';

export const MAX_MFA_ATTEMPTS = 5;

/** Whether a string can be a challenge id (a UUID), checked before it reaches SQL. */
export const isChallengeId = (id: string): boolean => /^[0-9a-f-]{36}$/i.test(id);

/** What a challenge remembers of the flow that opened it (the amr values, space-separated). */
export const flowAmr = (stored: string | null): string[] => (stored ? stored.split(' ').filter(Boolean) : ['pwd']);

export type AnswerFailure = 'mfa_challenge_invalid' | 'mfa_challenge_expired' | 'invalid_code' | 'too_many_attempts';

export interface ChallengesDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** Seconds a challenge lives unless told otherwise. */
  challengeTtl: number;
}

export function createChallenges(deps: ChallengesDeps) {
  const { db, clock } = deps;
  const now = () => new Date(clock.now());

  async function create(trx: Db, userId: string, purpose: string, extra: { client?: string; tokenHash?: Buffer; ttl?: number; firstAmr?: string } = {}): Promise<MfaChallengeRow> {
    const created = now();
    return repo.insertChallenge(trx, {
      id: randomUUID(), user_id: userId, purpose, method: null, factor_id: null, code_hash: null, token_hash: extra.tokenHash ?? null,
      client: extra.client ?? null, first_amr: extra.firstAmr ?? null, created_at: created, expires_at: new Date(created.getTime() + (extra.ttl ?? deps.challengeTtl) * 1000), consumed_at: null,
    });
  }

  /** Why an unspent challenge takes no more answers (expired, or out of attempts), if it does not. */
  function closed(ch: MfaChallengeRow): 'mfa_challenge_expired' | 'too_many_attempts' | null {
    if (ch.expires_at.getTime() <= clock.now()) return 'mfa_challenge_expired';
    if (ch.attempts >= MAX_MFA_ATTEMPTS) return 'too_many_attempts';
    return null;
  }

  /** The challenge of an id, locked for the transaction; undefined when there is none. */
  async function lock(trx: Db, challengeId: string, purpose?: string): Promise<MfaChallengeRow | undefined> {
    if (!isChallengeId(challengeId)) return undefined;
    return repo.lockChallenge(trx, challengeId, purpose);
  }

  /**
   * Answers a challenge with a method (undefined: one the registry does not know, such as a
   * passkey here) and a code, spending it on success. A wrong answer is counted (commit
   * the transaction even when this returns a failure); the fifth ends it.
   */
  async function answer(trx: Db, challengeId: string, purpose: string, method: MfaMethod | undefined, code: string, userId?: string): Promise<{ ok: true; challenge: MfaChallengeRow } | { ok: false; code: AnswerFailure }> {
    if (!isChallengeId(challengeId)) return { ok: false, code: 'mfa_challenge_invalid' };
    const ch = await lock(trx, challengeId, purpose);
    if (!ch || ch.consumed_at || (userId && ch.user_id !== userId)) return { ok: false, code: 'mfa_challenge_invalid' };
    const why = closed(ch);
    if (why) return { ok: false, code: why };
    if (!method) return { ok: false, code: 'mfa_challenge_invalid' };
    const right = await method.check(trx, { userId: ch.user_id, challenge: ch }, code);
    if (!right) {
      const attempts = ch.attempts + 1;
      await repo.setChallengeAttempts(trx, ch.id, attempts);
      return { ok: false, code: attempts >= MAX_MFA_ATTEMPTS ? 'too_many_attempts' : 'invalid_code' };
    }
    await repo.markChallengeConsumed(trx, ch.id, now());
    return { ok: true, challenge: ch };
  }

  /** `answer` in its own transaction (a wrong answer's count is kept), throwing the failure. */
  async function answerOrThrow(purpose: string, challengeId: string, method: MfaMethod | undefined, code: string, userId?: string): Promise<MfaChallengeRow> {
    const r = await db.transaction().execute((trx) => answer(trx, challengeId, purpose, method, code, userId));
    if (!r.ok) throw new AppError(r.code);
    return r.challenge;
  }

  return { create, closed, lock, answer, answerOrThrow };
}

export type Challenges = ReturnType<typeof createChallenges>;
