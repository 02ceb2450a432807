// Events' part of the composition root: the outbox with NATS when NATS_URL is set, its
// retention, its chore, and the check that says "degraded" while NATS is away.
import type { Logger } from 'pino';
import type { NamedChore } from '../../core/chores.ts';
import type { Config } from '../../core/config/index.ts';
import { createEventsService, type EventsDeps } from './events.service.ts';
import { createNatsPublisher } from './nats.ts';

export function wireEvents(config: Config, deps: Pick<EventsDeps, 'db' | 'clock' | 'fanOut' | 'fanOutQuery' | 'deliver'> & { log: Logger }) {
  const { log } = deps;
  const events = createEventsService({
    db: deps.db, clock: deps.clock, log, publisher: config.natsUrl ? createNatsPublisher(config.natsUrl, config.natsStream, log) : undefined,
    retention: config.outboxRetention, pollInterval: 1,
    fanOut: deps.fanOut, fanOutQuery: deps.fanOutQuery, deliver: deps.deliver,
  });
  const chores: NamedChore[] = [{ name: 'events', prune: (limits) => events.prune(limits) }];
  const degradedChecks: Record<string, () => Promise<void>> = {};
  // Events wait in the outbox while NATS is away: the service answers, degraded.
  if (config.natsUrl) degradedChecks.nats = async () => { if (events.mode() === 'disconnected') throw new Error('NATS is not connected; events wait in the outbox'); };
  return { events, chores, degradedChecks };
}
