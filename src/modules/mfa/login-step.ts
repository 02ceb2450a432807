// The second step of a sign-in: what a user must do after a right first factor (answer a
// challenge, enroll a factor, nothing), the `login` challenge and its codes, and completing
// it with a method or a passkey. A wrong answer counts on the account's lockout.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { AccountFailures } from '../../core/limits/index.ts';
import { readBatch, type Read, type ReadBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { UserRow, UsersService } from '../users/index.ts';
import { flowAmr, isChallengeId, type Challenges } from './challenges.ts';
import * as repo from './mfa.repo.ts';
import { AMR, type Method, type MethodRegistry } from './methods/method.ts';
import type { MfaChallengeRow } from './mfa.table.ts';

/** What a sign-in needs after its first factor. */
export type SecondStep = { kind: 'none' } | { kind: 'enroll' } | { kind: 'challenge'; methods: Method[] };

export interface LoginStepDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  mailer: Mailer;
  users: UsersService;
  audit: AuditRecorder;
  failures: AccountFailures;
  hasPasskeysRead: (reads: ReadBatch, userId: string) => Read<boolean>;
  rolesOf: (userId: string) => Promise<string[]>;
  requiredForRoles: string[];
  challenges: Challenges;
  methods: MethodRegistry;
}

export function createLoginStep(deps: LoginStepDeps) {
  const { db, clock, mailer, challenges, methods: registry } = deps;

  /**
   * The methods a user can answer a challenge with, the preferred first: the factors and
   * passkeys join the caller's read batch, and the function returned answers after its run.
   */
  function methodsRead(reads: ReadBatch, userId: string): () => Promise<Method[]> {
    const factorTypes = repo.activeFactorTypesRead(reads, db, userId);
    const passkeys = deps.hasPasskeysRead(reads, userId);
    return async () => {
      const types = new Set(factorTypes.value);
      const methods: Method[] = passkeys.value ? ['passkey'] : [];
      for (const m of registry.all) if (await m.offered(userId, types, methods)) methods.push(m.type);
      return methods;
    };
  }

  /** The methods a user can answer a challenge with, the preferred first. */
  async function methodsOf(userId: string): Promise<Method[]> {
    const reads = readBatch();
    const methods = methodsRead(reads, userId);
    await reads.run(db);
    return methods();
  }

  /**
   * What a sign-in needs after its first factor, read once (in the gate's read batch):
   * `enroll` when one of the user's roles (or a role they include) requires a factor and
   * there is none, `challenge` (with the methods) when the user has factors, `none` otherwise.
   */
  function secondStepRead(reads: ReadBatch, user: UserRow): () => Promise<SecondStep> {
    const methodsNow = methodsRead(reads, user.id);
    return async () => {
      const methods = await methodsNow();
      if (methods.length) return { kind: 'challenge', methods };
      if (!deps.requiredForRoles.length) return { kind: 'none' };
      const roles = await deps.rolesOf(user.id);
      return roles.some((r) => deps.requiredForRoles.includes(r)) ? { kind: 'enroll' } : { kind: 'none' };
    };
  }

  /** The sign-in challenge for a user with factors; the preferred method's code is sent. */
  async function loginChallenge(user: UserRow, client: string, amr: string[], methods: Method[]): Promise<{ verificationId: string; expiresAt: Date; methods: Method[] }> {
    const ch = await db.transaction().execute((trx) => challenges.create(trx, user.id, 'login', { client, firstAmr: amr.join(' ') }));
    const first = registry.get(methods[0]!);
    if (first?.send) {
      const send = first.send;
      // When the preferred code cannot go out (a cap, the provider), the challenge still
      // stands: the user can answer with another method or ask again.
      try {
        await db.transaction().execute(async (trx) => send(trx, ch, user, (await repo.activeFactors(trx, user.id)).find((f) => f.type === first.type)));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        deps.log.warn({ userId: user.id, method: first.type, code: err.code }, 'the code of the preferred second factor was not sent');
      }
    }
    mailer.flush();
    return { verificationId: ch.id, expiresAt: ch.expires_at, methods };
  }

  /** Sends the code of another method (email or SMS) for a sign-in or reauthentication challenge. */
  async function resend(challengeId: string, method: 'email' | 'sms', userId?: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const ch = await challenges.lock(trx, challengeId);
      if (!ch || ch.consumed_at || !['login', 'reauth'].includes(ch.purpose) || (userId && ch.user_id !== userId)) throw new AppError('mfa_challenge_invalid');
      const why = challenges.closed(ch);
      if (why) throw new AppError(why);
      const factor = (await repo.activeFactors(trx, ch.user_id)).find((f) => f.type === method);
      const sender = registry.get(method)?.send;
      if (!factor || !sender) throw new AppError('mfa_method_unavailable');
      const user = await deps.users.findById(ch.user_id, trx);
      if (!user) throw new AppError('mfa_challenge_invalid');
      await sender(trx, ch, user, factor);
    });
    mailer.flush();
  }

  /** Completes a sign-in challenge; returns the user, the client and the amr to sign in with. */
  async function completeLogin(challengeId: string, method: Method, code: string): Promise<{ user: UserRow; client: string; amr: string[] }> {
    // A locked account answers nothing, whichever challenge or address the answer comes from.
    const owner = isChallengeId(challengeId) ? await repo.findChallengeOwner(db, challengeId, 'login') : undefined;
    if (owner) await deps.failures.assertOpen(owner.user_id);
    let ch: MfaChallengeRow;
    try {
      ch = await challenges.answerOrThrow('login', challengeId, registry.get(method), code);
    } catch (err) {
      // A wrong code is a failed sign-in of the challenge's user, counted on the account.
      if (owner && err instanceof AppError && (err.code === 'invalid_code' || err.code === 'too_many_attempts')) {
        await deps.audit(db, { type: 'user.login_failed', subject: owner.user_id, success: false, reason: `mfa_${err.code}`, details: { method } });
        await deps.failures.fail(owner.user_id, `mfa_${err.code}`);
      }
      throw err;
    }
    const user = await deps.users.findById(ch.user_id);
    if (!user) throw new AppError('mfa_challenge_invalid');
    if (!user.is_active) throw new AppError('account_disabled');
    await deps.audit(db, { type: 'mfa.challenge_succeeded', subject: user.id, details: { method } });
    return { user, client: ch.client ?? 'web', amr: [...flowAmr(ch.first_amr), AMR[method]] };
  }

  /** Completes a sign-in challenge with a passkey assertion the passkeys module verified. */
  async function completeWithPasskey(challengeId: string, userId: string): Promise<{ user: UserRow; client: string; amr: string[] }> {
    const ch = await db.transaction().execute(async (trx) => {
      const row = await challenges.lock(trx, challengeId, 'login');
      if (!row || row.consumed_at || row.user_id !== userId) throw new AppError('mfa_challenge_invalid');
      const why = challenges.closed(row);
      if (why) throw new AppError(why);
      await repo.markChallengeConsumed(trx, row.id, new Date(clock.now()));
      return row;
    });
    const user = await deps.users.findById(ch.user_id);
    if (!user) throw new AppError('mfa_challenge_invalid');
    if (!user.is_active) throw new AppError('account_disabled');
    await deps.audit(db, { type: 'mfa.challenge_succeeded', subject: user.id, details: { method: 'passkey' } });
    return { user, client: ch.client ?? 'web', amr: [...flowAmr(ch.first_amr), AMR.passkey] };
  }

  /** The user a live sign-in challenge belongs to (for passkey options of its second step). */
  async function challengeUser(challengeId: string): Promise<string> {
    const row = isChallengeId(challengeId) ? await repo.findChallengeState(db, challengeId, 'login') : undefined;
    if (!row || row.consumed_at) throw new AppError('mfa_challenge_invalid');
    if (row.expires_at.getTime() <= clock.now()) throw new AppError('mfa_challenge_expired');
    return row.user_id;
  }

  return { methodsOf, secondStepRead, loginChallenge, resend, completeLogin, completeWithPasskey, challengeUser };
}
