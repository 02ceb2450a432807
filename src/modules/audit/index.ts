// Audit owns the log of security events: a closed catalogue of entry types, one entry
// per change written in the change's own transaction, filtered reads for the admin API,
// and pruning after AUTH_AUDIT_RETENTION_DAYS. It also owns the shape of a change as
// services emit it (AuditEntry): the log, metrics and the events subscribe to changes.
export { createAuditService, presentEntry, type AuditService, type PresentedEntry } from './audit.service.ts';
export type { AuditEntry, AuditRecorder, AuditBatchRecorder, UserSnapshot } from './audit.change.ts';
export { AUDIT_EVENTS, AUDIT_EVENT_TYPES, type AuditEventType } from './audit.catalogue.ts';
export type { AuditRow } from './audit.table.ts';
export { wireAudit, type Changes, type ChangeEmitter } from './wiring.ts';
