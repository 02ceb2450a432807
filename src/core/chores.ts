// A chore as a module's wiring hands it to housekeeping (src/modules/housekeeping): its name
// in the run's report, and the pruning in bounded batches. Here in core, so that a module
// names its chores without depending on the housekeeping module.
import type { PruneLimits } from './db/index.ts';

export interface NamedChore {
  name: string;
  /** What it deleted: a count, or counts per table. */
  prune: (limits: PruneLimits) => Promise<number | Record<string, number> | void>;
}
