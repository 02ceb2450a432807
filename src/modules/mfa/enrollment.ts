// Enrollment tokens: when a role requires a second factor the user lacks, sign-in hands
// out a short-lived token (an `enroll` challenge) that only allows enrolling a factor,
// then signing in with the amr of the flow it came from.
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { randomToken, sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database } from '../../database.ts';
import type { UserRow, UsersService } from '../users/index.ts';
import { flowAmr, type Challenges } from './challenges.ts';
import * as repo from './mfa.repo.ts';

/** Seconds an enrollment token lasts (15 minutes): time to install an authenticator app. */
const ENROLLMENT_TTL = 15 * 60;

export interface EnrollmentDeps {
  db: Kysely<Database>;
  clock: Clock;
  users: UsersService;
  challenges: Pick<Challenges, 'create'>;
}

export function createEnrollment(deps: EnrollmentDeps) {
  const { db, clock } = deps;

  /** A short-lived token that only allows enrolling a factor (then signing in). */
  async function enrollmentToken(user: UserRow, client: string, amr: string[]): Promise<{ token: string; expiresAt: Date }> {
    const token = randomToken(32);
    const ch = await db.transaction().execute((trx) => deps.challenges.create(trx, user.id, 'enroll', { client, tokenHash: sha256(token), ttl: ENROLLMENT_TTL, firstAmr: amr.join(' ') }));
    return { token, expiresAt: ch.expires_at };
  }

  /** The user an enrollment token stands for (without spending it). */
  async function enrollmentUser(token: string): Promise<{ user: UserRow; challengeId: string; client: string; amr: string[] }> {
    const ch = await repo.findChallengeByToken(db, sha256(token), 'enroll');
    if (!ch || ch.consumed_at || ch.expires_at.getTime() <= clock.now()) throw new AppError('unauthorized', { message: 'The enrollment token is invalid or has expired' });
    const user = await deps.users.findById(ch.user_id);
    if (!user?.is_active) throw new AppError('unauthorized');
    return { user, challengeId: ch.id, client: ch.client ?? 'web', amr: flowAmr(ch.first_amr) };
  }

  /** Spends the token once its factor is enrolled. */
  async function spendEnrollment(challengeId: string): Promise<void> {
    await repo.markChallengeConsumed(db, challengeId, new Date(clock.now()));
  }

  return { enrollmentToken, enrollmentUser, spendEnrollment };
}
