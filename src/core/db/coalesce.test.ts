import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coalesce } from './coalesce.ts';

interface Item { key: string; value: number }

/** A coalescer whose `one` doubles and `many` triples, recording what each was given. */
function recorder(options: { max?: number; manyFails?: unknown } = {}) {
  const ones: number[] = [];
  const manys: number[][] = [];
  const run = coalesce(
    async (i: Item) => {
      ones.push(i.value);
      if (i.value < 0) throw Object.assign(new Error('bad item'), { code: '22023', severity: 'ERROR' });
      return i.value * 2;
    },
    async (items: Item[]) => {
      manys.push(items.map((i) => i.value));
      if (options.manyFails !== undefined && items.some((i) => i.value < 0)) throw options.manyFails;
      return items.map((i) => i.value * 3);
    },
    { key: (i) => i.key, max: options.max ?? 64 },
  );
  return { run, ones, manys };
}

const item = (key: string, value: number): Item => ({ key, value });

test('calls made in one turn run together, answered in order; a call alone runs alone', async () => {
  const r = recorder();
  const results = await Promise.all([r.run(item('a', 1)), r.run(item('b', 2)), r.run(item('c', 3))]);
  assert.deepEqual(results, [3, 6, 9]);
  assert.deepEqual(r.manys, [[1, 2, 3]]);
  assert.deepEqual(r.ones, []);

  assert.equal(await r.run(item('d', 4)), 8);
  assert.deepEqual(r.ones, [4]);
  assert.deepEqual(r.manys, [[1, 2, 3]], 'no group of one');
});

test('calls of later turns form later groups', async () => {
  const r = recorder();
  const first = Promise.all([r.run(item('a', 1)), r.run(item('b', 2))]);
  await new Promise((resolve) => setImmediate(resolve));
  const second = Promise.all([r.run(item('a', 3)), r.run(item('b', 4))]);
  assert.deepEqual(await Promise.all([first, second]), [[3, 6], [9, 12]]);
  assert.deepEqual(r.manys, [[1, 2], [3, 4]]);
});

test('a second item with the same key never joins the group: it runs alone at once', async () => {
  const r = recorder();
  const results = await Promise.all([r.run(item('a', 1)), r.run(item('a', 2)), r.run(item('b', 3))]);
  assert.deepEqual(results, [3, 4, 9]);
  assert.deepEqual(r.ones, [2]);
  assert.deepEqual(r.manys, [[1, 3]]);
});

test('a full group runs at once; the rest form the next group', async () => {
  const r = recorder({ max: 3 });
  const results = await Promise.all([1, 2, 3, 4, 5].map((v) => r.run(item(`k${v}`, v))));
  assert.deepEqual(results, [3, 6, 9, 12, 15]);
  assert.deepEqual(r.manys, [[1, 2, 3], [4, 5]]);
});

test("a statement error runs each item alone: only the bad item fails", async () => {
  const r = recorder({ manyFails: Object.assign(new Error('invalid parameter'), { code: '22023', severity: 'ERROR' }) });
  const results = await Promise.allSettled([r.run(item('a', 1)), r.run(item('b', -1)), r.run(item('c', 3))]);
  assert.deepEqual(results.map((x) => x.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.deepEqual(results.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : [])), [2, 6], 'answered by one');
  assert.match(String((results[1] as PromiseRejectedResult).reason), /bad item/);
  assert.deepEqual(r.ones, [1, -1, 3]);
});

for (const lost of [new Error('Connection terminated unexpectedly'), Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' })]) {
  test(`any other error (${lost.message}: did it commit?) fails the whole group and retries nothing`, async () => {
    const r = recorder({ manyFails: lost });
    const results = await Promise.allSettled([r.run(item('a', 1)), r.run(item('b', -1))]);
    assert.deepEqual(results.map((x) => x.status), ['rejected', 'rejected']);
    for (const x of results) assert.equal((x as PromiseRejectedResult).reason, lost);
    assert.deepEqual(r.ones, []);
  });
}
