// Hooks' part of the composition root: the operator's hook URLs, secret, timeout and
// failure modes from configuration; what the hooks record goes on the change feed.
import type { Config } from '../../core/config/index.ts';
import type { Db } from '../../database.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { createHooks, type HooksDeps } from './hooks.service.ts';

export function wireHooks(config: Config, deps: Pick<HooksDeps, 'clock' | 'log'> & { db: Db; changes: ChangeEmitter }) {
  const { db, changes } = deps;
  // Synchronous hooks: claims for user access tokens, consent to sign-ups.
  const hooks = createHooks({
    customClaimsUrl: config.hookCustomClaimsUrl, beforeSignupUrl: config.hookBeforeSignupUrl, secret: config.hookSecret, timeoutSeconds: config.hookTimeout,
    customClaimsOnFailure: config.hookCustomClaimsOnFailure, beforeSignupOnFailure: config.hookBeforeSignupOnFailure,
  }, { clock: deps.clock, log: deps.log, audit: (entry) => changes.emit(db, entry) });
  return { hooks };
}
