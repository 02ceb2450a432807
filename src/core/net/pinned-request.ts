// An HTTP(S) POST that connects only to addresses decided beforehand (address-policy.ts
// checked them). The socket's `lookup` answers with those addresses instead of asking DNS
// again, so a name cannot be re-pointed between the check and the connection; the Host
// header and TLS SNI (and so certificate checks) stay the URL's name. Redirects are never
// followed, and the answer's body is not read.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ResolvedAddress } from './address-policy.ts';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for net/tls connect that only ever answers with `addresses`. */
export function pinnedLookup(addresses: ResolvedAddress[]) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
    if (!wanted.length) {
      callback(Object.assign(new Error(`no checked address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      return;
    }
    if (options.all) callback(null, wanted.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, wanted[0]!.address, wanted[0]!.family);
  };
}

export interface PinnedPost {
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** POSTs `body` to `url` over a connection to one of `addresses`; resolves with the status code. */
export function pinnedPost(url: URL, addresses: ResolvedAddress[], opts: PinnedPost): Promise<number> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return new Promise<number>((resolve, reject) => {
    const req = request({
      method: 'POST', protocol: url.protocol, hostname, port: url.port || undefined, path: `${url.pathname}${url.search}`,
      ...(url.username || url.password ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
      headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
      // A connection of its own: a pooled one could belong to another check.
      agent: false, lookup: pinnedLookup(addresses), signal: opts.signal,
    }, (res: IncomingMessage) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
