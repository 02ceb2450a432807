// Passkeys' part of the composition root: the relying party and the origins that may
// answer its ceremonies (AUTH_WEBAUTHN_ORIGINS, else the client's and Tessera's own), and
// the chore.
import type { NamedChore } from '../../core/chores.ts';
import { publicUrl, type Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import { createPasskeysService, type PasskeysDeps } from './passkeys.service.ts';

export function wirePasskeys(config: Config, deps: Pick<PasskeysDeps, 'db' | 'clock' | 'log' | 'secret' | 'users' | 'gate' | 'mfa' | 'identityCount'> & { changes: ChangeEmitter }) {
  const passkeys = createPasskeysService({
    db: deps.db, clock: deps.clock, log: deps.log, secret: deps.secret, users: deps.users, gate: deps.gate, mfa: deps.mfa, audit: deps.changes.emit, identityCount: deps.identityCount,
    settings: {
      rpId: config.webauthnRpId, rpName: config.webauthnRpName, challengeTtl: config.webauthnChallengeExpiresIn,
      origins: config.webauthnOrigins.length ? config.webauthnOrigins.map((o) => new URL(o).origin) : [...new Set([new URL(config.clientUrl).origin, new URL(publicUrl(config)).origin])],
    },
  });
  const chores: NamedChore[] = [{ name: 'passkey_challenges', prune: () => passkeys.prune() }];
  return { passkeys, chores };
}
