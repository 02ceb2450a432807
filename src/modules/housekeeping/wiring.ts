// Housekeeping's part of the composition root: the run, with the chores that the other
// modules' wiring hands in, in the order they run.
import type { Config } from '../../core/config/index.ts';
import type { NamedChore } from '../../core/chores.ts';
import { createHousekeeping, type HousekeepingDeps } from './housekeeping.service.ts';

/** The hourly housekeeping: pruning in bounded batches, one instance at a time. */
export function wireHousekeeping(config: Config, deps: Pick<HousekeepingDeps, 'db' | 'clock' | 'log'> & { chores: readonly NamedChore[] }) {
  const housekeeping = createHousekeeping({ db: deps.db, clock: deps.clock, log: deps.log, batchSize: config.pruneBatchSize });
  for (const chore of deps.chores) housekeeping.add(chore.name, chore.prune);
  return housekeeping;
}
