// A small MaxMind DB (format 2.0) writer, so that tests read a real .mmdb through the
// same reader production uses; no GeoLite file can be downloaded here. IPv4 trees only
// (ip_version 4), record size 24.
import { writeFileSync } from 'node:fs';

type Value = string | number | boolean | Value[] | { [k: string]: Value };

function ctrl(type: number, size: number): Buffer {
  const ext = type > 7;
  const head = (ext ? 0 : type) << 5;
  let sizeBits: number;
  let extra: Buffer;
  if (size < 29) { sizeBits = size; extra = Buffer.alloc(0); }
  else if (size < 285) { sizeBits = 29; extra = Buffer.from([size - 29]); }
  else if (size < 65821) { sizeBits = 30; extra = Buffer.alloc(2); extra.writeUInt16BE(size - 285); }
  else { sizeBits = 31; extra = Buffer.alloc(3); extra.writeUIntBE(size - 65821, 0, 3); }
  return Buffer.concat([Buffer.from([head | sizeBits]), ext ? Buffer.from([type - 7]) : Buffer.alloc(0), extra]);
}

function uint(type: number, n: number | bigint): Buffer {
  let v = BigInt(n);
  const bytes: number[] = [];
  while (v > 0n) { bytes.unshift(Number(v & 0xffn)); v >>= 8n; }
  return Buffer.concat([ctrl(type, bytes.length), Buffer.from(bytes)]);
}

export function encode(v: Value): Buffer {
  if (typeof v === 'string') { const b = Buffer.from(v, 'utf8'); return Buffer.concat([ctrl(2, b.length), b]); }
  if (typeof v === 'boolean') return ctrl(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v <= 0xffff ? uint(5, v) : v <= 0xffffffff ? uint(6, v) : uint(9, v);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([ctrl(3, 8), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map(encode)]);
  const entries = Object.entries(v);
  return Buffer.concat([ctrl(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

interface TrieNode { children: [TrieNode | number | null, TrieNode | number | null] }

/** Writes `entries` (IPv4 networks in CIDR form, non-overlapping) to `file`. */
export function writeMmdb(file: string, entries: { network: string; data: Record<string, unknown> }[], opts: { databaseType?: string } = {}): void {
  // Data section: each record once, remembered by offset.
  const chunks: Buffer[] = [];
  let offset = 0;
  const root: TrieNode = { children: [null, null] };
  for (const { network, data } of entries) {
    const [addr, bitsText] = network.split('/');
    const bits = Number(bitsText ?? 32);
    const ip = (addr ?? '').split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n);
    const encoded = encode(data as Value);
    const dataOffset = offset;
    chunks.push(encoded);
    offset += encoded.length;
    let node = root;
    for (let i = 0; i < bits; i++) {
      const bit = Number((ip >> BigInt(31 - i)) & 1n) as 0 | 1;
      if (i === bits - 1) { node.children[bit] = -1 - dataOffset; break; }
      let next = node.children[bit];
      if (next === null || typeof next === 'number') { next = { children: [null, null] }; node.children[bit] = next; }
      node = next;
    }
  }
  // Number the nodes breadth-first, then write each as two 24-bit records.
  const nodes: TrieNode[] = [root];
  for (let i = 0; i < nodes.length; i++) for (const c of nodes[i]!.children) if (c && typeof c === 'object') nodes.push(c);
  const index = new Map(nodes.map((n, i) => [n, i]));
  const count = nodes.length;
  const tree = Buffer.alloc(count * 6);
  nodes.forEach((n, i) => {
    n.children.forEach((c, side) => {
      const value = c === null ? count : typeof c === 'number' ? count + 16 + (-1 - c) : index.get(c)!;
      tree.writeUIntBE(value, i * 6 + side * 3, 3);
    });
  });
  const metadata = Buffer.concat([
    ctrl(7, 9),
    encode('node_count'), uint(6, count),
    encode('record_size'), uint(5, 24),
    encode('ip_version'), uint(5, 4),
    encode('database_type'), encode(opts.databaseType ?? 'Tessera-Test'),
    encode('languages'), encode(['en']),
    encode('binary_format_major_version'), uint(5, 2),
    encode('binary_format_minor_version'), uint(5, 0),
    encode('build_epoch'), uint(9, Math.floor(Date.now() / 1000)),
    encode('description'), encode({ en: 'Test database written by test/helpers/mmdb.ts' }),
  ]);
  writeFileSync(file, Buffer.concat([tree, Buffer.alloc(16), ...chunks, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), metadata]));
}
