// Sign-in's part of the composition root: the gate (every way in ends there) with the
// rules that configuration sets, the bot check, and the password as a first factor.
import type { Logger } from 'pino';
import type { Config } from '../../core/config/index.ts';
import type { RateLimiter } from '../../core/limits/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import type { Hooks } from '../hooks/index.ts';
import type { RbacService } from '../rbac/index.ts';
import { createCaptcha } from './captcha.ts';
import { createSignInGate, type SignInGateDeps } from './gate.ts';
import { createPasswordSignIn, type PasswordSignInDeps } from './password.ts';

type GatePieces = 'db' | 'clock' | 'users' | 'sessions' | 'tokens' | 'issuePasswordChange' | 'notices' | 'mailer' | 'lockout' | 'mfa' | 'organizations';

export function wireSignIn(config: Config, deps: Pick<SignInGateDeps, GatePieces> & Pick<PasswordSignInDeps, 'passwords' | 'locked'> & {
  log: Logger;
  changes: ChangeEmitter;
  rbac: Pick<RbacService, 'accessOf' | 'accessCached' | 'accessRead'>;
  hooks: Pick<Hooks, 'customClaims'>;
  /** The per-identifier sign-in limit. */
  loginLimit: RateLimiter;
}) {
  const { clock, users, log, lockout, rbac } = deps;
  const captcha = config.captchaProvider && config.captchaSecret
    ? createCaptcha({ provider: config.captchaProvider, secret: config.captchaSecret, verifyUrl: config.captchaVerifyUrl, log })
    : undefined;
  // Every way in ends in the gate, the one place that starts sessions.
  const gate = createSignInGate({
    db: deps.db, clock, users, sessions: deps.sessions, tokens: deps.tokens, log, debugMode: config.debugMode, requireVerifiedEmail: config.emailVerificationRequired,
    passwordMaxAgeDays: config.passwordChangeRequiredDays, issuePasswordChange: deps.issuePasswordChange,
    notices: deps.notices, mailer: deps.mailer, lockout, mfa: deps.mfa, audit: deps.changes.emit, auditBatched: deps.changes.emitBatched,
    access: (id) => rbac.accessOf(id), accessRead: (reads, user) => rbac.accessRead(reads, user), accessCached: (id) => rbac.accessCached(id), customClaims: deps.hooks.customClaims, organizations: deps.organizations,
  });
  const passwordSignIn = createPasswordSignIn({
    clock, users, passwords: deps.passwords, log, gate, lockout, identifierLimit: deps.loginLimit, captcha, captchaAfter: config.captchaLoginAfter,
    lockoutDurationSeconds: config.lockoutDuration, locked: deps.locked,
  });
  return { gate, passwordSignIn, captcha };
}
