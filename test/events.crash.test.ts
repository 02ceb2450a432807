// A crash between commit and publish loses nothing: the real server process is killed
// (SIGKILL, no shutdown at all) once with events committed while NATS was down, and once
// while registrations were pouring in; after a restart every committed account has its
// user.created event in the JetStream stream and at the webhook endpoint, duplicates
// only with the same id, and no event of a change that did not commit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { verifyMessage } from '../src/core/crypto/index.ts';
import { baseEnv, uniqueCredentials } from './helpers/app.ts';
import { createTestDatabase } from './helpers/db.ts';
import { NatsServer, natsSkip } from './helpers/nats.ts';
import { crash, freePort, post, run, waitHealthy, type Proc } from './helpers/process.ts';
import { Receiver } from './helpers/receiver.ts';

interface Published { subject: string; id: string; type: string }

/** Every message kept in the stream, in order. */
async function streamContents(url: string, stream: string): Promise<Published[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: Published[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (!m) continue;
      const env = m.json<{ id: string; type: string }>();
      out.push({ subject: m.subject, id: env.id, type: env.type });
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('events and a crashed process', { skip: natsSkip() }, () => {
  test('events committed before a kill -9 are published and delivered after the restart; none lost, none invented', async () => {
    const nats = await new NatsServer(true).start();
    const db = await createTestDatabase();
    const hooks = await new Receiver().start();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { ...baseEnv(), ...db.env, PORT: String(port), NATS_URL: nats.url, AUTH_WEBHOOK_TIMEOUT: '2s', AUTH_WEBHOOK_ALLOW_PRIVATE: 'true' };
    let proc: Proc = run('src/main.ts', env);
    try {
      await waitHealthy(base, proc);
      const boss = uniqueCredentials('boss');
      const first = await post(base, '/auth/register', boss);
      assert.equal(first.status, 201);
      const bossId = ((await first.json()) as { user: { id: string } }).user.id;
      const token = async () => (await (await post(base, '/auth/login', { ...boss, client: 'native' })).json() as { accessToken: string }).accessToken;
      const hook = await post(base, '/admin/webhooks', { url: hooks.url, eventTypes: ['user.created'] }, { authorization: `Bearer ${await token()}` });
      assert.equal(hook.status, 201);
      const { secret } = await hook.json() as { secret: string };

      // 1. NATS is down: the accounts commit with their events, which cannot be published; then the process dies.
      await nats.stop();
      const committed: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await post(base, '/auth/register', uniqueCredentials('offline'));
        assert.equal(res.status, 201);
        committed.push(((await res.json()) as { user: { id: string } }).user.id);
      }
      await crash(proc);

      // 2. NATS is back; a new process starts on the backlog and dies while registrations pour in.
      await nats.start();
      proc = run('src/main.ts', env);
      await waitHealthy(base, proc);
      const burst = Array.from({ length: 16 }, () => post(base, '/auth/register', uniqueCredentials('burst')));
      let answers = 0;
      await new Promise<void>((resolve) => { for (const p of burst) p.then(() => { if (++answers === 4) resolve(); }, () => undefined); });
      await crash(proc);
      const answered = await Promise.allSettled(burst);
      for (const r of answered) {
        if (r.status === 'fulfilled' && r.value.status === 201) committed.push(((await r.value.json()) as { user: { id: string } }).user.id);
      }

      // 3. A third process: whatever committed is published and delivered.
      proc = run('src/main.ts', env);
      await waitHealthy(base, proc);
      const bearer = { authorization: `Bearer ${await token()}` };
      const users: string[] = [];
      for (let cursor: string | null = null; ;) {
        const page = await (await fetch(`${base}/admin/users?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: bearer })).json() as { users: { id: string }[]; nextCursor: string | null };
        users.push(...page.users.map((u) => u.id));
        if (!(cursor = page.nextCursor)) break;
      }
      for (const id of committed) assert.ok(users.includes(id), 'an account that was answered 201 exists');
      const createdIn = (msgs: Published[]) => new Set(msgs.filter((m) => m.type === 'user.created').map((m) => m.subject.split('.')[2]));
      await eventually('every account in the stream', async () => {
        const seen = createdIn(await streamContents(nats.url, 'TESSERA_AUTH'));
        return users.every((u) => seen.has(u));
      });
      const msgs = await streamContents(nats.url, 'TESSERA_AUTH');
      const created = msgs.filter((m) => m.type === 'user.created');
      assert.deepEqual([...createdIn(msgs)].sort(), [...users].sort(), 'no event of an account that does not exist');
      for (const u of users) {
        const ids = new Set(created.filter((m) => m.subject === `auth.user.${u}.created`).map((m) => m.id));
        assert.equal(ids.size, 1, 'one event per account; a duplicate carries the same id');
      }

      // The endpoint was registered after the first account.
      const later = users.filter((u) => u !== bossId);
      await eventually('every later account at the webhook endpoint', async () => {
        const seen = new Set(hooks.requests.map((r) => JSON.parse(r.body).subject as string));
        return later.every((u) => seen.has(u));
      });
      assert.ok(!hooks.requests.some((r) => JSON.parse(r.body).subject === bossId));
      for (const u of later) {
        const got = hooks.requests.filter((r) => JSON.parse(r.body).subject === u);
        assert.equal(new Set(got.map((r) => r.headers['webhook-id'])).size, 1, 'redeliveries carry the same webhook id');
        for (const r of got) assert.ok(verifyMessage(secret, r.headers, r.body, Date.now()));
      }
    } finally {
      await crash(proc);
      await hooks.stop();
      await nats.dispose();
      await db.drop();
    }
  });
});
