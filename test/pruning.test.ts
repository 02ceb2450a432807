// Pruning: the housekeeping deletes what grows with use (ended sessions and their refresh
// tokens, old audit entries, events, webhook deliveries, mail) in bounded batches, keeps
// what reuse detection and the retention settings need, and runs on one instance at a time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { ManualClock } from '../src/core/clock.ts';
import { pruneInBatches } from '../src/core/db/index.ts';
import { createEventsService } from '../src/modules/events/index.ts';
import { createHousekeeping } from '../src/modules/housekeeping/index.ts';
import { createTestApp, decodeJwtPart, json, login, makeLegacySession, signUp, type TestApp } from './helpers/app.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const quiet = { info: () => undefined, error: () => undefined };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** A scratch table of `old` and `young` rows, for the helper itself. */
async function scratch(t: TestApp, name: string, old: number, young: number): Promise<AnyDb> {
  const db = t.deps.db as unknown as AnyDb;
  await sql`create table ${sql.table(name)} (id integer primary key, old boolean not null)`.execute(db);
  const rows = Array.from({ length: old + young }, (_, i) => ({ id: i + 1, old: i < old }));
  if (rows.length) await db.insertInto(name).values(rows).execute();
  return db;
}

const countOf = async (db: AnyDb, table: string, old?: boolean): Promise<number> => {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));
  if (old !== undefined) q = q.where('old', '=', old);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

describe('pruneInBatches', () => {
  let t: TestApp;
  before(async () => { t = await createTestApp(); });
  after(async () => { await t.close(); });

  test('deletes batch after batch until a batch comes back short, and reports the count', async () => {
    const db = await scratch(t, 'prune_a', 35, 5);
    const r = await pruneInBatches(db, { table: 'prune_a', key: 'id', where: (eb) => eb('old', '=', true) }, { batchSize: 10, maxBatches: 100 });
    assert.deepEqual(r, { deleted: 35, childRows: 0, batches: 4, done: true });
    assert.equal(await countOf(db, 'prune_a', true), 0);
    assert.equal(await countOf(db, 'prune_a', false), 5, 'rows outside the condition stay');
  });

  test('stops after maxBatches with the rest left for the next call', async () => {
    const db = await scratch(t, 'prune_b', 35, 5);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const where = (eb: ExpressionBuilder<any, any>) => eb('old', '=', true);
    const first = await pruneInBatches(db, { table: 'prune_b', key: 'id', where }, { batchSize: 10, maxBatches: 2 });
    assert.deepEqual(first, { deleted: 20, childRows: 0, batches: 2, done: false });
    assert.equal(await countOf(db, 'prune_b', true), 15);
    const second = await pruneInBatches(db, { table: 'prune_b', key: 'id', where }, { batchSize: 10, maxBatches: 2 });
    assert.deepEqual(second, { deleted: 15, childRows: 0, batches: 2, done: true });
    assert.equal(await countOf(db, 'prune_b'), 5);
  });

  test('a multiple of the batch size ends on an empty batch; an aborted signal deletes nothing more', async () => {
    const db = await scratch(t, 'prune_c', 20, 0);
    assert.deepEqual(await pruneInBatches(db, { table: 'prune_c', key: 'id', where: (eb) => eb('old', '=', true) }, { batchSize: 10, maxBatches: 5 }), { deleted: 20, childRows: 0, batches: 3, done: true });
    const db2 = await scratch(t, 'prune_d', 5, 0);
    const stop = new AbortController();
    stop.abort();
    assert.deepEqual(await pruneInBatches(db2, { table: 'prune_d', key: 'id', where: (eb) => eb('old', '=', true) }, { batchSize: 10, maxBatches: 5, signal: stop.signal }), { deleted: 0, childRows: 0, batches: 0, done: false });
    assert.equal(await countOf(db2, 'prune_d'), 5);
    await assert.rejects(pruneInBatches(db2, { table: 'prune_d', key: 'id', where: (eb) => eb('old', '=', true) }, { batchSize: 0, maxBatches: 5 }), RangeError);
  });
});

