// Sessions own sign-in sessions and their refresh-token families: creation at sign-in
// (with device and location), rotation with reuse detection, idle and absolute expiry,
// the active-session limit, revocation, the per-instance cache of session state that
// keeps bearer checks off the database, and pruning what ended sessions leave behind.
// Only token hashes are stored.
export { createSessionsService, MAX_SIBLINGS, TOUCH_INTERVAL_MS, type SessionsService, type SessionContext, type RotateResult, type Started, type NewSessionRow } from './sessions.service.ts';
export { openGeoLocator, noGeoLocator, type GeoLocator, type GeoLocation } from './geoip.ts';
export { parseUserAgent, type Device } from './device.ts';
export { createRefreshTokenCodec, type RefreshTokenCodec } from './refresh-token.ts';
export type { SessionRow } from './sessions.table.ts';
// For other modules, inside their own transactions: the OpenID provider (owners and states
// of its grants' sessions) and organizations (the active organization of a session).
export { ownerOfSession, sessionStates, activeOrganizationOf, setActiveOrganization, clearActiveOrganization } from './sessions.repo.ts';
export { sessionsRoutes } from './sessions.routes.ts';
export { wireSessions, openGeo } from './wiring.ts';
