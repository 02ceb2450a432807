// Passkeys (WebAuthn, @simplewebauthn/server): registration and authentication ceremonies
// with server-side challenges that are single-use and short-lived, discoverable and
// non-discoverable credentials, user verification preferred. A passkey signs in on its
// own (amr hwk + user: multi-factor), or answers the second step after a password.
// Signature counters are checked: one going backwards means a cloned authenticator.
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Clock } from '../../core/clock.ts';

// Loaded on first use: the library is the costliest import of the service (a quarter of a
// second and 14 MB at start-up), and many deployments never see a passkey.
let webauthnModule: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (webauthnModule ??= import('@simplewebauthn/server'));
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import * as repo from './passkeys.repo.ts';
import { firstFactorOf, type SignInGate } from '../sign-in/index.ts';
import type { MfaService } from '../mfa/index.ts';
import type { SessionContext } from '../sessions/index.ts';
import { normalizeEmail, normalizeUsername, type UserRow, type UsersService } from '../users/index.ts';
import type { PasskeyRow } from './passkeys.table.ts';

export interface PasskeySettings {
  rpId: string;
  rpName: string;
  origins: string[];
  /** Seconds a ceremony's challenge lives. */
  challengeTtl: number;
}

export interface PasskeysDeps {
  audit: AuditRecorder;
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  secret: string;
  users: UsersService;
  /** The sign-in gate: a passkey is a first factor (two with user verification), or a second. */
  gate: Pick<SignInGate, 'complete'>;
  mfa: Pick<MfaService, 'completeWithPasskey' | 'challengeUser'>;
  settings: PasskeySettings;
  /** Provider identities of a user (social sign-in), which count as ways to sign in. */
  identityCount?: (userId: string) => Promise<number>;
}

type Purpose = 'register' | 'login' | 'factor';

