// Users: registration rules and look-ups. The first user ever registered becomes admin
// (and super_admin, through `onFirstAdmin`).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createKeyedCache } from '../../core/cache/keyed-cache.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { isUniqueViolation, type WriteBatch } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import * as repo from './users.repo.ts';
import type { UserRow } from './users.table.ts';

export interface PublicUser {
  id: string;
  username: string;
  /** null: an account without an address (AUTH_EMAIL_REQUIRED=false). */
  email: string | null;
  role: string;
}

export const FIRST_ADMIN_FLAG = 'first_user_registered';
export const ADMIN_ROLE = 'admin';

export function toPublicUser(u: UserRow): PublicUser {
  return { id: u.id, username: u.username, email: u.email, role: u.role };
}

/** Lower-cases and trims an email; unicode in the local part is kept as typed (NFC). */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** normalizeEmail for an optional address: absent, null or blank is no address. */
export function optionalEmail(email: string | null | undefined): string | null {
  const e = email == null ? '' : normalizeEmail(email);
  return e === '' ? null : e;
}

export function normalizeUsername(username: string): string {
  return username.trim().normalize('NFKC');
}

/** A username for an account that signed up with an address only: its local part and a random suffix. */
export function usernameFromEmail(email: string): string {
  const local = normalizeUsername(email.split('@')[0] ?? '').replace(/[^\p{L}\p{N}._-]/gu, '').replace(/^[._-]+/, '').slice(0, 40) || 'user';
  return `${local}_${randomBytes(3).toString('hex')}`;
}

/** The password policy as users needs it (see the passwords module). */
export interface PasswordRules {
  check(password: string, who: { username?: string; email?: string; previousHashes?: () => Promise<string[]> }): Promise<void>;
  settings: { historyCount: number };
}

export interface UsersServiceDeps {
  policy: PasswordRules;
  db: Kysely<Database>;
  passwords: PasswordHasher;
  defaultRole: string;
  /** Every account needs an address (AUTH_EMAIL_REQUIRED); false allows accounts without one. */
  emailRequired?: boolean;
  bus: InvalidationBus;
  clock: Clock;
  /** Runs in the transaction that creates the first admin (grants super_admin too). */
  onFirstAdmin: (trx: Db, userId: string) => Promise<void>;
}

