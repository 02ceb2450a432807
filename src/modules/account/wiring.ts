// Account's part of the composition root: the notices, the per-address limits, the
// one-time proofs and the redirect policy, the account service with its email flows'
// lifetimes and limits, the lock notice, the passwordless sign-in, and the chores.
import type { Background } from '../../core/background.ts';
import type { NamedChore } from '../../core/chores.ts';
import { publicUrl, type Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import type { Hooks } from '../hooks/index.ts';
import type { UserRow } from '../users/index.ts';
import type { AccountServiceDeps } from './account-deps.ts';
import { createAccountService } from './account.service.ts';
import { createAddressLimits, type AddressLimits } from './address-limits.ts';
import { createNotices } from './notices.ts';
import { createOneTimeTokens, type OneTimeTokens } from './one-time-tokens.ts';
import { createPasswordlessService, type PasswordlessDeps } from './passwordless.service.ts';
import { createRedirectPolicy, type RedirectPolicy } from './redirects.ts';

export function wireAccount(config: Config, deps: Pick<AccountServiceDeps, 'db' | 'clock' | 'log' | 'users' | 'sessions' | 'passwords' | 'mailer' | 'claim' | 'secret' | 'afterDelete'> & {
  changes: ChangeEmitter;
  hooks: Pick<Hooks, 'beforeSignup'>;
  metrics: { rateLimited(limiter: string): void };
  background: Background;
}) {
  const { db, clock, mailer, changes, secret } = deps;
  const notices = createNotices({ mailer, sessions: deps.sessions, db, clock, newSignIn: config.newSignInNotice });
  const addressLimits = createAddressLimits({ clock, secret, onLimited: () => deps.metrics.rateLimited('address') });
  const oneTime = createOneTimeTokens({ clock, secret });
  const redirects = createRedirectPolicy(config.clientUrl, config.redirectAllowlist, config.uiEnabled ? new URL(publicUrl(config)).origin : undefined);
  const account = createAccountService({
    db, clock, log: deps.log, users: deps.users, sessions: deps.sessions, passwords: deps.passwords, mailer, notices, tokens: oneTime, limits: addressLimits,
    audit: changes.emit, auditBatched: changes.emitBatched, beforeSignup: deps.hooks.beforeSignup, claim: deps.claim, secret,
    afterDelete: deps.afterDelete,
    settings: {
      publicUrl: publicUrl(config), clientUrl: config.clientUrl,
      verificationExpiresIn: config.emailVerificationExpiresIn, resendLimit: config.emailVerificationResendLimit,
      resendInterval: config.emailVerificationResendInterval, resetExpiresIn: config.passwordResetExpiresIn,
      emailChangeExpiresIn: config.emailChangeExpiresIn, addressLimit: config.emailAddressLimit, addressWindow: config.emailAddressWindow,
    },
  }, deps.background);
  // A lock (after wrong passwords, second factors or re-authentications) is recorded and told to the user.
  const onLocked = async (user: UserRow) => {
    await changes.emit(db, { type: 'account.locked', subject: user.id, reason: 'repeated_failures', actor: { type: 'system' }, details: { durationSeconds: config.lockoutDuration } });
    await db.transaction().execute((trx) => notices.accountLocked(trx, user, new Date(clock.now() + config.lockoutDuration * 1000)));
    mailer.flush();
  };
  // Request records serve the address limits and the daily SMS cap: kept a day at least.
  const keepRequests = Math.max(86_400, config.emailAddressWindow, config.emailVerificationExpiresIn, config.emailVerificationResendInterval);
  const chores: NamedChore[] = [
    { name: 'one_time_tokens', prune: () => oneTime.prune(db) },
    { name: 'mail_requests', prune: () => addressLimits.prune(db, keepRequests) },
  ];
  return { account, notices, addressLimits, oneTime, redirects, onLocked, chores };
}

/** Magic links and email codes: a proven mailbox as a first factor, ending in the sign-in gate. */
export function wirePasswordless(config: Config, deps: Pick<PasswordlessDeps, 'db' | 'users' | 'gate' | 'claim' | 'mailer'> & {
  oneTime: OneTimeTokens;
  addressLimits: AddressLimits;
  redirects: RedirectPolicy;
  changes: ChangeEmitter;
  hooks: Pick<Hooks, 'beforeSignup'>;
  background: Background;
}) {
  const passwordless = createPasswordlessService({
    db: deps.db, users: deps.users, gate: deps.gate, claim: deps.claim, mailer: deps.mailer, tokens: deps.oneTime, limits: deps.addressLimits, redirects: deps.redirects,
    audit: deps.changes.emit, beforeSignup: deps.hooks.beforeSignup,
    settings: {
      publicUrl: publicUrl(config), magicLinkExpiresIn: config.magicLinkExpiresIn, emailCodeExpiresIn: config.emailCodeExpiresIn,
      signup: config.magicLinkSignup, addressLimit: config.emailAddressLimit, addressWindow: config.emailAddressWindow,
    },
  }, deps.background);
  return { passwordless };
}
