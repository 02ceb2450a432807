// Audit owns the log of security events: a closed catalogue of entry types, one entry
// per change written in the change's own transaction, filtered reads for the admin API,
// and pruning after AUTH_AUDIT_RETENTION_DAYS.
export { createAuditService, presentEntry, type AuditService, type AuditRecorder, type AuditBatchRecorder, type KnownRows, type AuditEntry, type PresentedEntry } from './audit.service.ts';
export { AUDIT_EVENTS, AUDIT_EVENT_TYPES, type AuditEventType } from './audit.catalogue.ts';
export type { AuditRow } from './audit.table.ts';