export function createUsersService(deps: UsersServiceDeps) {
  const { db, passwords, defaultRole } = deps;
  // Bearer checks read the user on every request: rows are cached per instance and
  // dropped on every instance whenever `changed(id)` is announced.
  const cache = createKeyedCache<UserRow>({ bus: deps.bus, clock: deps.clock, kind: 'user' });

  // Once this process has seen the first account claimed (committed by someone), it stays
  // claimed: the flag is never cleared, so later registrations skip the statement.
  let firstClaimed = false;

  /** Inserts a user; the first one ever becomes admin. Runs in the caller's transaction. */
  async function insertNew(trx: Db, row: Omit<repo.NewUser, 'id' | 'role'>): Promise<UserRow> {
    const first = !firstClaimed && (await repo.claimFlag(trx, FIRST_ADMIN_FLAG));
    if (!first) firstClaimed = true;
    const user = await repo.insertUser(trx, { id: randomUUID(), ...row, role: first ? ADMIN_ROLE : defaultRole });
    if (first) await deps.onFirstAdmin(trx, user.id);
    return user;
  }

  /** The address of a new account; refused when absent and every account needs one. */
  function addressOf(email: string | null | undefined): string | null {
    const address = optionalEmail(email);
    if (address === null && deps.emailRequired !== false) throw new AppError('validation_failed', { details: [{ field: 'email', message: 'email is required' }] });
    return address;
  }

  /** Maps a unique violation of the email or username index to its code. */
  function uniqueCodes(err: unknown): never {
    if (isUniqueViolation(err, 'users_email_lower_key')) throw new AppError('email_taken');
    if (isUniqueViolation(err, 'users_username_lower_key')) throw new AppError('username_taken');
    throw err;
  }

  /**
   * An account created by an administrator or the bootstrap, inside the caller's
   * transaction. A null hash makes an account without a password (set-password email,
   * magic links, passkeys).
   */
  async function createAccount(trx: Db, input: { username: string; email?: string | null | undefined; passwordHash: string | null; role: string; emailVerified: boolean; metadata?: Record<string, unknown>; locale?: string }): Promise<UserRow> {
    const email = addressOf(input.email);
    const username = normalizeUsername(input.username);
    const taken = await repo.emailOrUsernameTaken(trx, email, username);
    if (taken.email) throw new AppError('email_taken');
    if (taken.username) throw new AppError('username_taken');
    // Whoever creates an account, later registrations are not the first any more.
    await repo.claimFlag(trx, FIRST_ADMIN_FLAG);
    try {
      return await repo.insertUser(trx, {
        id: randomUUID(), username, email, password_hash: input.passwordHash, role: input.role, locale: input.locale ?? 'en',
        email_verified: email !== null && input.emailVerified, password_changed_at: input.passwordHash ? new Date(deps.clock.now()) : null, metadata: input.metadata ?? {},
      });
    } catch (err) {
      return uniqueCodes(err);
    }
  }

  /**
   * Registers an account with a password. `onCreated` runs in the same transaction (the
   * verification message is queued there), and its result is returned beside the user.
   */
  async function register<T = undefined>(
    input: { username: string; email?: string | null | undefined; password: string; locale?: string; metadata?: Record<string, unknown> | undefined },
    onCreated?: (trx: Db, user: UserRow) => Promise<T>,
  ): Promise<{ user: PublicUser; row: UserRow; extra: T | undefined }> {
    const email = addressOf(input.email);
    const username = normalizeUsername(input.username);
    // Cheap check first so that duplicates do not cost a hash; the unique indexes decide.
    const taken = await repo.emailOrUsernameTaken(db, email, username);
    if (taken.email) throw new AppError('email_taken');
    if (taken.username) throw new AppError('username_taken');
    await deps.policy.check(input.password, { username, ...(email !== null ? { email } : {}) });
    const passwordHash = await passwords.hash(input.password);
    try {
      const { row, extra } = await db.transaction().execute(async (trx) => {
        const created = await insertNew(trx, {
          username, email, password_hash: passwordHash, password_changed_at: new Date(deps.clock.now()), locale: input.locale ?? 'en', ...(input.metadata ? { metadata: input.metadata } : {}),
        });
        return { row: created, extra: onCreated ? await onCreated(trx, created) : undefined };
      });
      return { user: toPublicUser(row), row, extra };
    } catch (err) {
      return uniqueCodes(err);
    }
  }

  /**
   * Creates a password-less account for a proven address (magic link or email code with
   * AUTH_MAGIC_LINK_SIGNUP). The username is the address's local part plus a random suffix.
   */
  async function createFromEmail(trx: Db, email: string, locale: string, emailVerified = true): Promise<UserRow> {
    return insertNew(trx, { username: usernameFromEmail(email), email: normalizeEmail(email), password_hash: null, locale, email_verified: emailVerified });
  }

  return {
    register,
    createAccount,
    /** Administrative changes inside the caller's transaction; returns the row as it was. */
    async update(trx: Db, id: string, changes: repo.UserChanges): Promise<UserRow | undefined> {
      const normalized = { ...changes };
      if (changes.email !== undefined) normalized.email = changes.email === null ? null : normalizeEmail(changes.email);
      if (changes.username !== undefined) normalized.username = normalizeUsername(changes.username);
      try {
        return await repo.updateUser(trx, id, normalized, new Date(deps.clock.now()));
      } catch (err) {
        return uniqueCodes(err);
      }
    },
    /** Deletes a user and everything that hangs on it (cascade); false when unknown. */
    delete: (trx: Db, id: string) => repo.deleteUser(trx, id),
    findById: (id: string, on: Db = db) => repo.findById(on, id),
    /** Records that users exist (imports), so that no later registration becomes the first admin. */
    claimFirstUser: async (trx: Db): Promise<void> => { await repo.claimFlag(trx, FIRST_ADMIN_FLAG); },
    /** The user for a bearer check, from this instance's cache when it is current. */
    findByIdCached: (id: string) => cache.get(id, () => repo.findById(db, id)),
    /** The cached user when this instance holds a current copy; undefined otherwise (no read). */
    peekCached: (id: string) => cache.peek(id),
    /** Announces that a user row changed (after commit), so that every instance re-reads it. */
    changed: (id: string) => deps.bus.publish({ kind: 'user', id }),
    findByEmail: (email: string, on: Db = db) => repo.findByEmail(on, normalizeEmail(email)),
    findByUsername: (username: string, on: Db = db) => repo.findByUsername(on, normalizeUsername(username)),
    recordLogin: (on: Db, id: string, at: Date, newHash?: string) => repo.recordLogin(on, id, at, newHash),
    /** recordLogin and changed, as writes of a batch: the row's update and its announcement. */
    recordLoginBatched(batch: WriteBatch, id: string, at: Date, newHash?: string): void {
      batch.write(repo.recordLoginQuery(db, id, at, newHash));
      deps.bus.publishWith(batch, { kind: 'user', id });
    },
    createFromEmail,
    /** Stores a new password hash (the replaced one joins the history when it is kept). */
    setPassword: (on: Db, id: string, hash: string) => repo.setPassword(on, id, hash, new Date(deps.clock.now()), deps.policy.settings.historyCount),
    /** Checks a new password for a user against the policy, their history included. */
    checkNewPassword: (user: UserRow, password: string) => deps.policy.check(password, {
      username: user.username, ...(user.email !== null ? { email: user.email } : {}), previousHashes: () => repo.previousHashes(db, user.id, deps.policy.settings.historyCount),
    }),
    markEmailVerified: (on: Db, id: string) => repo.markEmailVerified(on, id, new Date(deps.clock.now())),
    /** Removes the password and its history (an address claimed by someone who did not set it). */
    clearPassword: (on: Db, id: string) => repo.clearPassword(on, id, new Date(deps.clock.now())),
    /** Whether every account needs an address (AUTH_EMAIL_REQUIRED). */
    emailRequired: deps.emailRequired !== false,
    /** Sets a confirmed new address (which counts as verified); email_taken if another account has it. */
    async updateEmail(on: Db, id: string, email: string): Promise<void> {
      try {
        await repo.updateEmail(on, id, normalizeEmail(email), new Date(deps.clock.now()));
      } catch (err) {
        uniqueCodes(err);
      }
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