/** The challenge a browser signed, read from its clientDataJSON. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string {
  try {
    const data = JSON.parse(Buffer.from(String(response.response?.clientDataJSON ?? ''), 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' ? data.challenge : '';
  } catch {
    return '';
  }
}

export function createPasskeysService(deps: PasskeysDeps) {
  const { db, clock, log, settings: s } = deps;
  const now = () => new Date(clock.now());

  const ofUser = (userId: string) => repo.passkeysOf(db, userId);

  async function storeChallenge(challenge: string, purpose: Purpose, userId: string | null, mfaChallengeId: string | null = null) {
    const created = now();
    await repo.insertCeremonyChallenge(db, { challenge, purpose, user_id: userId, mfa_challenge_id: mfaChallengeId, created_at: created, expires_at: new Date(created.getTime() + s.challengeTtl * 1000), consumed_at: null });
  }

  /** Spends the challenge the response signed: once, before it expires, for this purpose. */
  async function consumeChallenge(response: { response?: { clientDataJSON?: unknown } }, purposes: Purpose[]) {
    const challenge = challengeOf(response);
    const row = challenge ? await repo.spendCeremonyChallenge(db, challenge, purposes, now()) : undefined;
    if (!row) throw new AppError('passkey_challenge_invalid');
    return row;
  }

  async function registrationOptions(user: UserRow) {
    const existing = await ofUser(user.id);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: s.rpName, rpID: s.rpId, userName: user.email ?? user.username, userDisplayName: user.username,
      userID: Buffer.from(user.id.replace(/-/g, ''), 'hex'),
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      timeout: s.challengeTtl * 1000,
    });
    await storeChallenge(options.challenge, 'register', user.id);
    return options;
  }

  async function verifyRegistration(user: UserRow, response: RegistrationResponseJSON, name: string | undefined) {
    const ch = await consumeChallenge(response, ['register']);
    if (ch.user_id !== user.id) throw new AppError('passkey_challenge_invalid');
    let info;
    try {
      const result = await (await webauthn()).verifyRegistrationResponse({ response, expectedChallenge: ch.challenge, expectedOrigin: s.origins, expectedRPID: s.rpId, requireUserVerification: false });
      if (!result.verified) throw new Error('not verified');
      info = result.registrationInfo;
    } catch (err) {
      log.info({ auth: 'passkey_registration_refused', userId: user.id, reason: (err as Error).message }, 'passkey registration refused');
      throw new AppError('passkey_invalid');
    }
    const count = (await ofUser(user.id)).length;
    const row = await db.transaction().execute(async (trx) => {
      const row = await repo.insertPasskeyIfNew(trx, {
        id: info.credential.id, user_id: user.id, name: (name?.trim() || `Passkey ${count + 1}`).slice(0, 100),
        public_key: Buffer.from(info.credential.publicKey), counter: String(info.credential.counter), transports: info.credential.transports ?? [],
        device_type: info.credentialDeviceType, backed_up: info.credentialBackedUp, aaguid: info.aaguid, created_at: now(), last_used_at: null,
      });
      if (row) await deps.audit(trx, { type: 'passkey.added', subject: user.id, details: { passkeyId: row.id, name: row.name } });
      return row;
    });
    if (!row) throw new AppError('passkey_invalid', { message: 'This passkey is already registered' });
    return present(row);
  }

  /**
   * Options for signing in: discoverable (no identifier), for one account (email or
   * username: its credentials, or a stable decoy list for an unknown account so that the
   * answer does not say whether it exists), or for the second step of a sign-in.
   */
  async function loginOptions(input: { email?: string; username?: string; verificationId?: string }) {
    let userId: string | null = null;
    let allow: { id: string; transports?: string[] }[] = [];
    let purpose: Purpose = 'login';
    if (input.verificationId !== undefined) {
      userId = await deps.mfa.challengeUser(input.verificationId);
      allow = (await ofUser(userId)).map((p) => ({ id: p.id, transports: p.transports }));
      purpose = 'factor';
    } else if (input.email !== undefined || input.username !== undefined) {
      const identifier = input.email !== undefined ? normalizeEmail(input.email) : normalizeUsername(input.username!).toLowerCase();
      const user = input.email !== undefined ? await deps.users.findByEmail(input.email) : await deps.users.findByUsername(input.username!);
      const keys = user ? await ofUser(user.id) : [];
      userId = user?.id ?? null;
      allow = keys.length
        ? keys.map((p) => ({ id: p.id, transports: p.transports }))
        : [{ id: createHmac('sha256', deps.secret).update(`passkey-decoy:${identifier}`).digest().subarray(0, 32).toString('base64url'), transports: ['internal', 'hybrid'] }];
    }
    const options = await (await webauthn()).generateAuthenticationOptions({ rpID: s.rpId, allowCredentials: allow, userVerification: 'preferred', timeout: s.challengeTtl * 1000 });
    await storeChallenge(options.challenge, purpose, userId, purpose === 'factor' ? input.verificationId! : null);
    return options;
  }

  /** Verifies an assertion; signs in, or completes the second step of a sign-in. */
  async function verifyLogin(response: AuthenticationResponseJSON, ctx: Omit<SessionContext, 'amr'>) {
    const ch = await consumeChallenge(response, ['login', 'factor']);
    const credentialId = typeof response.id === 'string' ? response.id : '';
    const passkey = credentialId ? await repo.findPasskey(db, credentialId) : undefined;
    if (!passkey || (ch.user_id && ch.user_id !== passkey.user_id)) throw new AppError('passkey_invalid');
    let info;
    try {
      const result = await (await webauthn()).verifyAuthenticationResponse({
        response, expectedChallenge: ch.challenge, expectedOrigin: s.origins, expectedRPID: s.rpId, requireUserVerification: false,
        credential: { id: passkey.id, publicKey: new Uint8Array(passkey.public_key), counter: Number(passkey.counter), transports: passkey.transports as never },
      });
      if (!result.verified) throw new Error('not verified');
      info = result.authenticationInfo;
    } catch (err) {
      const message = (err as Error).message;
      if (/counter/i.test(message)) {
        log.warn({ auth: 'passkey_clone_suspected', userId: passkey.user_id, passkeyId: passkey.id, storedCounter: passkey.counter }, 'passkey signature counter went backwards: possible cloned authenticator; sign-in refused');
        await deps.audit(db, { type: 'passkey.clone_suspected', subject: passkey.user_id, success: false, reason: 'counter_regressed', actor: { type: 'anonymous' }, details: { passkeyId: passkey.id } });
      } else {
        log.info({ auth: 'passkey_refused', userId: passkey.user_id, reason: message }, 'passkey assertion refused');
        await deps.audit(db, { type: 'user.login_failed', subject: passkey.user_id, success: false, reason: 'passkey_invalid', details: { method: 'passkey' } });
      }
      throw new AppError('passkey_invalid');
    }
    await repo.recordPasskeyUse(db, passkey.id, String(info.newCounter), now());
    const user = await deps.users.findById(passkey.user_id);
    if (!user) throw new AppError('passkey_invalid');
    if (!user.is_active) throw new AppError('account_disabled');

    if (ch.purpose === 'factor') {
      const done = await deps.mfa.completeWithPasskey(ch.mfa_challenge_id ?? '', user.id);
      return { client: done.client, signedIn: await deps.gate.complete({ user: done.user, method: firstFactorOf(done.amr), amr: done.amr, secondFactorDone: true }, { ...ctx, client: done.client }) };
    }
    // With user verification a passkey is two factors at once (something held, something known or are).
    const amr = info.userVerified ? ['hwk', 'user'] : ['hwk'];
    return { client: ctx.client, signedIn: await deps.gate.complete({ user, method: 'passkey', amr, secondFactorDone: info.userVerified }, ctx) };
  }

  const present = (p: PasskeyRow) => ({
    id: p.id, name: p.name, createdAt: p.created_at.toISOString(), lastUsedAt: p.last_used_at?.toISOString() ?? null,
    deviceType: p.device_type, backedUp: p.backed_up, transports: p.transports,
  });

  return {
    registrationOptions, verifyRegistration, loginOptions, verifyLogin,
    /** Deletes ceremony challenges that ended more than a day ago. */
    prune: async () => { await repo.deleteCeremonyChallengesExpiredBefore(db, new Date(clock.now() - 86_400_000)); },
    list: async (userId: string) => (await ofUser(userId)).map(present),
    async rename(userId: string, id: string, name: string) {
      const row = await repo.renamePasskey(db, userId, id, name.trim().slice(0, 100));
      if (!row) throw new AppError('not_found');
      return present(row);
    },
    /** Removes a passkey, unless it is the account's last way to sign in (no password, no other passkey, no provider identity). */
    async remove(user: UserRow, id: string) {
      const keys = await ofUser(user.id);
      if (!keys.some((k) => k.id === id)) throw new AppError('not_found');
      const current = await deps.users.findById(user.id);
      if (keys.length === 1 && !current?.password_hash && (await deps.identityCount?.(user.id) ?? 0) === 0) throw new AppError('last_sign_in_method');
      await db.transaction().execute(async (trx) => {
        await repo.deletePasskey(trx, id, user.id);
        await deps.audit(trx, { type: 'passkey.removed', subject: user.id, details: { passkeyId: id } });
      });
    },
    /** Removes every passkey of a user (admin MFA reset); returns how many. */
    removeAllIn: (trx: Db, userId: string): Promise<number> => repo.removeAllOf(trx, userId),
  };
}

export type PasskeysService = ReturnType<typeof createPasskeysService>;
