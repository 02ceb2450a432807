// Audit's part of the composition root: the log with its retention, and its chore.
import type { ChangeFeed } from '../../core/changes.ts';
import type { NamedChore } from '../../core/chores.ts';
import type { Config } from '../../core/config/index.ts';
import type { Db } from '../../database.ts';
import type { AuditEntry } from './audit.change.ts';
import { createAuditService, type AuditServiceDeps } from './audit.service.ts';

/** The change feed that services emit on: the audit log, metrics and the event outbox subscribe. */
export type Changes = ChangeFeed<Db, AuditEntry>;
/** What emitters take from the feed (the subscribing is the composition root's). */
export type ChangeEmitter = Pick<Changes, 'emit' | 'emitBatched'>;

export function wireAudit(config: Config, deps: Pick<AuditServiceDeps, 'db' | 'clock'>) {
  const auditLog = createAuditService({ db: deps.db, clock: deps.clock, retentionDays: config.auditRetentionDays });
  const chores: NamedChore[] = [{ name: 'audit_log', prune: (limits) => auditLog.prune(limits) }];
  return { auditLog, chores };
}
