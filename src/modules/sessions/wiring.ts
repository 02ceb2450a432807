// Sessions' part of the composition root: the GeoIP database, the session lifetimes and
// limits from configuration, the session.invalidated events of sessions ended early, and
// the chore.
import type { NamedChore } from '../../core/chores.ts';
import type { Config } from '../../core/config/index.ts';
import type { WriteBatch } from '../../core/db/index.ts';
import { noGeoLocator, openGeoLocator, type GeoLocator } from './geoip.ts';
import { createRefreshTokenCodec } from './refresh-token.ts';
import { createSessionsService } from './sessions.service.ts';

type SessionsServiceDeps = Parameters<typeof createSessionsService>[0];

/** The locator of AUTH_GEOIP_DB, opened before anything is written (a bad path fails the start). */
export async function openGeo(config: Config): Promise<GeoLocator> {
  return config.geoipDb
    ? await openGeoLocator(config.geoipDb).catch((err: Error) => { throw new Error(`AUTH_GEOIP_DB: ${err.message}`); })
    : noGeoLocator;
}

export function wireSessions(config: Config, deps: Pick<SessionsServiceDeps, 'db' | 'query' | 'clock' | 'bus' | 'geo'> & {
  /** Seals the refresh tokens (the encryption key). */
  secret: string;
  /** The event outbox (the events module), for session.invalidated. */
  events: { emitBatched(batch: WriteBatch, type: 'session.invalidated', subject: string, data: Record<string, unknown>): unknown };
}) {
  const { events } = deps;
  const sessions = createSessionsService({
    db: deps.db, query: deps.query, refreshTokens: createRefreshTokenCodec(deps.secret), clock: deps.clock, bus: deps.bus, geo: deps.geo,
    refreshTokenExpiry: config.refreshTokenExpiry, reuseInterval: config.refreshReuseInterval,
    idleTimeout: config.sessionIdleTimeout, maxActive: config.maxActiveSessions, retention: config.sessionRetention,
    rotation: config.refreshTokenRotation,
    endedBatched: (batch, ids, reason) => { for (const id of ids) events.emitBatched(batch, 'session.invalidated', id, { reason }); },
  });
  const chores: NamedChore[] = [{ name: 'sessions', prune: (limits) => sessions.prune(limits) }];
  return { sessions, chores };
}
