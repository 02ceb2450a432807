// A local HTTP receiver for webhooks and hooks: records every request and answers as the
// test says (a status, a JSON body, a delay, or no answer at all until released).
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest { method: string; path: string; headers: IncomingHttpHeaders; body: string }
export type Answer = { status: number; body?: unknown; delayMs?: number } | 'hang';

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** What the next requests get; the last entry repeats. */
  answers: Answer[] = [{ status: 200 }];
  private server: Server | undefined;
  private hanging: ServerResponse[] = [];

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
        if (answer === 'hang') {
          this.hanging.push(res);
          return;
        }
        const send = () => {
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body === undefined ? '{}' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Waits until `n` requests arrived in all (10 s at most). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    const until = Date.now() + timeoutMs;
    while (this.requests.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    if (this.requests.length < n) throw new Error(`expected ${n} requests, got ${this.requests.length}`);
    return this.requests;
  }

  /** Answers every hanging request with `status`. */
  release(status = 200): void {
    for (const res of this.hanging.splice(0)) if (!res.destroyed) res.writeHead(status).end();
  }

  async stop(): Promise<void> {
    for (const res of this.hanging.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
