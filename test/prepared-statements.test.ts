// Repeated data statements become named prepared statements on their connection; a
// changed table or a connection that lost its statements costs no request an error
// outside a transaction; DATABASE_PREPARED_STATEMENTS=false names nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';
import { connectDatabase, type DatabaseHandle } from '../src/core/db/connect.ts';
import { MAX_NAMED_PER_CONNECTION } from '../src/core/db/statements.ts';

interface T { items: { id: number; name: string } }

let tdb: TestDatabase;
const opened: DatabaseHandle<T>[] = [];

/** One connection, so that pg_prepared_statements shows every statement the tests ran. */
async function open(preparedStatements?: boolean): Promise<Kysely<T>> {
  const handle = await connectDatabase<T>({ dataDir: tdb.env.DATA_DIR!, databaseUrl: tdb.env.DATABASE_URL, poolMax: 1, preparedStatements });
  opened.push(handle);
  return handle.db;
}
const close = async () => { for (const h of opened.splice(0)) await h.close(); };

/** The prepared statements of the pool's one connection, by their text. */
async function preparedTexts(db: Kysely<T>): Promise<string[]> {
  const rows = await sql<{ statement: string }>`select statement from pg_prepared_statements where name like 'tessera\\_%'`.execute(db);
  return rows.rows.map((r) => r.statement);
}
const byId = (db: Kysely<T>, id: number) => db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
const BY_ID = 'select * from "items" where "id" = $1';
/** Runs BY_ID twice on the connection, which prepares it there. */
async function prepareById(db: Kysely<T>): Promise<void> {
  await byId(db, 1);
  await byId(db, 1);
  assert.ok((await preparedTexts(db)).includes(BY_ID));
}

before(async () => {
  tdb = await createTestDatabase();
  const db = await open();
  await sql`create table items (id int primary key, name text not null)`.execute(db);
  await db.insertInto('items').values([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]).execute();
  await close();
});
after(async () => {
  await close();
  await tdb.drop();
});

test('a data statement is prepared on its second execution; schema changes and one-off statements are not', async () => {
  const db = await open();
  try {
    assert.deepEqual(await byId(db, 1), { id: 1, name: 'one' });
    assert.ok(!(await preparedTexts(db)).includes(BY_ID), 'not after one execution');
    assert.deepEqual(await byId(db, 2), { id: 2, name: 'two' });
    assert.ok((await preparedTexts(db)).includes(BY_ID), 'prepared after two');
    assert.deepEqual(await byId(db, 1), { id: 1, name: 'one' }, 'and answers with its parameters');
    await sql`create index if not exists items_name on items (name)`.execute(db);
    await sql`create index if not exists items_name on items (name)`.execute(db);
    await db.selectFrom('items').select('name').where('name', '=', 'one').execute();
    const texts = await preparedTexts(db);
    assert.ok(!texts.some((t) => t.includes('create index')), 'DDL is never prepared');
    assert.ok(!texts.some((t) => t.includes('"name" = $1')), 'a statement run once is not prepared');
  } finally {
    await close();
  }
});

test('DATABASE_PREPARED_STATEMENTS=false: nothing is prepared', async () => {
  const db = await open(false);
  try {
    for (let i = 0; i < 3; i++) await byId(db, 1);
    assert.deepEqual(await preparedTexts(db), []);
  } finally {
    await close();
  }
});

test('the raw query of the handle is prepared too, and answers the same', async () => {
  const handle = await connectDatabase<T>({ dataDir: tdb.env.DATA_DIR!, databaseUrl: tdb.env.DATABASE_URL, poolMax: 1 });
  opened.push(handle);
  try {
    const text = 'select name from items where id = $1';
    assert.deepEqual(await handle.query(text, [1]), [{ name: 'one' }]);
    assert.deepEqual(await handle.query(text, [2]), [{ name: 'two' }]);
    assert.ok((await preparedTexts(handle.db)).includes(text));
    assert.deepEqual(await handle.query(text, [1]), [{ name: 'one' }]);
  } finally {
    await close();
  }
});

test('a table changed under a prepared select *: answered at once outside a transaction, on the retry inside one', async () => {
  const db = await open();
  try {
    await prepareById(db);
    await sql`alter table items add column colour text`.execute(db);
    assert.deepEqual(await byId(db, 1), { id: 1, name: 'one', colour: null }, 'replanned and run again');

    await sql`alter table items add column size int`.execute(db);
    const inTransaction = () => db.transaction().execute((trx) => byId(trx, 2));
    await assert.rejects(inTransaction, (err: { code?: string }) => err.code === '0A000', 'the transaction fails as on any statement error');
    assert.deepEqual(await inTransaction(), { id: 2, name: 'two', colour: null, size: null }, 'its retry runs the statement under a new name');
    assert.deepEqual(await byId(db, 1), { id: 1, name: 'one', colour: null, size: null });
  } finally {
    await sql`alter table items drop column if exists colour`.execute(db);
    await sql`alter table items drop column if exists size`.execute(db);
    await close();
  }
});

test('a connection that lost its prepared statements (as behind a pooler) runs them unnamed from then on', async () => {
  const db = await open();
  try {
    await prepareById(db);
    await sql`deallocate all`.execute(db);
    assert.deepEqual(await byId(db, 2), { id: 2, name: 'two' }, 'answered, unnamed');
    await byId(db, 1);
    await byId(db, 2);
    assert.ok(!(await preparedTexts(db)).includes(BY_ID), 'not prepared again on this connection');
  } finally {
    await close();
  }
});

test(`a connection prepares at most ${MAX_NAMED_PER_CONNECTION} statements`, async () => {
  const db = await open();
  try {
    for (let i = 0; i < MAX_NAMED_PER_CONNECTION + 20; i++) {
      for (let twice = 0; twice < 2; twice++) await db.selectFrom('items').select(sql<number>`${sql.lit(i)}`.as('n')).where('id', '=', 1).execute();
    }
    const count = (await preparedTexts(db)).length;
    assert.equal(count, MAX_NAMED_PER_CONNECTION);
    const rows = await db.selectFrom('items').select(sql<number>`${sql.lit(MAX_NAMED_PER_CONNECTION + 30)}`.as('n')).where('id', '=', 1).execute();
    assert.deepEqual(rows, [{ n: MAX_NAMED_PER_CONNECTION + 30 }], 'statements beyond the cap still run, unnamed');
  } finally {
    await close();
  }
});
