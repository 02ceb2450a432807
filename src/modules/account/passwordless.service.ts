// Sign-in without a password: a magic link, or a 6-digit code sent by email. The request
// answers the same whether or not the address has an account; with
// AUTH_MAGIC_LINK_SIGNUP the proof may create the account.
import type { Kysely } from 'kysely';
import { AppError } from '../../core/errors/index.ts';
import type { Database } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { AddressClaim, SignInGate } from '../sign-in/index.ts';
import type { BeforeSignup } from '../hooks/index.ts';
import type { Mailer } from '../mail/index.ts';
import type { SessionContext } from '../sessions/index.ts';
import { normalizeEmail, type UsersService } from '../users/index.ts';
import { REQUESTED_PURPOSES, type AddressLimits } from './address-limits.ts';
import type { Background } from '../../core/background.ts';
import type { OneTimeTokens, Proof } from './one-time-tokens.ts';
import type { RedirectPolicy } from './redirects.ts';

export interface PasswordlessDeps {
  db: Kysely<Database>;
  audit: AuditRecorder;
  users: UsersService;
  /** The sign-in gate: a proven mailbox is a first factor. */
  gate: Pick<SignInGate, 'complete'>;
  /** The first proof of an address settles who owns the account. */
  claim: AddressClaim['claim'];
  mailer: Mailer;
  tokens: OneTimeTokens;
  limits: AddressLimits;
  redirects: RedirectPolicy;
  /** The before-signup hook (AUTH_HOOK_BEFORE_SIGNUP_URL): asked before a proof creates an account. */
  beforeSignup?: BeforeSignup | undefined;
  settings: {
    publicUrl: string;
    magicLinkExpiresIn: number;
    emailCodeExpiresIn: number;
    signup: boolean;
    addressLimit: number;
    addressWindow: number;
  };
}

/** Thrown inside the proof's transaction to roll it back (the proof stays unspent) while the hook is asked. */
class SignupCheckNeeded extends Error {
  constructor(readonly email: string, readonly locale: string | null) {
    super('sign-up check needed');
  }
}

