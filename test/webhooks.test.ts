// Webhooks against a local receiver: signed deliveries (Standard Webhooks headers) of the
// event types an endpoint asked for, retries on a controlled clock with growing delays,
// dead-lettering at the end of the retry window and replay, secret rotation, and a slow
// endpoint that holds up neither requests nor other endpoints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { ManualClock } from '../src/core/clock.ts';
import { verifyMessage } from '../src/core/crypto/index.ts';
import { bearer, createTestApp, json, login, register, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
// The admin's token has to outlive the day these tests move the clock through.
const LONG_TOKENS = { AUTH_ACCESS_TOKEN_EXPIRY: '3d' };
let receivers: Receiver[] = [];
const receiver = async () => {
  const r = await new Receiver().start();
  receivers.push(r);
  return r;
};
before(() => { receivers = []; });
after(async () => { for (const r of receivers) await r.stop(); });

async function withApp(opts: Parameters<typeof createTestApp>[0], fn: (t: TestApp, admin: string) => Promise<void>): Promise<void> {
  // The receivers listen on loopback, which endpoints may name only with this setting.
  const t = await createTestApp({ ...opts, env: { AUTH_WEBHOOK_ALLOW_PRIVATE: 'true', ...opts?.env } });
  try {
    // The first account of a fresh database is its super_admin.
    const admin = await signUp(t.app);
    await fn(t, admin.accessToken);
  } finally {
    await t.close();
  }
}

async function createEndpoint(t: TestApp, admin: string, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await t.app.inject({ method: 'POST', url: '/admin/webhooks', headers: bearer(admin), payload: body });
  assert.equal(res.statusCode, 201, res.body);
  return { id: json(res).endpoint.id, secret: json(res).secret };
}

/** Lets the worker send whatever is due now, and waits for it. */
async function settle(t: TestApp): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  await t.deps.webhookWorker.kick();
  await t.deps.webhookWorker.idle();
}

