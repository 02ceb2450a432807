// The load generator of the scenarios whose every request differs (sign-ups, sign-ins,
// refreshes, logouts, the mix): a minimal HTTP/1.1 client on keep-alive connections,
// one request in flight per connection. autocannon rebuilds such a request from its
// options and parses every answer with a JavaScript HTTP parser: about 0.04 ms of CPU
// per request, which on a 2-core machine is CPU the server under test does not get.
// Here a request is one string, and an answer is read by its status line, its length
// and its body, nothing more.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface DynamicRequest { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string }

export interface DriveResult {
  /** Answers received within the duration (any status). */
  requests: number;
  /** Answers with a status outside 2xx, and connections that failed. */
  errors: number;
  /** Milliseconds from sending each request to the end of its answer, 2xx answers only. */
  latencies: Float64Array;
  seconds: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** Where a complete answer ends in `buf`, with its status and body; undefined while incomplete. */
function parseAnswer(buf: Buffer): { status: number; body: string; end: number } | undefined {
  const head = buf.indexOf(HEADER_END);
  if (head < 0) return undefined;
  const headers = buf.toString('latin1', 0, head).toLowerCase();
  const status = Number(headers.slice(9, 12));
  const start = head + 4;
  const lengthAt = headers.indexOf('\r\ncontent-length:');
  if (lengthAt >= 0) {
    const eol = headers.indexOf('\r\n', lengthAt + 17);
    const length = Number.parseInt(headers.slice(lengthAt + 17, eol < 0 ? undefined : eol), 10);
    if (buf.length < start + length) return undefined;
    return { status, body: buf.toString('utf8', start, start + length), end: start + length };
  }
  if (!headers.includes('\r\ntransfer-encoding: chunked')) return { status, body: '', end: start };
  // Chunked: size lines and chunks up to the empty chunk.
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd), 16);
    if (buf.length < lineEnd + 2 + size + 2) return undefined;
    if (size === 0) return { status, body: Buffer.concat(parts).toString('utf8'), end: lineEnd + 4 };
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * Drives `connections` keep-alive connections for `seconds`: each sends `next()`, waits
 * for its answer, hands it to `answered`, and sends the next.
 */
export function driveDynamic<R extends DynamicRequest>(
  base: string, connections: number, seconds: number,
  next: () => R, answered: (status: number, body: string, req: R) => void,
): Promise<DriveResult> {
  const url = new URL(base);
  const host = url.hostname;
  const port = Number(url.port);
  const hostHeader = `host: ${url.host}\r\n`;
  let requests = 0;
  let errors = 0;
  let ok = 0;
  let latencies = new Float64Array(1 << 16);
  const record = (ms: number) => {
    if (ok === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[ok++] = ms;
  };
  const started = performance.now();
  const until = started + seconds * 1000;

  return new Promise((resolve) => {
    const sockets = new Set<Socket>();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(stuck);
      for (const s of sockets) s.destroy();
      resolve({ requests, errors, latencies: latencies.slice(0, ok), seconds: (performance.now() - started) / 1000 });
    };
    // An answer that never comes ends the run 10 s after its time, with what was counted.
    const stuck = setTimeout(finish, seconds * 1000 + 10_000);
    /** One connection; one the server closes (or that fails) is replaced while time remains. */
    const open = () => {
      const socket: Socket = connect({ host, port, noDelay: true });
      sockets.add(socket);
      let pending: Buffer | undefined;
      let sentAt = 0;
      let current: R | undefined;
      const send = () => {
        if (performance.now() >= until) {
          socket.destroy();
          return;
        }
        current = next();
        let head = `${current.method} ${current.path} HTTP/1.1\r\n${hostHeader}`;
        if (current.headers) for (const k in current.headers) head += `${k}: ${current.headers[k]}\r\n`;
        const body = current.body ?? '';
        sentAt = performance.now();
        socket.write(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      socket.on('connect', send);
      socket.on('data', (chunk: Buffer) => {
        pending = pending ? Buffer.concat([pending, chunk]) : chunk;
        const answer = parseAnswer(pending);
        if (!answer) return;
        pending = answer.end < pending.length ? pending.subarray(answer.end) : undefined;
        requests++;
        if (answer.status >= 200 && answer.status < 300) record(performance.now() - sentAt);
        else errors++;
        answered(answer.status, answer.body, current!);
        send();
      });
      socket.on('error', () => { errors++; });
      socket.on('close', () => {
        sockets.delete(socket);
        if (done) return;
        if (performance.now() < until) open();
        else if (sockets.size === 0) finish();
      });
    };
    for (let c = 0; c < connections; c++) open();
  });
}
