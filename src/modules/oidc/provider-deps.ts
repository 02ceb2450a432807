// What the provider's use cases (authorize, token, logout) share.
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { OutboundPolicy } from '../../core/net/index.ts';
import type { Database } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { SessionsService } from '../sessions/index.ts';
import type { SignInGate } from '../sign-in/index.ts';
import type { AccessClaims } from '../tokens/index.ts';
import type { UserRow, UsersService } from '../users/index.ts';
import type { ClientsService } from './clients.service.ts';

export interface ProviderDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: FastifyBaseLogger;
  clients: ClientsService;
  sessions: Pick<SessionsService, 'sessionOfRefreshToken' | 'proof' | 'rotate' | 'revoke' | 'revokeOneIn' | 'announce'>;
  users: Pick<UsersService, 'findById'>;
  /** Sessions, access tokens and ID tokens come from the sign-in gate only. */
  gate: Pick<SignInGate, 'startGrant' | 'signIdToken' | 'accessClaims' | 'sign' | 'decision'>;
  /** The bearer check of /auth (signature, live session, active user). */
  authenticate: (accessToken: string) => Promise<{ claims: AccessClaims; user: UserRow }>;
  /** Verifies an ID token this server signed, its expiry aside (id_token_hint); undefined when it is not one. */
  verifyIdTokenHint: (token: string) => Record<string, unknown> | undefined;
  audit: AuditRecorder;
  /** AUTH_PUBLIC_URL: the issuer. */
  issuer: string;
  /** Lifetime of ID tokens, seconds. */
  idTokenTtl: number;
  /** Lifetime of authorization codes, seconds (at most 60). */
  codeTtl: number;
  /** Where back-channel logout tokens may be sent (the webhooks' address policy). */
  outbound: OutboundPolicy;
}

/** The session client name of a grant to `clientId`. */
export const grantClient = (clientId: string) => `oidc:${clientId}`;
