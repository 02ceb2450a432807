// The password as a first factor: limits, lockout and the bot check around the hash, then
// the gate. A right password alone never clears the account's failures: only a session
// issued by the gate does, so a known password does not reopen the second factor's tries.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { sha256 } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Lockout, RateLimiter } from '../../core/limits/index.ts';
import type { Captcha } from './captcha.ts';
import { normalizeEmail, normalizeUsername, type UserRow, type UsersService } from '../users/index.ts';
import type { GateContext, SignedIn, SignInGate } from './gate.ts';

export interface LoginInput {
  email?: string | undefined;
  username?: string | undefined;
  password: string;
  captchaToken?: string | undefined;
}

export interface PasswordSignInDeps {
  clock: Clock;
  users: UsersService;
  passwords: PasswordHasher;
  log: FastifyBaseLogger;
  gate: SignInGate;
  lockout: Lockout;
  /** Per-identifier sign-in limit (all attempts, from any address). */
  identifierLimit: RateLimiter;
  captcha?: Captcha | undefined;
  captchaAfter: number;
  lockoutDurationSeconds: number;
  /** Records the lock and tells the user. */
  locked: (user: UserRow) => Promise<void>;
}

export function createPasswordSignIn(deps: PasswordSignInDeps) {
  const { users, passwords, gate } = deps;

  async function login(input: LoginInput, ctx: GateContext): Promise<SignedIn> {
    // 1. The identifier as typed (normalised) is limited from every address at once.
    const identifier = input.email !== undefined ? `email:${normalizeEmail(input.email)}` : `username:${normalizeUsername(input.username ?? '').toLowerCase()}`;
    await deps.identifierLimit.hit(`login-id:${sha256(identifier).toString('base64url')}`);
    // 2. Find the account by email or username.
    const user = input.email !== undefined ? await users.findByEmail(input.email) : await users.findByUsername(input.username ?? '');
    // 3. A locked identifier or account stops here, account or not (the same keys and work either way).
    const keys = deps.lockout.keysOf(identifier, user?.id ?? `none-${sha256(identifier).toString('base64url')}`);
    await deps.lockout.assertOpen(keys);
    // 4. After repeated failures, a bot check.
    if (deps.captcha && (await deps.lockout.failures(keys)).count >= deps.captchaAfter) await deps.captcha.verify(input.captchaToken, ctx.ip ?? undefined);
    // 5. Check the password; unknown users cost the same hash so timing tells nothing.
    const failed = async (reason: string) => {
      gate.decision('login_failed', { reason, ...(user ? { userId: user.id } : {}), ip: ctx.ip });
      await gate.record({ type: 'user.login_failed', subject: user?.id ?? null, success: false, reason, details: { method: 'password' } });
      if ((await deps.lockout.fail(keys)) && user) {
        deps.log.warn({ auth: 'account_locked', userId: user.id }, 'sign-in locked after repeated failures');
        await deps.locked(user);
      }
      return new AppError('invalid_credentials');
    };
    if (!user?.password_hash) {
      await passwords.dummyVerify(input.password);
      throw await failed('unknown_user');
    }
    const check = await passwords.verify(user.password_hash, input.password);
    if (!check.ok) throw await failed('wrong_password');
    // 6. Legacy or outdated hashes become argon2id with current parameters.
    const newHash = check.needsRehash ? await passwords.hash(input.password) : undefined;
    // 7. The gate decides the rest (disabled, unverified, second factor, expired password).
    return gate.complete({ user, method: 'password', amr: ['pwd'], newHash, notify: true }, ctx);
  }

  return { login };
}

export type PasswordSignIn = ReturnType<typeof createPasswordSignIn>;
