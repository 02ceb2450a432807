import type { Generated, Selectable } from 'kysely';

export interface EventsTable {
  seq: Generated<string>;
  id: string;
  type: string;
  subject: string;
  envelope: unknown;
  occurred_at: Date;
  published_at: Date | null;
}

export type EventRow = Selectable<EventsTable>;

export interface EventDispatchLeaseTable {
  name: string;
  holder: string;
  expires_at: Date;
}