describe('sessions and refresh tokens', () => {
  const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { AUTH_REFRESH_TOKEN_EXPIRY: '7d', AUTH_SESSION_RETENTION: '30d', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false' } });
    await t.deps.housekeeping.run(); // the start-up run, out of the way
  });
  after(async () => { await t.close(); });

  const refresh = (refreshToken: string) => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken } });
  const tokensOf = async (sid: string) => (await t.deps.db.selectFrom('refresh_tokens').select(['id', 'spent_at']).where('session_id', '=', sid).execute());
  const sessionRow = (sid: string) => t.deps.db.selectFrom('sessions').select(['id', 'revoked_at', 'revoked_reason']).where('id', '=', sid).executeTakeFirst();

  /**
   * A native session with `rotations` refreshes, 20 s apart: its spent tokens are past the
   * reuse interval. Its tokens are rows of refresh_tokens, as for a session started before
   * families moved into the session's row (a family leaves no rows to prune).
   */
  async function session(rotations: number): Promise<{ sid: string; tokens: string[] }> {
    const s = await signUp(t.app, 'native');
    const tokens = [await makeLegacySession(t, decodeJwtPart(s.accessToken, 1).sid as string)];
    for (let i = 0; i < rotations; i++) {
      clock.advance(20_000);
      const res = await refresh(tokens[tokens.length - 1]!);
      assert.equal(res.statusCode, 200, res.body);
      tokens.push(json(res).refreshToken as string);
    }
    return { sid: decodeJwtPart(s.accessToken, 1).sid as string, tokens };
  }

  test('tokens go at the absolute expiry, the row AUTH_SESSION_RETENTION later; a live session keeps its spent tokens and reuse detection works after a prune', async () => {
    const t0 = clock.now();
    const a = await session(2); // expires at t0 + 7d
    clock.set(t0 + 1 * DAY);
    const c = await session(1); // expires at t0 + 8d
    clock.set(t0 + 6 * DAY);
    const b = await session(2); // expires at t0 + 13d
    assert.equal((await tokensOf(b.sid)).filter((r) => r.spent_at !== null).length, 2, 'b has two spent tokens');

    // A has just expired: its tokens go, its row stays; B and C are live and keep every token.
    clock.set(t0 + 7 * DAY + HOUR);
    assert.deepEqual(await t.deps.sessions.prune(), { refresh_tokens: 3, sessions: 0 });
    assert.equal((await tokensOf(a.sid)).length, 0);
    assert.ok(await sessionRow(a.sid), 'an ended session stays for the retention');
    assert.equal((await tokensOf(b.sid)).length, 3);
    assert.equal((await tokensOf(c.sid)).length, 2);

    // B's spent token, presented again after the prune, is still detected as reuse.
    const reuse = await refresh(b.tokens[0]!);
    assert.equal(reuse.statusCode, 401);
    assert.equal(json(reuse).code, 'refresh_token_reused');
    assert.equal((await sessionRow(b.sid))?.revoked_reason, 'refresh_token_reused');
    const successor = await refresh(b.tokens[2]!);
    assert.equal(successor.statusCode, 401, 'the family died with the session');
    // Revoked, not yet expired: its tokens wait for the absolute expiry.
    assert.deepEqual(await t.deps.sessions.prune(), { refresh_tokens: 0, sessions: 0 });
    assert.equal((await tokensOf(b.sid)).length, 3);

    // B expires: its tokens go, the row stays. C expired five days ago, outside the sweep.
    clock.set(t0 + 13 * DAY + HOUR);
    assert.deepEqual(await t.deps.sessions.prune(), { refresh_tokens: 3, sessions: 0 });
    assert.equal((await tokensOf(b.sid)).length, 0);
    assert.ok(await sessionRow(b.sid));

    // 30 days after A's expiry, A goes; C and B are younger.
    clock.set(t0 + 37 * DAY + 2 * HOUR);
    assert.deepEqual(await t.deps.sessions.prune(), { refresh_tokens: 0, sessions: 1 });
    assert.equal(await sessionRow(a.sid), undefined);
    assert.ok(await sessionRow(c.sid));
    assert.ok(await sessionRow(b.sid));

    // C goes with the tokens no sweep took.
    clock.set(t0 + 38 * DAY + 2 * HOUR);
    assert.deepEqual(await t.deps.sessions.prune(), { refresh_tokens: 2, sessions: 1 });
    assert.equal(await sessionRow(c.sid), undefined);
    assert.equal((await tokensOf(c.sid)).length, 0);

    clock.set(t0 + 43 * DAY + 2 * HOUR);
    assert.deepEqual(await t.deps.sessions.prune(), { refresh_tokens: 0, sessions: 1 });
    assert.equal(await sessionRow(b.sid), undefined);
    // Presented now, a pruned session's token is simply unknown.
    assert.equal(json(await refresh(a.tokens[2]!)).code, 'invalid_refresh_token');
  });

  test('a backlog goes in bounded batches: the tokens of a session before the session', async () => {
    const t0 = clock.now();
    const old = await session(24); // 25 tokens
    clock.set(t0 + 40 * DAY);
    const limits = { batchSize: 10, maxBatches: 2 };
    // 20 tokens, and the session waits because tokens are left.
    assert.deepEqual(await t.deps.sessions.prune(limits), { refresh_tokens: 20, sessions: 0 });
    assert.equal((await tokensOf(old.sid)).length, 5);
    assert.ok(await sessionRow(old.sid));
    assert.deepEqual(await t.deps.sessions.prune(limits), { refresh_tokens: 5, sessions: 1 });
    assert.equal(await sessionRow(old.sid), undefined);
  });
});

