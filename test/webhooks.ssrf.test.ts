// Webhooks cannot be pointed at this host or the networks behind it: registration refuses
// loopback, private, link-local and other special-purpose addresses however they are
// written (and plain http in production), and every delivery attempt resolves the name
// again and refuses it when it now leads to such an address (DNS rebinding), without any
// connection reaching the address. Names resolve through an injected resolver, so nothing
// here sends a packet to anything but loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { HostResolver } from '../src/core/net/index.ts';
import { bearer, createTestApp, json, register, signUp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import { SmtpSink } from './helpers/smtp.ts';

/** A public address that no test ever connects to (endpoints naming it stay inactive or get refused first). */
const PUBLIC = '93.184.215.14';

/** A resolver whose answers the test changes as it goes; it records what it was asked. */
function fakeDns(answers: Record<string, string[]>): HostResolver & { answers: Record<string, string[]>; asked: string[] } {
  const asked: string[] = [];
  const resolve = (async (host: string) => {
    asked.push(host);
    const list = resolve.answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 as const : 4 as const }));
  }) as HostResolver & { answers: Record<string, string[]>; asked: string[] };
  resolve.answers = answers;
  resolve.asked = asked;
  return resolve;
}

/** A loopback listener that only counts connections: none may arrive when a delivery is refused. */
class Tripwire {
  connections = 0;
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  async start(): Promise<this> {
    this.server = createServer((s) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return this;
  }
  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server?.close(r));
  }
}

async function withApp(opts: Parameters<typeof createTestApp>[0], fn: (t: TestApp, admin: string) => Promise<void>): Promise<void> {
  const t = await createTestApp(opts);
  try {
    const admin = await signUp(t.app);
    await fn(t, admin.accessToken);
  } finally {
    await t.close();
  }
}

const post = (t: TestApp, admin: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: '/admin/webhooks', headers: bearer(admin), payload });

async function settle(t: TestApp): Promise<void> {
  await new Promise((r) => setTimeout(r, 20));
  await t.deps.webhookWorker.kick();
  await t.deps.webhookWorker.idle();
}

async function onlyDelivery(t: TestApp, admin: string, id: string): Promise<Record<string, any>> {
  const res = await t.app.inject({ method: 'GET', url: `/admin/webhooks/${id}/deliveries`, headers: bearer(admin) });
  assert.equal(res.statusCode, 200, res.body);
  const list = json(res).deliveries as Record<string, any>[];
  assert.equal(list.length, 1);
  return list[0]!;
}

let tripwire: Tripwire;
let receiver: Receiver;
before(async () => {
  tripwire = await new Tripwire().start();
  receiver = await new Receiver().start();
});
after(async () => {
  await tripwire.stop();
  await receiver.stop();
});

describe('registration', () => {
  test('refuses every class of non-public address, however written, and names that lead to one', async () => {
    const dns = fakeDns({
      'intranet.example.com': ['10.0.0.5'],
      'metadata.example.com': ['169.254.169.254'],
      'mixed.example.com': [PUBLIC, '127.0.0.1'],
      'v6.example.com': ['2606:4700::1111', 'fd00::1'],
      'mapped.example.com': ['::ffff:192.168.0.1'],
      'pub.example.com': [PUBLIC],
    });
    await withApp({ resolveHost: dns }, async (t, admin) => {
      const refused = [
        // Loopback, also as decimal, octal, hex, short and percent-encoded IPv4, and as IPv6.
        'http://127.0.0.1:9/hook', 'http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://127.1/', 'http://%31%32%37.0.0.1/',
        'http://127.10.20.30/', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://[0:0:0:0:0:ffff:7f00:1]/',
        // Unspecified.
        'http://0.0.0.0/', 'http://0/', 'http://[::]/',
        // Private (RFC 1918, RFC 4193), link-local (cloud metadata), shared (CGNAT).
        'http://10.1.2.3/', 'http://172.16.0.1/', 'http://172.31.255.254/', 'http://192.168.1.1/', 'http://[fc00::1]/', 'http://[fd12:3456::1]/',
        'http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', 'http://[::ffff:169.254.169.254]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://100.64.0.1/',
        // Multicast, broadcast, documentation and other reserved ranges.
        'http://224.0.0.1/', 'http://[ff02::1]/', 'http://255.255.255.255/', 'http://240.0.0.1/', 'http://192.0.2.10/', 'http://[2001:db8::1]/',
        // Local names, and names whose addresses (any of them) are not public.
        'http://localhost:4000/', 'http://LOCALHOST./', 'http://api.localhost/', 'http://metadata.google.internal/', 'http://printer.local/',
        'https://intranet.example.com/hook', 'https://metadata.example.com/', 'https://mixed.example.com/', 'https://v6.example.com/', 'https://mapped.example.com/',
      ];
      for (const url of refused) {
        const res = await post(t, admin, { url, eventTypes: ['user.created'] });
        assert.deepEqual([res.statusCode, json(res).code], [400, 'webhook_url_not_allowed'], url);
        assert.equal(json(res).details[0].field, 'url');
        assert.doesNotMatch(res.body, /10\.0\.0\.5|169\.254|fd00|192\.168/, 'the answer names no resolved address');
      }
      assert.ok(!dns.asked.some((h) => /localhost|\.internal|\.local$/.test(h)), 'local names are refused without asking DNS');

      // Public destinations are accepted (inactive, so that nothing is ever sent to them).
      for (const url of [`https://${PUBLIC}/hook`, 'https://pub.example.com/hook', 'http://pub.example.com/hook', 'https://not-yet.example.com/hook', 'https://[2606:4700::1111]/']) {
        const res = await post(t, admin, { url, eventTypes: ['user.created'], active: false });
        assert.equal(res.statusCode, 201, `${url}: ${res.body}`);
      }
      assert.ok(dns.asked.includes('not-yet.example.com'), 'a name that does not resolve yet is accepted; delivery checks it again');
      assert.ok(!dns.asked.some((h) => /^[\d.]+$|:/.test(h)), 'literal addresses are never looked up');

      // Changing the URL is checked the same way.
      const { id } = json(await post(t, admin, { url: 'https://pub.example.com/a', active: false })).endpoint;
      const patched = await t.app.inject({ method: 'PATCH', url: `/admin/webhooks/${id}`, headers: bearer(admin), payload: { url: 'http://169.254.169.254/' } });
      assert.deepEqual([patched.statusCode, json(patched).code], [400, 'webhook_url_not_allowed']);
      const row = await t.deps.db.selectFrom('webhook_endpoints').select('url').where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.url, 'https://pub.example.com/a');
    });
  });

  test('production requires https, even with private addresses allowed', async () => {
    const dns = fakeDns({ 'pub.example.com': [PUBLIC] });
    // Production sends mail (to a local sink here).
    const sink = await new SmtpSink().start();
    try {
      for (const allowPrivate of ['false', 'true']) {
        await withApp({ resolveHost: dns, env: { ...sink.env(), NODE_ENV: 'production', AUTH_WEBHOOK_ALLOW_PRIVATE: allowPrivate } }, async (t, admin) => {
          for (const url of ['http://pub.example.com/hook', `http://${PUBLIC}/`, 'http://127.0.0.1:9/']) {
            const res = await post(t, admin, { url, active: false });
            assert.deepEqual([res.statusCode, json(res).code, json(res).details?.[0]?.message], [400, 'webhook_url_not_allowed', 'must use https'], url);
          }
          assert.equal((await post(t, admin, { url: 'https://pub.example.com/hook', active: false })).statusCode, 201);
          const local = await post(t, admin, { url: 'https://127.0.0.1:9/', active: false });
          assert.equal(local.statusCode, allowPrivate === 'true' ? 201 : 400, local.body);
        });
      }
    } finally {
      await sink.stop();
    }
  });
});