const deliveries = async (t: TestApp, admin: string, id: string, query = '') => {
  const res = await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}/deliveries${query}`, headers: bearer(admin) });
  if (res.statusCode !== 200) console.log(t.logs.filter((l) => l.includes('"level":50')).join('\n'));
  assert.equal(res.statusCode, 200, res.body);
  return json(res) as { deliveries: Record<string, any>[]; nextCursor: string | null };
};

describe('webhook deliveries', () => {
  test('signed deliveries of the chosen event types only, with their attempts in the admin API', async () => {
    const r = await receiver();
    await withApp({ logLevel: 'error' }, async (t, admin) => {
      const { id, secret } = await createEndpoint(t, admin, { url: `${r.url}/hooks/tessera?tenant=1`, eventTypes: ['user.created', 'session.*'], description: 'CRM' });
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
      const stored = await t.deps.db.selectFrom('webhook_endpoints').select('secret_encrypted').where('id', '=', id).executeTakeFirstOrThrow();
      assert.ok(!stored.secret_encrypted.includes(secret.slice(6)), 'the secret is sealed at rest');

      const creds = uniqueCredentials('hooked');
      const { user } = await register(t.app, creds);
      const [first] = await r.waitFor(1);
      assert.equal(first!.method, 'POST');
      assert.equal(first!.path, '/hooks/tessera?tenant=1');
      assert.equal(first!.headers['content-type'], 'application/json');
      assert.match(String(first!.headers['user-agent']), /^Tessera-Webhooks\//);
      assert.ok(verifyMessage(secret, first!.headers, first!.body, Date.now()), 'signed with the endpoint secret');
      assert.ok(!verifyMessage(`whsec_${randomBytes(32).toString('base64')}`, first!.headers, first!.body, Date.now()), 'another secret does not verify');
      assert.ok(!verifyMessage(secret, first!.headers, first!.body.replace(creds.email, 'x' + creds.email), Date.now()), 'a changed body does not verify');
      assert.ok(!verifyMessage(secret, first!.headers, first!.body, Date.now() + 3_600_000), 'an old message is refused');
      const envelope = JSON.parse(first!.body);
      assert.equal(envelope.type, 'user.created');
      assert.equal(envelope.subject, user.id);
      assert.equal(first!.headers['webhook-id'], envelope.id, 'the webhook id is the envelope id');
      assert.ok(!first!.body.includes(creds.password));

      // A failed sign-in is not asked for; a session is.
      assert.equal((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'wrong-password-1' } })).statusCode, 401);
      await login(t.app, creds, 'native');
      await r.waitFor(2);
      await settle(t);
      assert.equal(r.requests.length, 2);
      assert.equal(JSON.parse(r.requests[1]!.body).type, 'session.created');
      const failed = await t.deps.db.selectFrom('events').select('id').where('type', '=', 'user.login_failed').execute();
      assert.equal(failed.length, 1, 'the event exists, but the endpoint did not ask for it');

      const list = await deliveries(t, admin, id);
      assert.deepEqual(list.deliveries.map((d) => [d.eventType, d.status, d.attempts]), [['session.created', 'succeeded', 1], ['user.created', 'succeeded', 1]]);
      assert.equal(list.deliveries[1]!.eventId, envelope.id);
      assert.deepEqual(list.deliveries[1]!.attemptLog.map((a: any) => [a.statusCode, a.error, a.succeeded]), [[200, null, true]]);
      const one = json(await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}/deliveries/${list.deliveries[1]!.id}`, headers: bearer(admin) }));
      assert.deepEqual(one.payload, envelope);
      // Paging, newest first.
      const page1 = await deliveries(t, admin, id, '?limit=1');
      assert.equal(page1.deliveries[0]!.eventType, 'session.created');
      const page2 = await deliveries(t, admin, id, `?limit=1&cursor=${page1.nextCursor}`);
      assert.deepEqual([page2.deliveries[0]!.eventType, page2.nextCursor], ['user.created', null]);
      assert.equal((await deliveries(t, admin, id, '?status=dead')).deliveries.length, 0);
      const endpoint = json(await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}`, headers: bearer(admin) }));
      assert.deepEqual([endpoint.pending, endpoint.dead, endpoint.eventTypes], [0, 0, ['session.*', 'user.created']]);
    });
  });

  test('a failing endpoint is retried after growing delays on the controlled clock, with the same webhook id', async () => {
    const r = await receiver();
    r.answers = [{ status: 500 }, { status: 502 }, 'hang', { status: 200 }];
    const clock = new ManualClock(T0);
    await withApp({ clock, env: { AUTH_WEBHOOK_TIMEOUT: '1s' } }, async (t, admin) => {
      const { id, secret } = await createEndpoint(t, admin, { url: r.url, eventTypes: ['user.created'] });
      await register(t.app);
      await r.waitFor(1);
      await settle(t);
      const state = async () => (await deliveries(t, admin, id)).deliveries[0]!;
      let d = await state();
      assert.deepEqual([d.status, d.attempts, d.lastStatusCode, d.lastError], ['pending', 1, 500, 'HTTP 500']);
      const delay1 = Date.parse(d.nextAttemptAt) - clock.now();
      assert.ok(delay1 >= 5000 && delay1 <= 5500, `first retry after 5 s (+10% jitter at most), got ${delay1}`);

      // Not due yet: nothing is sent.
      clock.advance(delay1 - 1);
      await settle(t);
      assert.equal(r.requests.length, 1);
      clock.advance(1);
      await settle(t);
      assert.equal(r.requests.length, 2);
      d = await state();
      assert.deepEqual([d.status, d.attempts, d.lastError], ['pending', 2, 'HTTP 502']);
      const delay2 = Date.parse(d.nextAttemptAt) - clock.now();
      assert.ok(delay2 >= 30_000 && delay2 <= 33_000, `second retry after 30 s, got ${delay2}`);

      // No answer within AUTH_WEBHOOK_TIMEOUT is a failed attempt.
      clock.advance(delay2);
      await settle(t);
      d = await state();
      assert.deepEqual([d.status, d.attempts, d.lastStatusCode, d.lastError], ['pending', 3, null, 'timeout']);
      const delay3 = Date.parse(d.nextAttemptAt) - clock.now();
      assert.ok(delay3 >= 120_000 && delay3 <= 132_000, `third retry after 2 min, got ${delay3}`);

      clock.advance(delay3);
      await settle(t);
      d = await state();
      assert.deepEqual([d.status, d.attempts, d.nextAttemptAt, d.lastStatusCode], ['succeeded', 4, null, 200]);
      assert.deepEqual(d.attemptLog.map((a: any) => a.error), ['HTTP 500', 'HTTP 502', 'timeout', null]);
      assert.equal(new Set(r.requests.map((q) => q.headers['webhook-id'])).size, 1, 'every attempt carries the same webhook id');
      // Each attempt is signed when it is sent (the receiver checks against the clock it shares with us).
      assert.ok(verifyMessage(secret, r.requests[3]!.headers, r.requests[3]!.body, clock.now()));
      assert.equal(Number(r.requests[3]!.headers['webhook-timestamp']), Math.floor(clock.now() / 1000));
      r.release();
    });
  });

  test('retried for 24 hours, then dead-lettered; a replay sends it again with the same webhook id', async () => {
    const r = await receiver();
    r.answers = [{ status: 503 }];
    const clock = new ManualClock(T0);
    await withApp({ clock, env: LONG_TOKENS }, async (t, admin) => {
      const { id } = await createEndpoint(t, admin, { url: r.url, eventTypes: ['user.*'] });
      const { user } = await register(t.app);
      await r.waitFor(1);
      await settle(t);
      let d = (await deliveries(t, admin, id)).deliveries[0]!;
      const created = Date.parse(d.createdAt);
      const pendingReplay = await t.app.inject({ method: 'POST', url: `/admin/webhooks/${id}/deliveries/${d.id}/replay`, headers: bearer(admin) });
      assert.deepEqual([pendingReplay.statusCode, json(pendingReplay).code], [409, 'delivery_pending']);
      for (let i = 0; i < 40 && d.status === 'pending'; i++) {
        assert.ok(Date.parse(d.nextAttemptAt) <= created + 86_400_000, 'no attempt is planned past the window');
        clock.set(Date.parse(d.nextAttemptAt));
        await settle(t);
        d = (await deliveries(t, admin, id)).deliveries[0]!;
      }
      assert.equal(d.status, 'dead');
      assert.equal(Date.parse(d.completedAt), created + 86_400_000, 'the last attempt is at the end of the window');
      assert.equal(r.requests.length, d.attempts);
      assert.ok(d.attemptLog.every((a: any) => a.statusCode === 503 && !a.succeeded));
      // The delays grow (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h) up to every 4 hours.
      const times = d.attemptLog.map((a: any) => Date.parse(a.at));
      const gaps = times.slice(1).map((x: number, i: number) => x - times[i]);
      const base = [5, 30, 120, 600, 1800, 3600, 7200, 14400].map((s) => s * 1000);
      gaps.slice(0, -1).forEach((g: number, i: number) => {
        const b = base[Math.min(i, base.length - 1)]!;
        assert.ok(g >= b && g <= b * 1.1 + 1, `gap ${i} is ${g}, expected about ${b}`);
      });
      assert.ok(d.attempts >= 12 && d.attempts <= 15, `${d.attempts} attempts in a day`);
      const endpoint = json(await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}`, headers: bearer(admin) }));
      assert.deepEqual([endpoint.pending, endpoint.dead], [0, 1]);
      assert.equal((await deliveries(t, admin, id, '?status=dead')).deliveries.length, 1);

      // More events meanwhile are not held up by the dead one.
      r.answers = [{ status: 204 }];
      const replay = await t.app.inject({ method: 'POST', url: `/admin/webhooks/${id}/deliveries/${d.id}/replay`, headers: bearer(admin) });
      assert.equal(replay.statusCode, 201, replay.body);
      assert.deepEqual([json(replay).status, json(replay).attempts, json(replay).replayOf, json(replay).eventId], ['pending', 0, d.id, d.eventId]);
      await settle(t);
      const again = json(await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}/deliveries/${json(replay).id}`, headers: bearer(admin) }));
      assert.deepEqual([again.status, again.attempts, again.lastStatusCode], ['succeeded', 1, 204]);
      const last = r.requests[r.requests.length - 1]!;
      assert.equal(last.headers['webhook-id'], d.eventId);
      assert.equal(JSON.parse(last.body).subject, user.id);
      // The dead letter stays as it was, for the record.
      assert.equal(json(await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}/deliveries/${d.id}`, headers: bearer(admin) })).status, 'dead');

      const missing = await t.app.inject({ method: 'POST', url: `/admin/webhooks/${id}/deliveries/${randomUUID()}/replay`, headers: bearer(admin) });
      assert.deepEqual([missing.statusCode, json(missing).code], [404, 'delivery_not_found']);
      const noHook = await t.app.inject({ method: 'GET', url: `/admin/webhooks/${randomUUID()}/deliveries`, headers: bearer(admin) });
      assert.deepEqual([noHook.statusCode, json(noHook).code], [404, 'webhook_not_found']);
    });
  });

  test('a slow endpoint delays neither requests nor the other endpoints', async () => {
    const slow = await receiver();
    const fast = await receiver();
    slow.answers = ['hang'];
    // Long enough that the slow endpoint is still held while the rest of the test runs on a busy machine.
    await withApp({ env: { AUTH_WEBHOOK_TIMEOUT: '5s' } }, async (t, admin) => {
      const s = await createEndpoint(t, admin, { url: slow.url });
      await createEndpoint(t, admin, { url: fast.url });
      const creds = uniqueCredentials('slowpoke');
      await register(t.app, creds);
      await slow.waitFor(1);
      // While the slow endpoint holds its first delivery, requests and the fast endpoint go on.
      await login(t.app, creds, 'native');
      await fast.waitFor(2);
      assert.deepEqual(fast.requests.map((q) => JSON.parse(q.body).type), ['user.created', 'session.created']);
      assert.equal(slow.requests.length, 1, 'the slow endpoint is still on its first delivery');
      const open = (await deliveries(t, admin, s.id)).deliveries;
      assert.deepEqual(open.map((d) => [d.eventType, d.status]), [['session.created', 'pending'], ['user.created', 'pending']]);
      // Its timeout ends the attempt; the next delivery then goes out on its lane.
      slow.answers = [{ status: 200 }];
      await slow.waitFor(2);
      await settle(t);
      const after = (await deliveries(t, admin, s.id)).deliveries;
      const first = after.find((d) => d.eventType === 'user.created')!;
      assert.deepEqual([first.status, first.lastError], ['pending', 'timeout']);
      assert.equal(after.find((d) => d.eventType === 'session.created')!.status, 'succeeded');
    });
  });

  test('a rotated secret signs beside the new one for a day', async () => {
    const r = await receiver();
    const clock = new ManualClock(T0);
    await withApp({ clock, env: LONG_TOKENS }, async (t, admin) => {
      const own = `whsec_${randomBytes(24).toString('base64')}`;
      const { id, secret } = await createEndpoint(t, admin, { url: r.url, eventTypes: ['user.created'], secret: own });
      assert.equal(secret, own);
      const rotated = await t.app.inject({ method: 'POST', url: `/admin/webhooks/${id}/secret`, headers: bearer(admin) });
      assert.equal(rotated.statusCode, 200, rotated.body);
      const next = json(rotated).secret as string;
      assert.notEqual(next, own);
      assert.equal(Date.parse(json(rotated).endpoint.previousSecretExpiresAt), clock.now() + 86_400_000);
      await register(t.app);
      const [during] = await r.waitFor(1);
      assert.equal(String(during!.headers['webhook-signature']).split(' ').length, 2);
      assert.ok(verifyMessage(next, during!.headers, during!.body, clock.now()), 'the new secret verifies');
      assert.ok(verifyMessage(own, during!.headers, during!.body, clock.now()), 'the old secret still verifies during the grace period');

      clock.advance(86_400_000 + 1000);
      await register(t.app);
      const [, afterGrace] = await r.waitFor(2);
      assert.equal(String(afterGrace!.headers['webhook-signature']).split(' ').length, 1);
      assert.ok(verifyMessage(next, afterGrace!.headers, afterGrace!.body, clock.now()));
      assert.ok(!verifyMessage(own, afterGrace!.headers, afterGrace!.body, clock.now()), 'the old secret no longer verifies');
      assert.equal(json(await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}`, headers: bearer(admin) })).previousSecretExpiresAt, null);
    });
  });

  test('validation, inactive endpoints and deletion', async () => {
    const r = await receiver();
    await withApp({}, async (t, admin) => {
      const post = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/admin/webhooks', headers: bearer(admin), payload });
      for (const [payload, code] of [
        [{ url: r.url, eventTypes: ['user.exploded'] }, 'unknown_event_type'],
        [{ url: r.url, eventTypes: ['nothing.*'] }, 'unknown_event_type'],
        [{ url: 'ftp://127.0.0.1/x' }, 'validation_failed'],
        [{ url: 'not a url' }, 'validation_failed'],
        [{ url: `${r.url}/#frag` }, 'validation_failed'],
        [{ url: r.url, secret: 'whsec_short' }, 'validation_failed'],
        [{}, 'validation_failed'],
      ] as const) {
        const res = await post(payload as Record<string, unknown>);
        assert.deepEqual([res.statusCode, json(res).code], [400, code], JSON.stringify(payload));
      }
      assert.equal((await post({ url: r.url, eventTypes: ['*', 'identity.*', 'user.deleted'] })).statusCode, 201);
      const { id } = await createEndpoint(t, admin, { url: r.url, eventTypes: ['user.created'], active: false });
      assert.equal((await t.app.inject({ method: 'GET', url: '/admin/webhooks', headers: bearer(admin) })).json().webhooks.length, 2);
      await register(t.app);
      await settle(t);
      assert.equal((await deliveries(t, admin, id)).deliveries.length, 0, 'an inactive endpoint gets no deliveries');
      const on = await t.app.inject({ method: 'PATCH', url: `/admin/webhooks/${id}`, headers: bearer(admin), payload: { active: true, eventTypes: ['user.created', 'user.deleted'] } });
      assert.deepEqual([on.statusCode, json(on).active, json(on).eventTypes], [200, true, ['user.created', 'user.deleted']]);
      assert.equal((await t.app.inject({ method: 'PATCH', url: `/admin/webhooks/${id}`, headers: bearer(admin), payload: { eventTypes: ['bogus'] } })).json().code, 'unknown_event_type');
      await register(t.app);
      await r.waitFor(1);
      await settle(t);
      assert.equal((await deliveries(t, admin, id)).deliveries.length, 1);
      assert.equal((await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}/deliveries?cursor=abc`, headers: bearer(admin) })).json().code, 'validation_failed');
      const del = await t.app.inject({ method: 'DELETE', url: `/admin/webhooks/${id}`, headers: bearer(admin) });
      assert.equal(del.statusCode, 200);
      const gone = await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}`, headers: bearer(admin) });
      assert.deepEqual([gone.statusCode, json(gone).code], [404, 'webhook_not_found']);
      const left = await t.deps.db.selectFrom('webhook_deliveries').select('id').where('endpoint_id', '=', id).execute();
      assert.equal(left.length, 0, 'its deliveries went with it');
    });
  });
});
