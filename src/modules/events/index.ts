export { EVENT_TYPES, subjectOf, type EventType } from './events.catalogue.ts';
export { createEventsService, ENVELOPE_VERSION, type EventsService, type EventEnvelope } from './events.service.ts';
export { createNatsPublisher, type Publisher } from './nats.ts';
export { eventsOfAudit, eventsOfAuditNow } from './from-audit.ts';
