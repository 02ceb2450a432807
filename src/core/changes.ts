// A change feed: services say what changed, once, and whoever keeps a record of changes
// (the audit log, the event outbox, metrics) subscribes. Changes flow one way: an emitter
// knows no subscriber, and a subscriber gets everything it needs in the change itself, so
// that it writes its part without reading anything.
//
// Subscribers run in the order they subscribed, on the change's own connection: inside its
// transaction (or on the pool when there is none), or as writes of its batch. Either way
// their writes commit or fail with the change. Generic over the connection and the change,
// so that core imports no module.
import type { WriteBatch } from './db/batch.ts';

export interface ChangeSubscriber<On, C> {
  /** Writes its part of a change on `on`, the change's transaction (or the pool). */
  onChange(on: On, change: C): void | Promise<void>;
  /** The same as writes of a batch; work after the commit goes through `batch.then`. */
  onChangeBatched(batch: WriteBatch, change: C): void;
}

export interface ChangeFeed<On, C> {
  /** Tells every subscriber of a change, in the transaction of the change (or on the pool). */
  emit(on: On, change: C): Promise<void>;
  /** emit as writes of a batch: the change's writes join the batch's one statement. */
  emitBatched(batch: WriteBatch, change: C): void;
  /** Adds a subscriber; subscribe them all while composing, before the first change. */
  subscribe(subscriber: ChangeSubscriber<On, C>): void;
}

/** What a service takes to record a change in its transaction. */
export type EmitChange<On, C> = ChangeFeed<On, C>['emit'];
/** What a service takes to record a change as writes of a batch. */
export type EmitChangeBatched<C> = (batch: WriteBatch, change: C) => void;

export function createChangeFeed<On, C>(): ChangeFeed<On, C> {
  const subscribers: ChangeSubscriber<On, C>[] = [];
  return {
    async emit(on, change) {
      for (const s of subscribers) await s.onChange(on, change);
    },
    emitBatched(batch, change) {
      for (const s of subscribers) s.onChangeBatched(batch, change);
    },
    subscribe(subscriber) {
      subscribers.push(subscriber);
    },
  };
}
