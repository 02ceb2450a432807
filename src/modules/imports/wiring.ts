// Imports' part of the composition root: the importer with the registration rules that
// configuration sets, and the user.created events of imported users (with --events).
import type { Config } from '../../core/config/index.ts';
import type { Actor } from '../../core/context.ts';
import type { Db } from '../../database.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import type { UsersService } from '../users/index.ts';
import { createImporter, type ImporterDeps } from './importer.ts';

export function wireImports(config: Config, deps: Pick<ImporterDeps, 'db' | 'clock' | 'encrypter'> & {
  changes: ChangeEmitter;
  users: Pick<UsersService, 'claimFirstUser'>;
  /** The event outbox (the events module), for user.created. */
  events: { emit(on: Db, type: 'user.created', subject: string, data: Record<string, unknown>, actor: Actor): Promise<unknown> };
}) {
  const { users, events } = deps;
  const importer = createImporter({
    db: deps.db, clock: deps.clock, encrypter: deps.encrypter, audit: deps.changes.emit, defaultRole: config.defaultRole, emailRequired: config.emailRequired,
    claimFirstUser: (trx) => users.claimFirstUser(trx),
    emitCreated: async (trx, u, source) => {
      await events.emit(trx, 'user.created', u.id, {
        user: { id: u.id, username: u.username, email: u.email, emailVerified: u.email_verified, role: u.role, active: u.is_active, locale: 'en', createdAt: u.created_at.toISOString() },
        imported: { source },
      }, { type: 'system' });
    },
  });
  return { importer };
}
