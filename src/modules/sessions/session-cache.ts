// The state of recently seen sessions, kept in memory so that a bearer check needs no
// query. Entries are dropped by invalidations from every instance (see the invalidation
// bus); while the bus is disconnected the cache is bypassed, and a value read from the
// database is not stored when an invalidation arrived during the read.
import type { Clock } from '../../core/clock.ts';
import type { InvalidationBus } from '../../core/cache/invalidation-bus.ts';

export interface SessionState {
  id: string;
  userId: string;
  revokedAt: number | null;
  expiresAt: number;
  lastUsedAt: number;
  client: string;
}

export interface SessionCacheOptions {
  bus: InvalidationBus;
  clock: Clock;
  /** Longest an entry is trusted without a fresh read (a safety net, not the mechanism). */
  ttlMs?: number;
  maxEntries?: number;
}

export function createSessionCache(opts: SessionCacheOptions) {
  const ttl = opts.ttlMs ?? 60_000;
  const max = opts.maxEntries ?? 100_000;
  const entries = new Map<string, { state: SessionState; storedAt: number }>();
  const byUser = new Map<string, Set<string>>();
  let epoch = 0;

  function drop(id: string): void {
    const e = entries.get(id);
    if (!e) return;
    entries.delete(id);
    const ids = byUser.get(e.state.userId);
    ids?.delete(id);
    if (ids && ids.size === 0) byUser.delete(e.state.userId);
  }

  function dropUser(userId: string): void {
    for (const id of byUser.get(userId) ?? []) entries.delete(id);
    byUser.delete(userId);
  }

  opts.bus.subscribe((m) => {
    if (m.kind === 'session') drop(m.id);
    else if (m.kind === 'user_sessions') dropUser(m.id);
    else return;
    epoch++;
  });
  opts.bus.onReset(() => {
    epoch++;
    entries.clear();
    byUser.clear();
  });

  return {
    /** A counter that moves on every invalidation: take it before reading the database. */
    epoch: () => epoch,
    get(id: string): SessionState | undefined {
      if (!opts.bus.connected()) return undefined;
      const e = entries.get(id);
      if (!e) return undefined;
      if (opts.clock.now() - e.storedAt > ttl) {
        drop(id);
        return undefined;
      }
      return e.state;
    },
    /** Stores a state read from the database, unless an invalidation arrived since `readEpoch`. */
    set(state: SessionState, readEpoch: number): void {
      if (readEpoch !== epoch || !opts.bus.connected()) return;
      drop(state.id);
      if (entries.size >= max) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) drop(oldest);
      }
      entries.set(state.id, { state, storedAt: opts.clock.now() });
      let ids = byUser.get(state.userId);
      if (!ids) byUser.set(state.userId, (ids = new Set()));
      ids.add(state.id);
    },
    /** Records a newer last use seen by this instance. */
    touched(id: string, at: number): void {
      const e = entries.get(id);
      if (e && e.state.lastUsedAt < at) e.state = { ...e.state, lastUsedAt: at };
    },
    size: () => entries.size,
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;