describe('the new-sign-in notice after the history was pruned', () => {
  const clock = new ManualClock(Date.parse('2026-04-01T00:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { AUTH_REFRESH_TOKEN_EXPIRY: '7d', AUTH_SESSION_RETENTION: '30d' } });
    await t.deps.housekeeping.run();
  });
  after(async () => { await t.close(); });

  test('a sign-in with no session left to compare with is noticed, unless it is the very first', async () => {
    const s = await signUp(t.app, 'native');
    const notices = async () => (await t.deps.db.selectFrom('mail_outbox').select('id').where('kind', '=', 'new_sign_in').execute()).length;
    assert.equal(await notices(), 0, 'the first sign-in of an account is not noticed');
    await login(t.app, s.creds, 'native');
    assert.equal(await notices(), 0, 'a device seen before is not noticed');
    clock.advance(37 * DAY + HOUR);
    assert.equal((await t.deps.sessions.prune()).sessions, 2);
    await login(t.app, s.creds, 'native');
    assert.equal(await notices(), 1, 'back after the history was pruned: the device is vouched for by nothing');
  });
});

describe('audit entries, events, webhook deliveries and mail', () => {
  const clock = new ManualClock(Date.parse('2026-05-01T00:00:00Z'));
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ clock, env: { AUTH_AUDIT_RETENTION_DAYS: '30', AUTH_OUTBOX_RETENTION: '7d' } });
    await t.deps.housekeeping.run();
  });
  after(async () => { await t.close(); });

  const at = (ms: number) => new Date(ms);

  test('audit entries older than AUTH_AUDIT_RETENTION_DAYS go, in batches; newer ones stay', async () => {
    const record = async (n: number, reason: string) => {
      for (let i = 0; i < n; i++) await t.deps.audit.record(t.deps.db, { type: 'user.login_failed', success: false, reason });
    };
    const count = async (reason: string) => Number((await t.deps.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('reason', '=', reason).executeTakeFirstOrThrow()).n);
    await record(35, 'prune_old');
    clock.advance(20 * DAY);
    await record(3, 'prune_young');
    clock.advance(10 * DAY + HOUR); // the old ones are 30 days and an hour old, the young ones 10 days
    assert.equal(await t.deps.audit.prune({ batchSize: 10, maxBatches: 2 }), 20, 'two batches of ten in one call');
    assert.equal(await count('prune_old'), 15);
    assert.equal(await t.deps.audit.prune({ batchSize: 10, maxBatches: 2 }), 15);
    assert.equal(await count('prune_old'), 0);
    assert.equal(await count('prune_young'), 3);
  });

  test('events older than AUTH_OUTBOX_RETENTION go; with NATS only the published ones', async () => {
    const now = clock.now();
    const event = (occurred: number, published: number | null) => ({
      id: randomUUID(), type: 'user.updated', subject: 'auth.user.x.updated', envelope: JSON.stringify({ test: 'prune' }),
      occurred_at: at(occurred), published_at: published === null ? null : at(published),
    });
    const mine = () => t.deps.db.selectFrom('events').select(['id']).where(sql<boolean>`envelope->>'test' = 'prune'`).execute();
    const oldPublished = event(now - 8 * DAY, now - 8 * DAY);
    const oldUnpublished = event(now - 8 * DAY, null);
    const young = event(now - 6 * DAY, null);
    await t.deps.db.insertInto('events').values([oldPublished, oldUnpublished, young]).execute();

    // With a publisher, an unpublished event waits for NATS however old it is.
    const publisher = { publish: async () => undefined, ready: () => false, mode: () => 'disconnected', close: async () => undefined };
    const withNats = createEventsService({ db: t.deps.db, clock, log: { info: () => undefined, warn: () => undefined, error: () => undefined }, publisher, retention: 7 * 86_400, pollInterval: 1 });
    assert.equal(await withNats.prune(), 1);
    assert.deepEqual((await mine()).map((r) => r.id).sort(), [oldUnpublished.id, young.id].sort());
    // Without NATS (this app), every old event goes.
    assert.ok(await t.deps.events.prune() >= 1);
    assert.deepEqual((await mine()).map((r) => r.id), [young.id]);
  });

  test('finished webhook deliveries go with their attempts; pending and recent ones stay', async () => {
    const now = clock.now();
    const endpoint = randomUUID();
    await t.deps.db.insertInto('webhook_endpoints').values({ id: endpoint, url: 'https://hooks.example.test/x', secret_encrypted: 'sealed', previous_secret_encrypted: null, previous_secret_expires_at: null, created_at: at(now - 30 * DAY), updated_at: at(now - 30 * DAY) }).execute();
    const delivery = (status: 'pending' | 'succeeded' | 'dead', completed: number | null) => ({
      id: randomUUID(), endpoint_id: endpoint, event_id: randomUUID(), event_type: 'user.created', payload: JSON.stringify({}), status,
      next_attempt_at: at(now - 9 * DAY), locked_until: null, last_status_code: null, last_error: null, replay_of: null, created_at: at(now - 9 * DAY), completed_at: completed === null ? null : at(completed),
    });
    const oldDone = delivery('succeeded', now - 8 * DAY);
    const oldDead = delivery('dead', now - 8 * DAY);
    const recent = delivery('succeeded', now - 6 * DAY);
    const pending = delivery('pending', null);
    await t.deps.db.insertInto('webhook_deliveries').values([oldDone, oldDead, recent, pending]).execute();
    for (const d of [oldDone, oldDead, recent, pending]) {
      await t.deps.db.insertInto('webhook_attempts').values({ delivery_id: d.id, attempted_at: at(now - 9 * DAY), duration_ms: 5, status_code: 500, error: null, succeeded: false }).execute();
    }
    assert.equal(await t.deps.webhookWorker.prune(), 2);
    const left = await t.deps.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', endpoint).execute();
    assert.deepEqual(left.map((r) => r.id).sort(), [recent.id, pending.id].sort());
    const attempts = await t.deps.db.selectFrom('webhook_attempts').select('delivery_id').where('delivery_id', 'in', [oldDone.id, oldDead.id, recent.id, pending.id]).execute();
    assert.deepEqual(attempts.map((r) => r.delivery_id).sort(), [recent.id, pending.id].sort(), 'attempts went with their delivery');
  });

  test('mail sent or given up more than a week ago goes; queued and recent mail stays', async () => {
    const now = clock.now();
    const mail = (sent: number | null, failed: number | null) => ({
      id: randomUUID(), kind: 'prune_test', payload_encrypted: sent === null ? 'sealed' : null, next_attempt_at: at(now - 10 * DAY), created_at: at(now - 10 * DAY),
      sent_at: sent === null ? null : at(sent), failed_at: failed === null ? null : at(failed),
    });
    const oldSent = mail(now - 8 * DAY, null);
    const oldFailed = mail(null, now - 8 * DAY);
    const recentSent = mail(now - 6 * DAY, null);
    const queued = mail(null, null);
    await t.deps.db.insertInto('mail_outbox').values([oldSent, oldFailed, recentSent, queued]).execute();
    assert.equal(await t.deps.outbox.prune(), 2);
    const left = await t.deps.db.selectFrom('mail_outbox').select('id').where('kind', '=', 'prune_test').execute();
    assert.deepEqual(left.map((r) => r.id).sort(), [recentSent.id, queued.id].sort());
  });

  test('the app housekeeping runs every chore and reports what each deleted', async () => {
    clock.advance(HOUR);
    await t.deps.db.insertInto('mail_outbox').values({ id: randomUUID(), kind: 'prune_test', payload_encrypted: null, next_attempt_at: at(clock.now() - 9 * DAY), created_at: at(clock.now() - 9 * DAY), sent_at: at(clock.now() - 8 * DAY), failed_at: null }).execute();
    const run = await t.deps.housekeeping.run();
    assert.equal(run.ran, true);
    assert.deepEqual(run.failed, []);
    assert.deepEqual(Object.keys(run.deleted).sort(), ['audit_log', 'events', 'mail_outbox', 'organization_invitations', 'refresh_tokens', 'sessions', 'webhook_deliveries']);
    assert.equal(run.deleted.mail_outbox, 1);
    assert.equal(run.backlog, false);
  });
});