export function createPasswordlessService(deps: PasswordlessDeps, background: Background) {
  const { db, users, mailer, tokens, limits, settings: s } = deps;
  const everything = { purposes: REQUESTED_PURPOSES, max: s.addressLimit, windowSeconds: s.addressWindow };

  /**
   * The account a proof is for: the one it was sent to, or a new one when sign-up is on.
   * A new account needs the before-signup hook's consent first; the hook is not called
   * inside the transaction (it may take seconds), so the proof's transaction is rolled
   * back, the hook asked, and the proof checked again.
   */
  async function accountFor(purpose: 'magic_link' | 'email_code', proof: Proof) {
    try {
      return await accountOnce(purpose, proof, undefined);
    } catch (err) {
      if (!(err instanceof SignupCheckNeeded)) throw err;
      await deps.beforeSignup!({ method: purpose, email: err.email, username: null, locale: err.locale });
      return accountOnce(purpose, proof, err.email);
    }
  }

  async function accountOnce(purpose: 'magic_link' | 'email_code', proof: Proof, signupAllowedFor: string | undefined) {
    const outcome = await db.transaction().execute(async (trx) => {
      const checked = await tokens.consume(trx, purpose, proof);
      if (!checked.ok) return checked;
      const row = checked.row;
      let user = row.user_id ? await users.findById(row.user_id, trx) : await users.findByEmail(row.email, trx);
      if (user && user.email !== row.email) return { ok: false as const, code: 'email_token_invalid' as const };
      if (!user) {
        if (!s.signup) return { ok: false as const, code: 'email_token_invalid' as const };
        if (deps.beforeSignup && signupAllowedFor !== row.email) throw new SignupCheckNeeded(row.email, row.locale);
        user = await users.createFromEmail(trx, row.email, row.locale ?? 'en');
        await deps.audit(trx, { type: 'user.registered', subject: user.id, details: { method: 'email_link_or_code', role: user.role }, user });
      }
      if (!user.is_active) throw new AppError('account_disabled');
      // Using the message proves the address; a first proof this way (not through the
      // password) ends what an earlier registrant set.
      const claimed = await deps.claim(trx, user, purpose, false);
      const fresh = claimed.cleared ? await users.findById(user.id, trx) : undefined;
      return { ok: true as const, user: { ...(fresh ?? user), email_verified: true }, redirectTo: row.redirect_to, after: claimed.after };
    });
    if (!outcome.ok) throw new AppError(outcome.code);
    await outcome.after();
    if (outcome.user.id) await users.changed(outcome.user.id);
    return outcome;
  }

  /** Queues a message for the address if it has an account (or may get one). */
  function sendLater(what: string, address: string, locale: string, issue: (userId: string | null, userLocale: string) => Promise<void>) {
    background.run(what, async () => {
      const user = await users.findByEmail(address);
      if (user && !user.is_active) return;
      if (!user && !s.signup) return;
      await issue(user?.id ?? null, user?.locale ?? locale);
      mailer.flush();
    });
  }

  async function requestMagicLink(input: { email: string; redirectTo?: string | undefined; client: string; locale: string }): Promise<void> {
    const redirectTo = deps.redirects.check(input.redirectTo);
    const address = normalizeEmail(input.email);
    await db.transaction().execute((trx) => limits.take(trx, address, 'magic_link', [everything]));
    sendLater('magic link request', address, input.locale, async (userId, locale) => {
      await db.transaction().execute(async (trx) => {
        const t = await tokens.issue(trx, { purpose: 'magic_link', userId, email: address, ttlSeconds: s.magicLinkExpiresIn, redirectTo, locale });
        // A native app receives the token at its own (allow-listed) address and redeems it
        // with POST /auth/magic-link/verify; a browser lets Tessera sign it in and redirect.
        const link = input.client === 'native'
          ? deps.redirects.withParams(redirectTo, { token: t.token })
          : `${s.publicUrl}/auth/magic-link/verify?token=${t.token}`;
        await mailer.send(trx, 'magic_link', address, locale, { email: address, link, expiresIn: mailer.duration(locale, s.magicLinkExpiresIn) });
      });
    });
  }

  async function requestEmailCode(input: { email: string; locale: string }): Promise<void> {
    const address = normalizeEmail(input.email);
    await db.transaction().execute((trx) => limits.take(trx, address, 'email_code', [everything]));
    sendLater('email code request', address, input.locale, async (userId, locale) => {
      await db.transaction().execute(async (trx) => {
        const t = await tokens.issue(trx, { purpose: 'email_code', userId, email: address, ttlSeconds: s.emailCodeExpiresIn, locale });
        await mailer.send(trx, 'email_code', address, locale, { email: address, code: t.code, expiresIn: mailer.duration(locale, s.emailCodeExpiresIn) });
      });
    });
  }

  /** Signs in with a magic link's token; returns the session and where to send the browser. */
  async function verifyMagicLink(token: string, ctx: Omit<SessionContext, 'amr'>) {
    const { user, redirectTo } = await accountFor('magic_link', { token });
    const signedIn = await deps.gate.complete({ user, method: 'magic_link', amr: ['otp'] }, ctx);
    return { ...signedIn, redirectTo: redirectTo ?? deps.redirects.check(undefined) };
  }

  async function verifyEmailCode(email: string, code: string, ctx: Omit<SessionContext, 'amr'>) {
    const { user } = await accountFor('email_code', { email: normalizeEmail(email), code });
    return deps.gate.complete({ user, method: 'email_code', amr: ['otp'] }, ctx);
  }

  return { requestMagicLink, requestEmailCode, verifyMagicLink, verifyEmailCode };
}

export type PasswordlessService = ReturnType<typeof createPasswordlessService>;
