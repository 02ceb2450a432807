// The key a client is limited by: its IPv4 address, or the /64 of an IPv6 address (one
// host usually holds a whole /64, so per-address limits would be trivial to escape).
import { isIPv4, isIPv6 } from 'node:net';

export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  // Expand :: and keep the first four groups.
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : ip.split(':');
  return `${groups.slice(0, 4).map((g) => parseInt(g || '0', 16).toString(16)).join(':')}::/64`;
}
