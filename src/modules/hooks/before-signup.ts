// The before-signup hook: asked before a registration (or a passwordless sign-up) creates
// an account; `{"decision": "reject", "message": "..."}` refuses it with that message.
// When it cannot answer, the configured outcome applies: `closed` refuses the sign-up
// (503 hook_failed), `open` lets it through. The password never leaves Tessera.
import type { Logger } from 'pino';
import { AppError } from '../../core/errors/index.ts';
import { requestContext } from '../../core/context.ts';
import type { AuditEntry } from '../audit/index.ts';
import type { OnFailure } from './custom-claims.ts';
import type { HookClient, HookFailure } from './hook-client.ts';

export interface SignupAttempt {
  /** How the account would be created. */
  method: 'password' | 'magic_link' | 'email_code' | 'oauth';
  /** Social sign-up: the provider's name. */
  provider?: string;
  /** Normalised (lower-case) address; null for a registration without one (AUTH_EMAIL_REQUIRED=false). */
  email: string | null;
  /** Null when Tessera chooses it (passwordless sign-up). */
  username: string | null;
  locale: string | null;
}

/** Throws signup_rejected when the hook refuses, hook_failed when it fails closed. */
export type BeforeSignup = (attempt: SignupAttempt) => Promise<void>;

export interface BeforeSignupDeps {
  client: HookClient;
  onFailure: OnFailure;
  log: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Records the refusal in the audit log. */
  audit: (entry: AuditEntry) => Promise<void>;
}

/** Longest message shown to the client (characters). */
export const MAX_MESSAGE_LENGTH = 200;

/** The hook's message as plain, single-line text of bounded length; undefined when unusable. */
export function publicMessage(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Control characters and the invisible ones that reorder or hide text.
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g, ' ').replace(/\s+/g, ' ').trim();
  return clean ? Array.from(clean).slice(0, MAX_MESSAGE_LENGTH).join('').trim() : undefined;
}

export function createBeforeSignupHook(deps: BeforeSignupDeps): BeforeSignup {
  const { client, log } = deps;
  return async (attempt) => {
    const ctx = requestContext();
    const outcome = await client.call({
      type: 'before_signup',
      method: attempt.method,
      ...(attempt.provider ? { provider: attempt.provider } : {}),
      user: { email: attempt.email, username: attempt.username, locale: attempt.locale },
      ip: ctx?.ip ?? null,
      userAgent: ctx?.userAgent ?? null,
    });
    const about = { hook: 'before_signup', method: attempt.method, ms: outcome.ms };
    const refuse = async (reason: 'hook_rejected' | 'hook_failed') => {
      await deps.audit({ type: 'user.signup_rejected', subject: null, success: false, reason, details: { method: attempt.method, email: attempt.email } });
    };
    const failed = async (reason: HookFailure, status?: number): Promise<void> => {
      const fields = { ...about, reason, ...(status !== undefined ? { status } : {}), onFailure: deps.onFailure };
      if (deps.onFailure === 'closed') {
        log.error(fields, 'before-signup hook failed: sign-up refused (AUTH_HOOK_BEFORE_SIGNUP_ON_FAILURE=closed)');
        await refuse('hook_failed');
        throw new AppError('hook_failed');
      }
      log.warn(fields, 'before-signup hook failed: sign-up allowed (AUTH_HOOK_BEFORE_SIGNUP_ON_FAILURE=open)');
    };
    if (!outcome.ok) return failed(outcome.reason, outcome.status);
    const decision = outcome.body.decision;
    if (decision === undefined || decision === null || decision === 'continue') {
      log.debug({ ...about, decision: 'continue' }, 'before-signup hook answered');
      return;
    }
    // Anything else than the two decisions is a broken hook, not a permission.
    if (decision !== 'reject') return failed('invalid_response', outcome.status);
    log.info({ ...about, decision: 'reject' }, 'sign-up rejected by the before-signup hook');
    await refuse('hook_rejected');
    const message = publicMessage(outcome.body.message);
    throw new AppError('signup_rejected', message ? { message } : {});
  };
}
