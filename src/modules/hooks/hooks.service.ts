// The configured hooks, built once from the settings: each is undefined when its URL is
// unset, so that callers skip it without a network call.
import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { AuditEntry } from '../audit/index.ts';
import { createBeforeSignupHook, type BeforeSignup } from './before-signup.ts';
import { createCustomClaimsHook, type CustomClaims, type OnFailure } from './custom-claims.ts';
import { createHookClient } from './hook-client.ts';

export interface HookSettings {
  customClaimsUrl?: string | undefined;
  beforeSignupUrl?: string | undefined;
  secret?: string | undefined;
  timeoutSeconds: number;
  customClaimsOnFailure: OnFailure;
  beforeSignupOnFailure: OnFailure;
}

export interface HooksDeps {
  clock: Clock;
  log: Logger;
  audit: (entry: AuditEntry) => Promise<void>;
  /** Replaceable in tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export interface Hooks {
  customClaims: CustomClaims | undefined;
  beforeSignup: BeforeSignup | undefined;
}

export function createHooks(settings: HookSettings, deps: HooksDeps): Hooks {
  const client = (url: string | undefined, name: string) => {
    if (!url) return undefined;
    // The configuration check makes this unreachable; a hook is never called unsigned.
    if (!settings.secret) throw new Error(`${name} needs AUTH_HOOK_SECRET`);
    return createHookClient({ url, secret: settings.secret, timeoutMs: settings.timeoutSeconds * 1000, clock: deps.clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  };
  const claimsClient = client(settings.customClaimsUrl, 'AUTH_HOOK_CUSTOM_CLAIMS_URL');
  const signupClient = client(settings.beforeSignupUrl, 'AUTH_HOOK_BEFORE_SIGNUP_URL');
  const log = deps.log.child({ module: 'hooks' });
  return {
    customClaims: claimsClient && createCustomClaimsHook({ client: claimsClient, onFailure: settings.customClaimsOnFailure, log }),
    beforeSignup: signupClient && createBeforeSignupHook({ client: signupClient, onFailure: settings.beforeSignupOnFailure, log, audit: deps.audit }),
  };
}
