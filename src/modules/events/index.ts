// Events own the outbox of public events: each written in the transaction of its change,
// published to NATS in order, and fanned out to webhooks. Most of them tell of a change
// that services emit on the change feed; `changeEvents` is the outbox's subscription.
export { EVENT_TYPES, subjectOf, type EventType } from './events.catalogue.ts';
export { createEventsService, ENVELOPE_VERSION, type EventsService, type EventEnvelope } from './events.service.ts';
export { createNatsPublisher, type Publisher } from './nats.ts';
export { changeEvents, eventsOfChange } from './change-events.ts';
export { wireEvents } from './wiring.ts';
