// The OpenID provider's part of the composition root: the issuer and lifetimes, the check
// of id_token_hint against the JWKS keys, the chore, and the subscription that ends the
// applications' grants of a browser session that ended.
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { NamedChore } from '../../core/chores.ts';
import { publicUrl, type Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { verifyJwt, type KeyStore } from '../tokens/index.ts';
import { createOidcProvider, type OidcProviderDeps } from './oidc.service.ts';

export function wireOidc(config: Config, deps: Pick<OidcProviderDeps, 'db' | 'clock' | 'log' | 'sessions' | 'users' | 'gate' | 'outbound'> & {
  changes: ChangeEmitter;
  auth: { authenticate: OidcProviderDeps['authenticate'] };
  keys: Pick<KeyStore, 'signingKey' | 'resolve'>;
  bus: Pick<InvalidationBus, 'subscribe'>;
}) {
  const { log, keys, auth } = deps;
  // Tessera as an OpenID Connect provider; its sessions and tokens come from the gate.
  const issuer = publicUrl(config);
  const oidc = createOidcProvider({
    db: deps.db, clock: deps.clock, log, sessions: deps.sessions, users: deps.users, gate: deps.gate, audit: deps.changes.emit, authenticate: (t) => auth.authenticate(t), issuer,
    idTokenTtl: config.accessTokenExpiry, codeTtl: 60, outbound: deps.outbound, allowHttpRedirects: config.nodeEnv !== 'production',
    signingAlg: () => keys.signingKey().alg,
    verifyIdTokenHint: (token) => {
      // Expired hints are accepted (RP-Initiated Logout 1.0, 2): the signature and issuer decide.
      let iat: unknown;
      try { iat = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat?: unknown }).iat; } catch { return undefined; }
      if (typeof iat !== 'number') return undefined;
      const r = verifyJwt(token, { resolveKey: keys.resolve, nowSeconds: iat, issuer });
      return r.ok ? r.payload : undefined;
    },
  });
  const chores: NamedChore[] = [{ name: 'oidc_requests_and_codes', prune: async () => { await oidc.prune(); } }];
  // A browser session that ends (any way: logout, revocation, password change, a disabled
  // account) ends the applications' grants made through it, and tells those that asked.
  deps.bus.subscribe((m) => {
    if (m.kind !== 'session' && m.kind !== 'user_sessions') return;
    oidc.logout.ssoSessionEnded(m.kind === 'session' ? { ssoSessionId: m.id } : { userId: m.id })
      .catch((err: unknown) => log.warn({ err, session: m.id }, 'ending the grants of an ended session failed'));
  });
  return { oidc, chores };
}
