// Events over a real nats-server: every change writes its events in its transaction and
// the dispatcher publishes them to `auth.<entity>.<id>.<action>`; with NATS down they
// wait in the outbox and none is lost when it comes back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { bearer, createTestApp, json, login, register, signUp, uniqueCredentials } from './helpers/app.ts';
import { NatsServer, natsSkip } from './helpers/nats.ts';
import { codeOf, linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';
import { EVENT_TYPES } from '../src/modules/events/index.ts';
import { authorizationUrl, Browser, client, pkce, relyingParty, startProvider } from './helpers/oidc.ts';

const OIDC_TYPES = ['consent.granted', 'consent.revoked', 'grant.issued', 'grant.revoked'];

interface Received { subject: string; envelope: Record<string, any> }

async function collector(url: string) {
  const nc: NatsConnection = await connect({ servers: url });
  const got: Received[] = [];
  const sub = nc.subscribe('auth.>');
  (async () => { for await (const m of sub) got.push({ subject: m.subject, envelope: m.json() }); })().catch(() => undefined);
  await nc.flush();
  return {
    got,
    /** Waits until `n` more messages than `from` arrived, then a little longer for strays. */
    async next(from: number, n: number): Promise<Received[]> {
      const until = Date.now() + 10_000;
      while (got.length < from + n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 150));
      return got.slice(from);
    },
    close: () => nc.close(),
  };
}

describe('events to NATS', { skip: natsSkip() }, () => {
  for (const jetstream of [true, false]) {
    test(`${jetstream ? 'JetStream' : 'core NATS'}: each change publishes its events once, with the versioned envelope`, async () => {
      const nats = await new NatsServer(jetstream).start();
      const t = await createTestApp({ env: { NATS_URL: nats.url } });
      const c = await collector(nats.url);
      try {
        const step = async (action: () => Promise<unknown>, expected: string[]) => {
          const from = c.got.length;
          await action();
          const got = await c.next(from, expected.length);
          assert.deepEqual(got.map((g) => g.envelope.type).sort(), [...expected].sort(), expected.join(' '));
          return got;
        };
        const creds = uniqueCredentials('evt');
        const [created] = await step(() => register(t.app, creds), ['user.created']);
        const userId = created!.envelope.subject as string;
        assert.equal(created!.subject, `auth.user.${userId}.created`);
        assert.deepEqual(Object.keys(created!.envelope).sort(), ['actor', 'data', 'id', 'occurredAt', 'subject', 'type', 'version']);
        assert.equal(created!.envelope.version, 1);
        assert.equal(created!.envelope.data.user.email, creds.email);
        assert.ok(!JSON.stringify(created!.envelope).includes(creds.password));
        const [session] = await step(() => login(t.app, creds, 'native'), ['session.created']);
        assert.equal(session!.subject, `auth.session.${session!.envelope.subject}.created`);
        assert.equal(session!.envelope.data.userId, userId);
        await step(() => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password' } }), ['user.login_failed']);
        const s = await login(t.app, creds, 'native');
        await c.next(c.got.length, 1);
        const [ended] = await step(() => t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s.accessToken) }), ['session.invalidated', 'session.invalidated']);
        assert.equal(ended!.envelope.data.reason, 'logout');
        // Order per subject: created before invalidated for the same session.
        const sid = ended!.envelope.subject;
        const forSession = c.got.filter((g) => g.envelope.subject === sid).map((g) => g.envelope.type);
        assert.deepEqual(forSession, ['session.created', 'session.invalidated']);
        // The ids are unique.
        assert.equal(new Set(c.got.map((g) => g.envelope.id)).size, c.got.length);
        assert.equal(await t.deps.events.backlog(), 0);
      } finally {
        await c.close();
        await t.close();
        await nats.dispose();
      }
    });
  }

  test('NATS down while users are created: events wait, then all arrive once NATS is back, in order, none lost', async () => {
    const nats = await new NatsServer(true).start();
    const t = await createTestApp({ env: { NATS_URL: nats.url } });
    try {
      await signUp(t.app);
      const until = Date.now() + 10_000;
      while ((await t.deps.events.backlog()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await nats.stop();
      for (let i = 0; i < 5; i++) await register(t.app);
      assert.ok((await t.deps.events.backlog()) >= 5, 'the events wait in the outbox');
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 200);
      assert.equal(json(ready).status, 'degraded');
      assert.equal(json(ready).checks.nats, 'degraded');
      await nats.start();
      const deadline = Date.now() + 20_000;
      while ((await t.deps.events.backlog()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await t.deps.events.backlog(), 0, 'published after the restart');
      // The stream holds every event of the outbox exactly once, in outbox order.
      const nc = await connect({ servers: nats.url });
      try {
        const jsm = await jetstreamManager(nc);
        const info = await jsm.streams.info('TESSERA_AUTH');
        const ids: string[] = [];
        for (let seq = 1; seq <= info.state.last_seq; seq++) ids.push(JSON.parse((await jsm.streams.getMessage('TESSERA_AUTH', { seq }))!.string()).id);
        const outbox = (await t.deps.db.selectFrom('events').select('id').orderBy('seq').execute()).map((r) => r.id);
        assert.deepEqual(ids, outbox);
      } finally {
        await nc.close();
      }
    } finally {
      await t.close();
      await nats.dispose();
    }
  });

  test('without NATS_URL events are still recorded; bad NATS_URL values are refused at start', async () => {
    const t = await createTestApp();
    try {
      const { user } = await register(t.app);
      const rows = await t.deps.db.selectFrom('events').select(['type', 'subject']).execute();
      assert.deepEqual(rows, [{ type: 'user.created', subject: `auth.user.${user.id}.created` }]);
      assert.equal(t.deps.events.mode(), 'off');
    } finally {
      await t.close();
    }
    await assert.rejects(createTestApp({ env: { NATS_URL: 'http://127.0.0.1:4222' } }), /NATS_URL/);
  });
});

