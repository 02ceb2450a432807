import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { isLocalName, resolveTarget, restrictedClass, TargetRefused, type OutboundPolicy } from './address-policy.ts';
import { pinnedLookup, pinnedPost } from './pinned-request.ts';

describe('restrictedClass', () => {
  test('special-purpose IPv4 and IPv6 addresses are named; public ones are not', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['::1', 'loopback'],
      ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
      ['fc00::1', 'private'], ['fd12:3456:789a::1', 'private'],
      ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf::1', 'link-local'],
      ['100.64.0.1', 'shared'], ['100.127.255.255', 'shared'],
      ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
      ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
      ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'],
      ['192.0.2.1', 'reserved'], ['198.51.100.7', 'reserved'], ['203.0.113.9', 'reserved'], ['198.18.0.1', 'reserved'], ['192.0.0.8', 'reserved'],
      ['2001:db8::1', 'reserved'], ['2001::1', 'reserved'], ['2002:7f00:1::1', 'reserved'], ['fec0::1', 'reserved'], ['::7f00:1', 'reserved'],
      ['64:ff9b:1::1', 'reserved'], ['100::1', 'reserved'],
      // IPv6 that carries an IPv4 address is judged by that address.
      ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local'], ['::ffff:10.0.0.1', 'private'],
      ['64:ff9b::169.254.169.254', 'link-local'], ['64:ff9b::a00:1', 'private'],
      ['not an address', 'reserved'], ['[::1]', 'loopback'],
      // Public.
      ['93.184.215.14', undefined], ['8.8.8.8', undefined], ['172.32.0.1', undefined], ['100.128.0.1', undefined], ['169.255.0.1', undefined],
      ['2606:4700::1111', undefined], ['::ffff:8.8.8.8', undefined], ['64:ff9b::808:808', undefined],
    ];
    for (const [ip, cls] of cases) assert.equal(restrictedClass(ip), cls, ip);
  });

  test('names that only mean this machine or the local network', () => {
    for (const n of ['localhost', 'LOCALHOST.', 'api.localhost', 'printer.local', 'router.home.arpa', 'metadata.google.internal']) assert.ok(isLocalName(n), n);
    for (const n of ['example.com', 'localhost.example.com', 'internal.example.com', 'local']) assert.ok(!isLocalName(n), n);
  });
});

describe('resolveTarget', () => {
  const policy = (over: Partial<OutboundPolicy> = {}, answers: Record<string, string[]> = {}): OutboundPolicy & { asked: string[] } => {
    const asked: string[] = [];
    return {
      requireHttps: false, allowPrivate: false, asked, ...over,
      resolve: async (host) => {
        asked.push(host);
        const list = answers[host];
        if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
    };
  };
  const refused = (reason: string) => (err: unknown) => err instanceof TargetRefused && err.reason === reason;

  test('encoded IPv4 forms are refused as what the URL parser makes of them, without asking DNS', async () => {
    const p = policy();
    for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://127.1/', 'http://0/', 'http://%31%32%37.0.0.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::]:80/']) {
      await assert.rejects(resolveTarget(new URL(url), p), refused('address_not_allowed'), url);
    }
    assert.deepEqual(p.asked, []);
  });

  test('a name is refused when any of its addresses is restricted; otherwise every address is returned', async () => {
    const p = policy({}, { 'pub.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], 'mixed.example.com': ['93.184.215.14', '10.0.0.5'], 'none.example.com': [] });
    assert.deepEqual(await resolveTarget(new URL('https://pub.example.com/x'), p), [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }]);
    await assert.rejects(resolveTarget(new URL('https://mixed.example.com/x'), p), refused('address_not_allowed'));
    await assert.rejects(resolveTarget(new URL('https://none.example.com/x'), p), { code: 'ENOTFOUND' });
    await assert.rejects(resolveTarget(new URL('https://missing.example.com/x'), p), { code: 'ENOTFOUND' });
    await assert.rejects(resolveTarget(new URL('https://localhost/x'), p), refused('address_not_allowed'));
    assert.ok(!p.asked.includes('localhost'), 'localhost is refused without asking DNS');
  });

  test('https is required when asked for, private addresses allowed only when allowed', async () => {
    await assert.rejects(resolveTarget(new URL('http://93.184.215.14/'), policy({ requireHttps: true })), refused('https_required'));
    await assert.rejects(resolveTarget(new URL('http://127.0.0.1/'), policy({ requireHttps: true, allowPrivate: true })), refused('https_required'));
    assert.deepEqual(await resolveTarget(new URL('http://127.0.0.1:9/'), policy({ allowPrivate: true })), [{ address: '127.0.0.1', family: 4 }]);
    assert.deepEqual(await resolveTarget(new URL('http://[::1]:9/'), policy({ allowPrivate: true })), [{ address: '::1', family: 6 }]);
  });

  test('a resolution that outlives the signal ends with it', async () => {
    const slow: OutboundPolicy = { requireHttps: false, allowPrivate: false, resolve: () => new Promise(() => undefined) };
    // AbortSignal.timeout's timer does not keep the process alive: this one does, meanwhile.
    const keepAlive = setTimeout(() => undefined, 5_000);
    try {
      await assert.rejects(resolveTarget(new URL('https://slow.example.com/'), slow, AbortSignal.timeout(20)), { name: 'TimeoutError' });
    } finally {
      clearTimeout(keepAlive);
    }
  });
});

describe('pinnedPost', () => {
  test('lookup answers only with the checked addresses, one or all, by family', () => {
    const lookup = pinnedLookup([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    const got: unknown[] = [];
    lookup('x.example.com', { all: true }, (err, a) => got.push(err, a));
    lookup('x.example.com', { family: 6 }, (err, a, f) => got.push(err, a, f));
    lookup('x.example.com', {}, (err, a, f) => got.push(err, a, f));
    assert.deepEqual(got, [null, [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }], null, '::1', 6, null, '127.0.0.1', 4]);
    pinnedLookup([{ address: '127.0.0.1', family: 4 }])('x.example.com', { family: 6 }, (err) => assert.equal(err?.code, 'ENOTFOUND'));
  });

  test('connects to the checked address while Host stays the name', async () => {
    const seen: { host?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { seen.push({ host: req.headers.host, body }); res.writeHead(202).end('ignored'); });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const status = await pinnedPost(new URL(`http://hooks.example.com:${port}/in?x=1`), [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }], {
        headers: { 'content-type': 'application/json' }, body: '{"a":1}', signal: AbortSignal.timeout(5000),
      });
      assert.equal(status, 202);
      assert.deepEqual(seen, [{ host: `hooks.example.com:${port}`, body: '{"a":1}' }]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('TLS names the host in SNI (so the certificate is checked against it)', async () => {
    const names: string[] = [];
    const server = createTlsServer({ SNICallback: (name, cb) => { names.push(name); cb(new Error('no certificate here')); } });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      await assert.rejects(pinnedPost(new URL(`https://hooks.example.com:${port}/`), [{ address: '127.0.0.1', family: 4 }], { headers: {}, body: '{}', signal: AbortSignal.timeout(5000) }));
      assert.deepEqual(names, ['hooks.example.com']);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
