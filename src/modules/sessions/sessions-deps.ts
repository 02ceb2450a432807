// What every sessions use case takes first: the dependencies the composition root passes
// to createSessionsService, and what the binding makes once per instance from them (the
// settings it derives, the cache of session state, the refresh's group commit). Nothing
// here is module-level: two instances (tests build several) share no state.
import type { Kysely } from 'kysely';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';
import type { Clock } from '../../core/clock.ts';
import type { SqlQuery, WriteBatch } from '../../core/db/index.ts';
import type { Database, Db } from '../../database.ts';
import type { GeoLocator } from './geoip.ts';
import type { RefreshTokenCodec } from './refresh-token.ts';
import type { SessionCache } from './session-cache.ts';
import type { FamilyRotation, rotateFamily } from './sessions.repo.ts';

export interface SessionContext {
  client: string;
  ip: string | null;
  userAgent: string | null;
  /** Authentication methods used for this sign-in (RFC 8176 values: `pwd`, `otp`, ...). */
  amr: string[];
  /** The organization chosen at sign-in (a membership the gate has checked). */
  organizationId?: string | null | undefined;
}

export interface SessionsServiceDeps {
  db: Kysely<Database>;
  /** Plain SQL on the same database (the refresh's one statement). */
  query: SqlQuery;
  /** Mints and reads the refresh tokens of session families. */
  refreshTokens: RefreshTokenCodec;
  clock: Clock;
  bus: InvalidationBus;
  geo: GeoLocator;
  /** Absolute session lifetime, seconds. */
  refreshTokenExpiry: number;
  /** Seconds a spent token still yields a token for the same session. */
  reuseInterval: number;
  /** Seconds of non-use after which a session ends; 0 disables. */
  idleTimeout: number;
  /**
   * Whether a refresh replaces the refresh token (AUTH_REFRESH_TOKEN_ROTATION, default
   * true). false: a refresh records the use and answers with the same token.
   */
  rotation?: boolean;
  /** Most active sessions per user; 0 is unlimited. */
  maxActive: number;
  /** Seconds a session's row is kept after its absolute expiry (AUTH_SESSION_RETENTION). */
  retention: number;
  /** Adds the writes of sessions ended early (the session.invalidated events) to a batch that runs in their transaction. */
  endedBatched?: (batch: WriteBatch, ids: string[], reason: string) => void;
}

/** The refresh's group commit: concurrent rotations of distinct sessions share one statement. */
export type FamilyRotations = (r: FamilyRotation) => ReturnType<typeof rotateFamily>;

/**
 * The per-instance mutable state, made once by createSessionsService: the cache that keeps
 * bearer checks off the database, and the coalescer of the refresh's statement (its
 * pending group and timer live inside it).
 */
export interface SessionsState {
  cache: SessionCache;
  rotations: FamilyRotations;
}

/**
 * What each sessions use case takes as its first parameter: the service's dependencies,
 * what the binding derives from them once, and the instance's state. One flat object, so
 * that a hot path reads a field in one step, as the closure it replaces read a variable.
 */
export interface SessionsDeps extends SessionsServiceDeps, SessionsState {
  /** idleTimeout in milliseconds; 0 disables. */
  idleMs: number;
  /** Refreshes keep the token (rotation === false). */
  keep: boolean;
  /**
   * In the transaction that ended them: the writes of endedBatched and the caller's own
   * (`record`, an audit entry) as one statement.
   */
  ended: (trx: Db, ids: string[], reason: string, record?: (batch: WriteBatch) => void) => Promise<void>;
}

/** When a session unused since before this instant is idle (null: no idle timeout). */
export function idleCutoff(s: SessionsDeps, now: number): Date | null {
  return s.idleMs > 0 ? new Date(now - s.idleMs) : null;
}

/** Whether a session last used at `lastUsedAt` has ended by non-use at `now`. */
export function idleExpired(s: SessionsDeps, lastUsedAt: number, now: number): boolean {
  return s.idleMs > 0 && lastUsedAt + s.idleMs <= now;
}