describe('admin changes as events', { skip: natsSkip() }, () => {
  let nats: NatsServer;
  before(async () => { nats = await new NatsServer(false).start(); });
  after(async () => { await nats.dispose(); });

  test('every type of the catalogue, each exactly once per change', async () => {
    const sink = await new SmtpSink().start();
    const t = await createTestApp({ env: { NATS_URL: nats.url, ...sink.env(), AUTH_REFRESH_TOKEN_REUSE_INTERVAL: '0', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false' } });
    const c = await collector(nats.url);
    const seen = new Set<string>();
    try {
      /** Runs a change and checks that exactly these events (type and subject) came of it. */
      const expect = async <T>(action: () => Promise<T>, expected: [string, string | undefined][]): Promise<T> => {
        const from = c.got.length;
        const out = await action();
        const got = await c.next(from, expected.length);
        const label = expected.map(([type]) => type).join(' ');
        assert.deepEqual(got.map((g) => g.envelope.type).sort(), expected.map(([type]) => type).sort(), label);
        for (const [type, subject] of expected) {
          if (subject) assert.ok(got.some((g) => g.envelope.type === type && g.envelope.subject === subject && g.subject === subjectOfType(type, subject)), `${type} about ${subject}`);
          seen.add(type);
        }
        return out;
      };
      const subjectOfType = (type: string, id: string) => `auth.${type.split('.')[0]}.${id}.${type.split('.')[1]}`;
      const admin = await signUp(t.app);
      await c.next(0, 2);
      const h = bearer(admin.accessToken);
      const creds = uniqueCredentials('every');
      const { user, registrant } = await expect(() => register(t.app, creds), [['user.created', undefined]]);
      const code = codeOf(await sink.latest(creds.email, /Verify your email/));
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { email: creds.email, code }, cookies: { tessera_registrant: registrant } }), [['user.email_verified', user.id]]);
      const s = await expect(() => login(t.app, creds, 'native'), [['session.created', undefined]]);
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: 'not-the-password-9' } }), [['user.login_failed', user.id]]);
      const rotated = json(await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } }));
      assert.ok(rotated.refreshToken);
      const sid = (await t.deps.db.selectFrom('sessions').select('id').where('user_id', '=', user.id).executeTakeFirstOrThrow()).id;
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: s.refreshToken } }), [['session.refresh_reused', sid], ['session.invalidated', sid]]);
      const s2 = await expect(() => login(t.app, creds, 'native'), [['session.created', undefined]]);
      const newPassword = 'A-new-passphrase-42';
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/password/change', headers: bearer(s2.accessToken), payload: { currentPassword: creds.password, newPassword } }), [['user.password_changed', user.id]]);
      await expect(() => t.app.inject({ method: 'PATCH', url: `/admin/users/${user.id}`, headers: h, payload: { metadata: { plan: 'pro' } } }), [['user.updated', user.id]]);
      await expect(() => t.app.inject({ method: 'PUT', url: `/admin/users/${user.id}/roles/moderator`, headers: h }), [['user.roles_changed', user.id]]);
      await expect(() => t.app.inject({ method: 'POST', url: `/admin/users/${user.id}/mfa/reset`, headers: h }), [['user.mfa_changed', user.id]]);
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s2.accessToken) }), [['session.invalidated', undefined]]);
      const sa = json(await t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: h, payload: { name: 'sync', permissions: ['users:read'] } })).serviceAccount;
      await expect(() => t.app.inject({ method: 'PATCH', url: `/admin/service-accounts/${sa.id}`, headers: h, payload: { permissions: [] } }), [['identity.updated', sa.id]]);
      await expect(() => t.app.inject({ method: 'DELETE', url: `/admin/service-accounts/${sa.id}`, headers: h }), [['identity.deleted', sa.id]]);
      // Organizations: each change is an event about the organization (auth.organization.<id>.<action>).
      const org = await expect(async () => json(await t.app.inject({ method: 'POST', url: '/auth/organizations', headers: h, payload: { name: 'Every Org' } })), [['organization.created', undefined]]);
      const orgs = `/auth/organizations/${org.id}`;
      await expect(() => t.app.inject({ method: 'PATCH', url: orgs, headers: h, payload: { name: 'Every Org 2' } }), [['organization.updated', org.id]]);
      const first = await expect(async () => json(await t.app.inject({ method: 'POST', url: `${orgs}/invitations`, headers: h, payload: { email: creds.email, role: 'admin' } })), [['organization.invitation_created', org.id]]);
      await expect(() => t.app.inject({ method: 'DELETE', url: `${orgs}/invitations/${first.id}`, headers: h }), [['organization.invitation_revoked', org.id]]);
      const mailFrom = sink.messages.length;
      await expect(() => t.app.inject({ method: 'POST', url: `${orgs}/invitations`, headers: h, payload: { email: creds.email } }), [['organization.invitation_created', org.id]]);
      const invitation = tokenOf(linkOf(await sink.latest(creds.email, /invited/i, mailFrom), 'http'));
      const s3 = await expect(() => login(t.app, { email: creds.email, password: newPassword }, 'native'), [['session.created', undefined]]);
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/organizations/invitations/accept', headers: bearer(s3.accessToken), payload: { token: invitation } }), [['organization.invitation_accepted', org.id]]);
      await expect(() => t.app.inject({ method: 'PATCH', url: `${orgs}/members/${user.id}`, headers: h, payload: { role: 'admin' } }), [['organization.member_role_changed', org.id]]);
      await expect(() => t.app.inject({ method: 'POST', url: `${orgs}/transfer`, headers: h, payload: { userId: user.id } }), [['organization.ownership_transferred', org.id]]);
      await expect(() => t.app.inject({ method: 'POST', url: `${orgs}/leave`, headers: h }), [['organization.member_left', org.id]]);
      await expect(() => t.app.inject({ method: 'POST', url: `/admin/organizations/${org.id}/members`, headers: h, payload: { userId: admin.user.id } }), [['organization.member_added', org.id]]);
      await expect(() => t.app.inject({ method: 'DELETE', url: `${orgs}/members/${admin.user.id}`, headers: bearer(s3.accessToken) }), [['organization.member_removed', org.id]]);
      await expect(() => t.app.inject({ method: 'DELETE', url: orgs, headers: bearer(s3.accessToken) }), [['organization.deleted', org.id]]);
      await expect(() => t.app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(s3.accessToken) }), [['session.invalidated', undefined]]);
      await expect(() => t.app.inject({ method: 'DELETE', url: `/admin/users/${user.id}`, headers: h }), [['user.deleted', user.id]]);
      // The OpenID provider's types are met by the test below, through a real authorization.
      assert.deepEqual([...seen].sort(), Object.keys(EVENT_TYPES).filter((k) => !OIDC_TYPES.includes(k)).sort(), 'every type of the catalogue was met');
    } finally {
      await c.close();
      await t.close();
      await sink.stop();
    }
  });

  test('the OpenID provider: consent granted, grant issued and revoked, consent revoked', async () => {
    const nats = await new NatsServer(false).start();
    const s = await startProvider({ env: { NATS_URL: nats.url } });
    const c = await collector(nats.url);
    try {
      await register(s.t.app); // the administrator
      const { creds, user } = await register(s.t.app);
      const rp = await relyingParty(s, { firstParty: false });
      const b = new Browser(s);
      assert.equal((await b.signIn(creds)).status, 200);
      const types = async (action: () => Promise<unknown>, want: string[]) => {
        const from = c.got.length;
        await action();
        const got = (await c.next(from, want.length)).filter((g) => OIDC_TYPES.includes(g.envelope.type as string));
        assert.deepEqual(got.map((g) => g.envelope.type).sort(), [...want].sort());
        for (const g of got) assert.equal(g.envelope.data.clientId, rp.clientId);
        return got;
      };
      const p = await pkce();
      let location = '';
      const consented = await types(async () => { location = (await b.authorize(authorizationUrl(rp, p), { approve: true })).location; }, ['consent.granted']);
      assert.equal(consented[0]!.subject, `auth.consent.${user.id}.granted`);
      let tokens!: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      const issued = await types(async () => {
        tokens = await client.authorizationCodeGrant(rp.config, new URL(location), { pkceCodeVerifier: p.verifier, expectedState: p.state, expectedNonce: p.nonce });
      }, ['grant.issued']);
      assert.equal(issued[0]!.envelope.data.userId, user.id);
      await types(() => client.tokenRevocation(rp.config, tokens.refresh_token!), ['grant.revoked']);
      const at = json(await s.t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: creds.email, password: creds.password, client: 'native' } })).accessToken as string;
      await types(() => s.t.app.inject({ method: 'DELETE', url: `/auth/oauth2/consents/${rp.clientId}`, headers: bearer(at) }), ['consent.revoked']);
    } finally {
      await c.close();
      await s.close();
      await nats.dispose();
    }
  });

  test('roles, disable, delete and service accounts', async () => {
    const t = await createTestApp({ env: { NATS_URL: nats.url } });
    const c = await collector(nats.url);
    try {
      const admin = await signUp(t.app);
      const h = bearer(admin.accessToken);
      const { user } = await register(t.app);
      await c.next(0, 3);
      const types = async (action: () => Promise<unknown>, n: number) => {
        const from = c.got.length;
        await action();
        return (await c.next(from, n)).map((g) => `${g.envelope.type} ${g.envelope.subject === user.id ? 'user' : 'other'}`).sort();
      };
      assert.deepEqual(await types(() => t.app.inject({ method: 'PUT', url: `/admin/users/${user.id}/roles/moderator`, headers: h }), 1), ['user.roles_changed user']);
      assert.deepEqual(await types(() => t.app.inject({ method: 'POST', url: `/admin/users/${user.id}/disable`, headers: h }), 1), ['user.updated user']);
      const sa = json(await t.app.inject({ method: 'POST', url: '/admin/service-accounts', headers: h, payload: { name: 'jobs', permissions: ['users:read'] } })).serviceAccount;
      assert.deepEqual(await types(() => t.app.inject({ method: 'PATCH', url: `/admin/service-accounts/${sa.id}`, headers: h, payload: { permissions: [] } }), 1), ['identity.updated other']);
      assert.deepEqual(await types(() => t.app.inject({ method: 'DELETE', url: `/admin/service-accounts/${sa.id}`, headers: h }), 1), ['identity.deleted other']);
      assert.deepEqual(await types(() => t.app.inject({ method: 'DELETE', url: `/admin/users/${user.id}`, headers: h }), 1), ['user.deleted user']);
      const roles = c.got.find((g) => g.envelope.type === 'user.roles_changed')!;
      assert.deepEqual(roles.envelope.data.roles, ['viewer', 'moderator']);
      assert.deepEqual(roles.envelope.actor, { type: 'user', id: admin.user.id });
    } finally {
      await c.close();
      await t.close();
    }
  });
});
