// Users: registration rules and look-ups. The first user ever registered becomes admin.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createKeyedCache } from '../../core/cache/keyed-cache.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { PasswordHasher } from '../../core/crypto/index.ts';
import { isUniqueViolation } from '../../core/db/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Database, Db } from '../../database.ts';
import * as repo from './users.repo.ts';
import type { UserRow } from './users.table.ts';

export interface PublicUser {
  id: string;
  username: string;
  email: string;
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

export function normalizeUsername(username: string): string {
  return username.trim().normalize('NFKC');
}

export interface UsersServiceDeps {
  db: Kysely<Database>;
  passwords: PasswordHasher;
  defaultRole: string;
  bus: InvalidationBus;
  clock: Clock;
}

export function createUsersService(deps: UsersServiceDeps) {
  const { db, passwords, defaultRole } = deps;
  // Bearer checks read the user on every request: rows are cached per instance and
  // dropped on every instance whenever `changed(id)` is announced.
  const cache = createKeyedCache<UserRow>({ bus: deps.bus, clock: deps.clock, kind: 'user' });

  async function register(input: { username: string; email: string; password: string }): Promise<PublicUser> {
    const email = normalizeEmail(input.email);
    const username = normalizeUsername(input.username);
    // Cheap check first so that duplicates do not cost a hash; the unique indexes decide.
    const taken = await repo.emailOrUsernameTaken(db, email, username);
    if (taken.email) throw new AppError('email_taken');
    if (taken.username) throw new AppError('username_taken');
    const passwordHash = await passwords.hash(input.password);
    try {
      const user = await db.transaction().execute(async (trx) => {
        const first = await repo.claimFlag(trx, FIRST_ADMIN_FLAG);
        return repo.insertUser(trx, { id: randomUUID(), username, email, password_hash: passwordHash, role: first ? ADMIN_ROLE : defaultRole });
      });
      return toPublicUser(user);
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_lower_key')) throw new AppError('email_taken');
      if (isUniqueViolation(err, 'users_username_lower_key')) throw new AppError('username_taken');
      throw err;
    }
  }

  return {
    register,
    findById: (id: string, on: Db = db) => repo.findById(on, id),
    /** The user for a bearer check, from this instance's cache when it is current. */
    findByIdCached: (id: string) => cache.get(id, () => repo.findById(db, id)),
    /** Announces that a user row changed (after commit), so that every instance re-reads it. */
    changed: (id: string) => deps.bus.publish({ kind: 'user', id }),
    findByEmail: (email: string, on: Db = db) => repo.findByEmail(on, normalizeEmail(email)),
    findByUsername: (username: string, on: Db = db) => repo.findByUsername(on, normalizeUsername(username)),
    recordLogin: (on: Db, id: string, at: Date, newHash?: string) => repo.recordLogin(on, id, at, newHash),
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
