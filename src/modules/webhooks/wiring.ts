// Webhooks' part of the composition root: the delivery worker with its timeouts and
// retention, the endpoints' service, what the event outbox hands to webhooks, and the chore.
import type { NamedChore } from '../../core/chores.ts';
import type { Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import type { createEventsService } from '../events/index.ts';
import { createDeliveryWorker, type DeliveryWorkerDeps } from './webhooks.delivery.ts';
import { fanOut, fanOutQuery } from './webhooks.repo.ts';
import { createWebhooksService } from './webhooks.service.ts';

type EventSinks = Required<Pick<Parameters<typeof createEventsService>[0], 'fanOut' | 'fanOutQuery' | 'deliver'>>;

export function wireWebhooks(config: Config, deps: Pick<DeliveryWorkerDeps, 'db' | 'clock' | 'encrypter' | 'log' | 'outbound'> & { version: string; changes: ChangeEmitter }) {
  const { db, clock, encrypter, outbound } = deps;
  const worker = createDeliveryWorker({
    db, clock, encrypter, log: deps.log, timeoutMs: config.webhookTimeout * 1000, retryWindowMs: config.webhookRetryWindow * 1000,
    pollInterval: 1, retention: config.outboxRetention, userAgent: `Tessera-Webhooks/${deps.version}`, outbound,
  });
  const webhooks = createWebhooksService({ db, clock, encrypter, audit: deps.changes.emit, kick: () => { void worker.kick(); }, outbound });
  // The event outbox writes one delivery per subscribed endpoint in the event's transaction, then wakes the worker.
  const eventSinks: EventSinks = {
    fanOut: (on, e) => fanOut(on, e, new Date(clock.now())), fanOutQuery: (e) => fanOutQuery(e, new Date(clock.now())),
    deliver: () => { void worker.kick(); },
  };
  const chores: NamedChore[] = [{ name: 'webhook_deliveries', prune: (limits) => worker.prune(limits) }];
  return { worker, webhooks, eventSinks, chores };
}
