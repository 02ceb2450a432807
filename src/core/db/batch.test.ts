// A batch of writes is one statement: every write lands or none does, counted writes
// report their rows, notifications ride along, and the callbacks run after the commit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, testDbMode, type TestDatabase } from '../../../test/helpers/db.ts';
import { connectDatabase, type DatabaseHandle } from './connect.ts';
import { readBatch, writeBatch } from './batch.ts';

interface T { items: { id: number; name: string }; tags: { item_id: number; tag: string } }

let tdb: TestDatabase;
let handle: DatabaseHandle<T>;
let db: Kysely<T>;
const names = async () => (await db.selectFrom('items').select('name').orderBy('id').execute()).map((r) => r.name);

before(async () => {
  tdb = await createTestDatabase();
  handle = await connectDatabase<T>({ dataDir: tdb.env.DATA_DIR!, databaseUrl: tdb.env.DATABASE_URL });
  db = handle.db;
  await sql`create table items (id int primary key, name text not null)`.execute(db);
  await sql`create table tags (item_id int not null references items (id), tag text not null)`.execute(db);
});
after(async () => {
  await handle.close();
  await tdb.drop();
});

test('the writes of a batch land together; counted writes report their rows; callbacks run after, in order', async () => {
  const batch = writeBatch();
  const seen: string[] = [];
  batch.write(db.insertInto('items').values({ id: 1, name: 'one' }));
  batch.write(db.insertInto('items').values({ id: 2, name: 'two' }));
  // A write may rely on a row another write of the same statement inserts (foreign keys are checked at its end).
  const tagged = batch.counted(db.insertInto('tags').values([{ item_id: 1, tag: 'a' }, { item_id: 2, tag: 'b' }]).returning('tag'));
  const none = batch.counted(sql`insert into tags (item_id, tag) select id, 'c' from items where name = 'absent' returning 1`);
  batch.then(() => { seen.push(`first:${tagged.rows}`); });
  batch.then(async () => { seen.push('second'); });
  assert.equal(batch.size, 4);
  assert.deepEqual(seen, []);
  await batch.run(db);
  assert.deepEqual(await names(), ['one', 'two']);
  assert.equal(tagged.rows, 2);
  assert.equal(none.rows, 0);
  assert.deepEqual(seen, ['first:2', 'second']);
});

test('one failing write undoes the others and skips the callbacks', async () => {
  const batch = writeBatch();
  let ran = false;
  batch.write(db.insertInto('items').values({ id: 3, name: 'three' }));
  batch.write(db.insertInto('items').values({ id: 1, name: 'duplicate' }));
  batch.then(() => { ran = true; });
  await assert.rejects(batch.run(db), (err: { code?: string }) => err.code === '23505');
  assert.deepEqual(await names(), ['one', 'two']);
  assert.equal(ran, false);
});

test('notifications are sent by the statement, and only when it commits', async () => {
  // PGlite has no second connection to listen on: there the statements must still run.
  const pg = (await import('pg')).default;
  const listener = testDbMode() === 'postgres' ? new pg.Client({ connectionString: tdb.env.DATABASE_URL }) : undefined;
  const got: string[] = [];
  if (listener) {
    await listener.connect();
    listener.on('notification', (n) => got.push(n.payload ?? ''));
    await listener.query('listen batch_test');
  }
  try {
    const failing = writeBatch();
    failing.write(db.insertInto('items').values({ id: 2, name: 'duplicate' }));
    failing.notify('batch_test', 'failed');
    await assert.rejects(failing.run(db));
    const ok = writeBatch();
    ok.notify('batch_test', 'committed');
    ok.write(db.insertInto('items').values({ id: 4, name: 'four' }));
    await ok.run(db);
    assert.deepEqual(await names(), ['one', 'two', 'four']);
    if (listener) {
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(got, ['committed']);
    }
  } finally {
    await listener?.end();
  }
});

test('an empty batch sends nothing and still runs its callbacks', async () => {
  const batch = writeBatch();
  let ran = false;
  batch.then(() => { ran = true; });
  await batch.run({} as Kysely<T>);
  assert.equal(ran, true);
});

test('a read batch is one statement: each value (arrays, booleans, counts, empty aggregates) is known after the run', async () => {
  await db.deleteFrom('tags').execute();
  await db.deleteFrom('items').execute();
  await db.insertInto('items').values([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]).execute();
  await db.insertInto('tags').values([{ item_id: 1, tag: 'b' }, { item_id: 1, tag: 'a' }]).execute();
  const reads = readBatch();
  const tagsOf1 = reads.value<string[]>(sql`select coalesce(array_agg(tag order by tag), '{}')::text[] from tags where item_id = ${1}`);
  const tagsOf2 = reads.value<string[]>(sql`select coalesce(array_agg(tag order by tag), '{}')::text[] from tags where item_id = ${2}`);
  const has2 = reads.value<boolean>(sql`select exists (${db.selectFrom('tags').select('tag').where('item_id', '=', 2)})`);
  const has1 = reads.value<boolean>(sql`select exists (${db.selectFrom('tags').select('tag').where('item_id', '=', 1)})`);
  const count = reads.value<number>(sql`select count(*)::int from items`);
  assert.equal(reads.size, 5);
  assert.throws(() => tagsOf1.value, /before the batch ran/);
  const statements: string[] = [];
  const counting = db.withPlugin({ transformQuery: (a) => { statements.push(a.queryId.queryId); return a.node; }, transformResult: async (a) => a.result });
  await reads.run(counting);
  assert.equal(statements.length, 1);
  assert.deepEqual(tagsOf1.value, ['a', 'b']);
  assert.deepEqual(tagsOf2.value, []);
  assert.equal(has1.value, true);
  assert.equal(has2.value, false);
  assert.equal(count.value, 2);
  // An empty batch sends nothing.
  await readBatch().run(counting);
  assert.equal(statements.length, 1);
});
