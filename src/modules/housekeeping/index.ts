// Housekeeping owns the hourly clean-up run: the chores other modules register (pruning
// ended sessions, old audit entries, events, webhook deliveries and mail, spent one-time
// tokens), run one after another in bounded batches, by one instance at a time (a lease
// in `job_leases`).
export { createHousekeeping, type Housekeeping, type HousekeepingRun, type Chore } from './housekeeping.service.ts';
export type { JobLeasesTable } from './housekeeping.table.ts';
export { wireHousekeeping } from './wiring.ts';