describe('delivery', () => {
  test('a name re-pointed at loopback after registration is refused at delivery, and no connection reaches it', async () => {
    const dns = fakeDns({ 'rebind.example.com': [PUBLIC], 'mixed.example.com': [PUBLIC] });
    await withApp({ resolveHost: dns, logLevel: 'warn' }, async (t, admin) => {
      const endpoints: string[] = [];
      for (const host of ['rebind.example.com', 'mixed.example.com']) {
        const res = await post(t, admin, { url: `http://${host}:${tripwire.port}/hook`, eventTypes: ['user.created'] });
        assert.equal(res.statusCode, 201, res.body);
        endpoints.push(json(res).endpoint.id);
      }
      // An endpoint stored before the rule (or while it was off), written in hex.
      const old = json(await post(t, admin, { url: 'https://pub.example.com/', eventTypes: ['user.created'], active: false })).endpoint.id;
      await t.deps.db.updateTable('webhook_endpoints').set({ url: `http://0x7f.0.0.1:${tripwire.port}/hook`, active: true }).where('id', '=', old).execute();

      // Now the names lead to loopback (entirely, or one address among public ones).
      dns.answers['rebind.example.com'] = ['127.0.0.1'];
      dns.answers['mixed.example.com'] = [PUBLIC, '127.0.0.1'];
      dns.asked.length = 0;
      await register(t.app);
      await settle(t);

      for (const id of [...endpoints, old]) {
        const d = await onlyDelivery(t, admin, id);
        assert.deepEqual([d.status, d.attempts, d.lastStatusCode, d.lastError], ['pending', 1, null, 'address_not_allowed'], id);
        assert.deepEqual(d.attemptLog.map((a: any) => [a.statusCode, a.error, a.succeeded]), [[null, 'address_not_allowed', false]]);
      }
      assert.deepEqual(dns.asked.sort(), ['mixed.example.com', 'rebind.example.com'], 'each attempt resolves the name again');
      assert.equal(tripwire.connections, 0, 'no connection reached the loopback listener');
      const logged = t.logs.filter((l) => l.includes('webhook delivery failed'));
      assert.equal(logged.length, 3);
      for (const l of logged) assert.doesNotMatch(l, /127\.0\.0\.1|0x7f/, 'the log names no address');
    });
  });

  test('with AUTH_WEBHOOK_ALLOW_PRIVATE=true, loopback receivers get their deliveries, through the address that was resolved', async () => {
    const dns = fakeDns({ 'hooks.example.com': ['::1', '127.0.0.1'] });
    await withApp({ resolveHost: dns, env: { AUTH_WEBHOOK_ALLOW_PRIVATE: 'true' } }, async (t, admin) => {
      const port = new URL(receiver.url).port;
      const ids: string[] = [];
      for (const url of [`${receiver.url}/literal`, `http://hooks.example.com:${port}/named`]) {
        const res = await post(t, admin, { url, eventTypes: ['user.created'] });
        assert.equal(res.statusCode, 201, res.body);
        ids.push(json(res).endpoint.id);
      }
      await register(t.app);
      const got = await receiver.waitFor(2);
      await settle(t);
      assert.deepEqual(got.map((r) => r.path).sort(), ['/literal', '/named']);
      // The name went to the address the resolver gave, and stayed the Host.
      assert.equal(got.find((r) => r.path === '/named')!.headers.host, `hooks.example.com:${port}`);
      for (const id of ids) assert.deepEqual([(await onlyDelivery(t, admin, id)).status], ['succeeded']);
      assert.equal(tripwire.connections, 0);
    });
  });
});
