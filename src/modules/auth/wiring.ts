// Auth's part of the composition root: the token API, with the bearer check's rule from
// configuration and whether a custom-claims hook is asked.
import type { Config } from '../../core/config/index.ts';
import { createAuthService, type AuthServiceDeps } from './auth.service.ts';

export function wireAuth(config: Config, deps: Pick<AuthServiceDeps, 'db' | 'users' | 'sessions' | 'tokens' | 'log' | 'lockout' | 'gate'> & { hooks: { customClaims?: unknown } }) {
  const auth = createAuthService({
    db: deps.db, users: deps.users, sessions: deps.sessions, tokens: deps.tokens, log: deps.log, sessionCheck: config.sessionCheck, lockout: deps.lockout, gate: deps.gate,
    hasClaimsHook: Boolean(deps.hooks.customClaims),
  });
  return { auth };
}
