// Step-up: sensitive actions want a recent proof of identity in the session. The proof is
// a password, a code of a method that needs no challenge (TOTP, a recovery code), or the
// answer to a `reauth` challenge whose code went by email or SMS. Each wrong proof counts
// on the account's lockout, and a locked account proves nothing.
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.ts';
import { AppError } from '../../core/errors/index.ts';
import type { AccountFailures } from '../../core/limits/index.ts';
import type { Database } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { UserRow } from '../users/index.ts';
import type { Challenges } from './challenges.ts';
import { activeFactors } from './mfa.repo.ts';
import { AMR, type Method, type MethodRegistry } from './methods/method.ts';
import type { MfaChallengeRow } from './mfa.table.ts';

export interface StepUpDeps {
  db: Kysely<Database>;
  clock: Clock;
  sessions: SessionsService;
  mailer: Mailer;
  audit: AuditRecorder;
  failures: AccountFailures;
  /** Seconds a proof of identity counts as recent. */
  reauthMaxAge: number;
  challenges: Pick<Challenges, 'create' | 'answerOrThrow'>;
  methods: MethodRegistry;
}

export function createStepUp(deps: StepUpDeps) {
  const { db, clock, mailer, challenges, methods: registry } = deps;

  /** Throws reauthentication_required unless the session proved its user within AUTH_REAUTH_MAX_AGE. */
  async function requireRecent(sessionId: string): Promise<void> {
    const p = await deps.sessions.proof(sessionId);
    if (!p || clock.now() - p.at > deps.reauthMaxAge * 1000) throw new AppError('reauthentication_required');
  }

  /** A challenge for reauthenticating with an email or SMS code. */
  async function reauthChallenge(user: UserRow, method: 'email' | 'sms'): Promise<{ verificationId: string; expiresAt: Date }> {
    const factor = (await activeFactors(db, user.id)).find((f) => f.type === method);
    const send = registry.get(method)?.send;
    if (!factor || !send) throw new AppError('mfa_method_unavailable');
    const ch = await db.transaction().execute(async (trx) => {
      const c = await challenges.create(trx, user.id, 'reauth');
      await send(trx, c, user, factor);
      return c;
    });
    mailer.flush();
    return { verificationId: ch.id, expiresAt: ch.expires_at };
  }

  /** Proves the user again in a session: a password, a TOTP or recovery code, or a sent code. */
  async function reauthenticate(user: UserRow, sessionId: string, proof: { password?: string; method?: Method; code?: string; verificationId?: string }, verifyPassword: (hash: string, pw: string) => Promise<boolean>): Promise<void> {
    // A locked account proves nothing; each wrong proof counts on the account's lockout.
    await deps.failures.assertOpen(user.id);
    const failed = async (code: 'invalid_credentials' | 'invalid_code' | 'too_many_attempts') => {
      await deps.audit(db, { type: 'user.login_failed', subject: user.id, success: false, reason: `reauth_${code}`, details: { method: proof.password !== undefined ? 'password' : proof.method ?? null, reauthentication: true } });
      await deps.failures.fail(user.id, `reauth_${code}`);
      return new AppError(code);
    };
    // A method that sends no code is answered without a challenge.
    const direct = proof.method !== undefined ? registry.get(proof.method) : undefined;
    let amr: string;
    if (proof.password !== undefined) {
      if (!user.password_hash || !(await verifyPassword(user.password_hash, proof.password))) throw await failed('invalid_credentials');
      amr = 'pwd';
    } else if (proof.code !== undefined && proof.verificationId !== undefined) {
      let ch: MfaChallengeRow;
      try {
        ch = await challenges.answerOrThrow('reauth', proof.verificationId, registry.get(proof.method ?? 'email'), proof.code, user.id);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'invalid_code' || err.code === 'too_many_attempts')) throw await failed(err.code);
        throw err;
      }
      // The amr of the method whose code the challenge sent.
      amr = AMR[(ch.method ?? 'email') as Method];
    } else if (proof.code !== undefined && direct && !direct.send) {
      const code = proof.code;
      const ok = await db.transaction().execute((trx) => direct.check(trx, { userId: user.id }, code));
      if (!ok) throw await failed('invalid_code');
      amr = AMR[direct.type];
    } else {
      throw new AppError('validation_failed', { details: [{ field: 'password', message: 'send password, or method and code, or verification_id and code' }] });
    }
    await deps.sessions.reauthenticated(sessionId, [amr]);
  }

  return { requireRecent, reauthChallenge, reauthenticate };
}
