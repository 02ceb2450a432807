// Webhooks own the endpoints administrators register, one delivery per event and
// endpoint (written in the event's transaction), and the worker that signs and sends
// them (Standard Webhooks headers), retries with backoff for up to a day, and
// dead-letters what never got through, for replay through the admin API.
export { createWebhooksService, presentDelivery, SECRET_GRACE_MS, type WebhooksService, type PresentedEndpoint, type PresentedDelivery } from './webhooks.service.ts';
export { createDeliveryWorker, backoffMs, type DeliveryWorker } from './webhooks.delivery.ts';
export { fanOut, fanOutQuery } from './webhooks.repo.ts';
export type { DeliveryStatus } from './webhooks.table.ts';
export { wireWebhooks } from './wiring.ts';
