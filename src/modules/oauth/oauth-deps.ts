// The dependencies every social sign-in use case takes first: what the composition root
// passes to createOAuthService, unchanged (the service keeps no state of its own: the
// sign-in states live in the database, the providers' cache in the registry).
import type { Kysely } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../core/clock.ts';
import type { Encrypter } from '../../core/crypto/index.ts';
import type { Database } from '../../database.ts';
import type { AuditRecorder } from '../audit/index.ts';
import type { SignInGate } from '../sign-in/index.ts';
import type { BeforeSignup } from '../hooks/index.ts';
import type { UsersService } from '../users/index.ts';
import type { ProviderRegistry } from './registry.ts';
import type { Vault } from './vault.ts';

export interface OAuthServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: FastifyBaseLogger;
  encrypter: Encrypter;
  registry: ProviderRegistry;
  vault: Vault;
  users: UsersService;
  /** The sign-in gate: a provider's identity is a first factor. */
  gate: Pick<SignInGate, 'complete'>;
  audit: AuditRecorder;
  redirects: { check(redirectTo: string | undefined): string };
  beforeSignup?: BeforeSignup | undefined;
  /** Passkeys of a user, for the last-method rule of unlinking. */
  passkeyCount: (userId: string) => Promise<number>;
  autoLink: boolean;
}
