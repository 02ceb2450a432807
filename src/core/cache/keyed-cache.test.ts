// The keyed cache keeps a value only when no invalidation of its kind arrived while it was
// read, whether the cache loaded it (get) or a read batch did (epoch, then put).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../clock.ts';
import { LocalBus } from './invalidation-bus.ts';
import { createKeyedCache } from './keyed-cache.ts';

test('put keeps a value read elsewhere unless an invalidation arrived since the read began', async () => {
  const bus = new LocalBus();
  const cache = createKeyedCache<string[]>({ bus, clock: new ManualClock(), kind: 'user' });
  const since = cache.epoch();
  cache.put('u1', ['member'], since);
  assert.deepEqual(cache.peek('u1'), ['member']);

  // A change (of any user of the kind) while a read was in flight: that read is not kept.
  const before = cache.epoch();
  await bus.publish({ kind: 'user', id: 'u2' });
  cache.put('u3', ['admin'], before);
  assert.equal(cache.peek('u3'), undefined);
  // The change of the cached user itself drops it.
  await bus.publish({ kind: 'user', id: 'u1' });
  assert.equal(cache.peek('u1'), undefined);
  // Another kind changes nothing.
  const after = cache.epoch();
  await bus.publish({ kind: 'rbac', id: 'x' });
  cache.put('u3', ['admin'], after);
  assert.deepEqual(cache.peek('u3'), ['admin']);
});

test('get loads once, then answers from the cache until the entry is dropped or too old', async () => {
  const bus = new LocalBus();
  const clock = new ManualClock();
  const cache = createKeyedCache<string>({ bus, clock, kind: 'user', ttlMs: 1000 });
  let loads = 0;
  const load = async () => { loads++; return `v${loads}`; };
  assert.equal(await cache.get('a', load), 'v1');
  assert.equal(await cache.get('a', load), 'v1');
  clock.advance(1001);
  assert.equal(await cache.get('a', load), 'v2');
  await bus.publish({ kind: 'user', id: 'a' });
  assert.equal(await cache.get('a', load), 'v3');
  assert.equal(loads, 3);
});