describe('housekeeping runs', () => {
  const clock = new ManualClock(Date.parse('2026-06-01T00:00:00Z'));
  let t: TestApp;
  before(async () => { t = await createTestApp({ clock }); });
  after(async () => { await t.close(); });

  test('one instance at a time: a second one skips while the lease is held, and takes over once it ran out', async () => {
    const calls: string[] = [];
    const one = createHousekeeping({ db: t.deps.db, clock, log: quiet, batchSize: 10 });
    const two = createHousekeeping({ db: t.deps.db, clock, log: quiet, batchSize: 10 });
    one.add('chore', async () => { calls.push('one'); return 0; });
    two.add('chore', async () => { calls.push('two'); return 0; });
    // The app's own housekeeping took the lease at its start: run until it is ours.
    clock.advance(HOUR);
    assert.equal((await one.run()).ran, true);
    assert.equal((await two.run()).ran, false);
    assert.equal((await one.run()).ran, true, 'the holder runs again');
    clock.advance(30 * 60_000);
    assert.equal((await two.run()).ran, false, 'still held half an hour later');
    clock.advance(30 * 60_000);
    assert.equal((await two.run()).ran, true, 'an hour on, the lease ran out');
    assert.equal((await one.run()).ran, false);
    assert.deepEqual(calls, ['one', 'one', 'two']);
    await one.stop();
    await two.stop();
  });

  test('a failing chore is reported and the others still run; a chore stopped at its cap brings the next run forward', async () => {
    const db = await scratch(t, 'prune_backlog', 35, 0);
    clock.advance(2 * HOUR);
    const hk = createHousekeeping({ db: t.deps.db, clock, log: quiet, batchSize: 10, maxBatches: 2, backlogPauseMs: 10 });
    const ran: number[] = [];
    hk.add('broken', async () => { throw new Error('boom'); });
    hk.add('scratch', async (limits) => {
      const r = await pruneInBatches(db, { table: 'prune_backlog', key: 'id', where: (eb) => eb('old', '=', true) }, limits);
      ran.push(r.deleted);
      return r.deleted;
    });
    const first = await hk.run();
    assert.equal(first.ran, true);
    assert.deepEqual(first.failed, ['broken']);
    assert.deepEqual(first.deleted, { scratch: 20 });
    assert.equal(first.backlog, true);
    // The follow-up run comes on its own, after the short pause, and finishes the table.
    const until = Date.now() + 10_000;
    while ((await countOf(db, 'prune_backlog')) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await countOf(db, 'prune_backlog'), 0);
    await hk.stop();
    assert.deepEqual(ran, [20, 15]);
    assert.equal((await hk.run()).ran, false, 'a stopped housekeeping does not run');
  });
});
