import type { Generated, Selectable } from 'kysely';

export interface WebhookEndpointsTable {
  id: string;
  url: string;
  description: Generated<string>;
  /** Event types (or `<entity>.*`) sent to this endpoint; empty means every type. */
  event_types: Generated<string[]>;
  active: Generated<boolean>;
  /** The `whsec_` secret, sealed with AUTH_ENCRYPTION_KEY. */
  secret_encrypted: string;
  /** The secret before the last rotation: it still signs until `previous_secret_expires_at`. */
  previous_secret_encrypted: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'dead';

export interface WebhookDeliveriesTable {
  id: string;
  seq: Generated<string>;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  /** The event envelope, as sent. */
  payload: unknown;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Date;
  /** Claimed by a worker until then (an attempt in flight). */
  locked_until: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  /** The delivery this one replays. */
  replay_of: string | null;
  created_at: Date;
  completed_at: Date | null;
}

export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempted_at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  succeeded: boolean;
}

export type WebhookEndpointRow = Selectable<WebhookEndpointsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
