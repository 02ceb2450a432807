// A small in-memory cache of rows by id, dropped by invalidations of one kind from every
// instance (see the invalidation bus). Bypassed while the bus is disconnected; a value
// read from the database is not stored when an invalidation arrived during the read.
import type { Clock } from '../clock.ts';
import type { Invalidation, InvalidationBus } from './invalidation-bus.ts';

export interface KeyedCacheOptions {
  bus: InvalidationBus;
  clock: Clock;
  /** Which invalidations drop an entry (their id is the key). */
  kind: Invalidation['kind'];
  /** Longest an entry is trusted without a fresh read (a safety net, not the mechanism). */
  ttlMs?: number;
  maxEntries?: number;
}

export function createKeyedCache<T>(opts: KeyedCacheOptions) {
  const ttl = opts.ttlMs ?? 60_000;
  const max = opts.maxEntries ?? 100_000;
  const entries = new Map<string, { value: T; storedAt: number }>();
  let epoch = 0;
  opts.bus.subscribe((m) => {
    if (m.kind !== opts.kind) return;
    epoch++;
    entries.delete(m.id);
  });
  opts.bus.onReset(() => {
    epoch++;
    entries.clear();
  });

  /** Keeps a value read while no invalidation arrived (the read began at `since`). */
  function store(id: string, value: T, since: number): void {
    if (since !== epoch || !opts.bus.connected()) return;
    entries.delete(id);
    if (entries.size >= max) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(id, { value, storedAt: opts.clock.now() });
  }

  return {
    /** The cached value when it is current, without loading (the synchronous fast path). */
    peek(id: string): T | undefined {
      if (!opts.bus.connected()) return undefined;
      const e = entries.get(id);
      return e && opts.clock.now() - e.storedAt <= ttl ? e.value : undefined;
    },
    /** Returns the cached value, or loads it (and caches it when nothing changed meanwhile). */
    async get(id: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
      if (opts.bus.connected()) {
        const e = entries.get(id);
        if (e && opts.clock.now() - e.storedAt <= ttl) return e.value;
      }
      const readEpoch = epoch;
      const value = await load();
      if (value !== undefined) store(id, value, readEpoch);
      return value;
    },
    /** The count of drops so far: taken before a read made elsewhere (a read batch), given to `put` after it. */
    epoch: () => epoch,
    /** Stores a value read elsewhere, unless an invalidation arrived since `since` (an `epoch()` taken before the read). */
    put: (id: string, value: T, since: number): void => store(id, value, since),
    size: () => entries.size,
  };
}
