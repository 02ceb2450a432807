// Which addresses Tessera sends to on behalf of someone who only supplied a URL (webhook
// endpoints): public unicast addresses. Loopback, private, link-local, shared (CGNAT),
// multicast, broadcast and the other special-purpose ranges of the IANA registries are
// refused, and so are IPv6 addresses that carry such an IPv4 address (IPv4-mapped, NAT64).
// The check is made on parsed addresses, never on the URL's text: WHATWG URL parsing has
// already turned `2130706433`, `0x7f.1` and `127.1` into `127.0.0.1`. A name is resolved,
// every address it resolves to is checked, and the connection goes to those checked
// addresses (pinned-request.ts), so DNS cannot answer differently between the check and
// the connection (rebinding).
import { lookup } from 'node:dns/promises';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type AddressClass = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared' | 'multicast' | 'broadcast' | 'reserved';

/** Special-purpose ranges (IANA IPv4 and IPv6 registries); the first match names the class. */
const RANGES: [AddressClass, string, number][] = [
  ['unspecified', '0.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['shared', '100.64.0.0', 10],
  ['loopback', '127.0.0.0', 8],
  ['link-local', '169.254.0.0', 16],
  ['private', '172.16.0.0', 12],
  ['reserved', '192.0.0.0', 24],
  ['reserved', '192.0.2.0', 24],
  ['reserved', '192.88.99.0', 24],
  ['private', '192.168.0.0', 16],
  ['reserved', '198.18.0.0', 15],
  ['reserved', '198.51.100.0', 24],
  ['reserved', '203.0.113.0', 24],
  ['multicast', '224.0.0.0', 4],
  ['broadcast', '255.255.255.255', 32],
  ['reserved', '240.0.0.0', 4],
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['private', 'fc00::', 7],
  ['link-local', 'fe80::', 10],
  ['multicast', 'ff00::', 8],
  // Inside global unicast 2000::/3: protocol assignments (Teredo, benchmarking, ORCHID),
  // documentation, and 6to4, whose relays would carry the embedded IPv4 address anywhere.
  ['reserved', '2001::', 23],
  ['reserved', '2001:db8::', 32],
  ['reserved', '2002::', 16],
  ['reserved', '3fff::', 20],
];

const lists = RANGES.map(([cls, net, prefix]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, net.includes(':') ? 'ipv6' : 'ipv4');
  return [cls, list] as const;
});
/** IPv6 outside global unicast (2000::/3) is never public: site-local, IPv4-compatible, NAT64 local-use, SRv6 and unassigned space. */
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail allowed). */
function groups6(ip: string): number[] {
  let s = ip;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const part = (p: string | undefined) => (p ? p.split(':').map((h) => parseInt(h, 16)) : []);
  const h = part(head);
  const t = part(tail);
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** The IPv4 address in an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedIPv4(ip: string): string | undefined {
  const g = groups6(ip);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 5) && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6);
  if (!mapped && !nat64) return undefined;
  return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
}

/**
 * The class of an address that is not public unicast, or undefined for a public one.
 * Anything that is not an IP address at all counts as `reserved`.
 * @example restrictedClass('::ffff:127.0.0.1') // 'loopback'
 */
export function restrictedClass(address: string): AddressClass | undefined {
  // A zone index (fe80::1%eth0) only exists for link-scoped addresses.
  if (address.includes('%')) return 'link-local';
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isIPv4(ip)) {
    for (const [cls, list] of lists) if (list.check(ip, 'ipv4')) return cls;
    return undefined;
  }
  if (!isIPv6(ip)) return 'reserved';
  const v4 = embeddedIPv4(ip);
  if (v4 !== undefined) return restrictedClass(v4);
  for (const [cls, list] of lists) if (list.check(ip, 'ipv6')) return cls;
  return globalUnicast.check(ip, 'ipv6') ? undefined : 'reserved';
}

/**
 * Names that only ever mean this machine or the local network (RFC 6761 `localhost`,
 * mDNS `.local`, `.home.arpa`, the private-use `.internal`): refused without asking DNS.
 */
export function isLocalName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || /\.(localhost|local|home\.arpa|internal)$/.test(h);
}

export interface ResolvedAddress { address: string; family: 4 | 6 }
/** Every address a name resolves to (a resolution failure throws with the DNS code). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), which a connection would use too. */
export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface OutboundPolicy {
  /** Only https URLs (production). */
  requireHttps: boolean;
  /** Skip the address checks (development and tests with local receivers). */
  allowPrivate: boolean;
  resolve: HostResolver;
}

export type RefusalReason = 'https_required' | 'address_not_allowed';

/** A destination the policy refuses; `reason` is safe to show (it names no address). */
export class TargetRefused extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason);
    this.name = 'TargetRefused';
  }
}

/** The host of a URL as an IP literal (IPv6 without brackets), or undefined when it is a name. */
export function literalAddress(url: URL): ResolvedAddress | undefined {
  const h = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIPv4(h)) return { address: h, family: 4 };
  if (isIPv6(h)) return { address: h, family: 6 };
  return undefined;
}

/** What can be told from the URL alone: its scheme, a literal address, a local name. */
export function checkUrlTarget(url: URL, policy: Omit<OutboundPolicy, 'resolve'>): void {
  if (policy.requireHttps && url.protocol !== 'https:') throw new TargetRefused('https_required');
  if (policy.allowPrivate) return;
  const literal = literalAddress(url);
  if (literal ? restrictedClass(literal.address) !== undefined : isLocalName(url.hostname)) throw new TargetRefused('address_not_allowed');
}

/**
 * The addresses to connect to for `url`: checked from the URL, then resolved, and every
 * address checked (one restricted address refuses the lot). Throws TargetRefused, or the
 * resolver's error; `signal` ends a slow resolution.
 * @example const addrs = await resolveTarget(new URL(endpoint), policy, AbortSignal.timeout(5000));
 */
export async function resolveTarget(url: URL, policy: OutboundPolicy, signal?: AbortSignal): Promise<ResolvedAddress[]> {
  checkUrlTarget(url, policy);
  const literal = literalAddress(url);
  if (literal) return [literal];
  const addresses = await abortable(policy.resolve(url.hostname), signal);
  if (!addresses.length) throw Object.assign(new Error(`no address for ${url.hostname}`), { code: 'ENOTFOUND' });
  if (!policy.allowPrivate && addresses.some((a) => restrictedClass(a.address) !== undefined)) throw new TargetRefused('address_not_allowed');
  return addresses;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
