// Sessions own sign-in sessions and their refresh-token families: creation at sign-in,
// rotation with reuse detection, and revocation. Only token hashes are stored.
export { createSessionsService, type SessionsService, type SessionContext, type RotateResult } from './sessions.service.ts';
export type { SessionRow } from './sessions.table.ts';
