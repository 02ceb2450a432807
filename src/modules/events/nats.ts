// Publishing to NATS: through JetStream when the server has it (the stream is created
// when missing, and the event id is the message id, so that the server drops a
// re-published duplicate), through core NATS otherwise (a flush confirms the server has
// the message). The connection is made in the background and retried for ever: a NATS
// outage never stops the server, and events wait in the outbox meanwhile.
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient } from '@nats-io/jetstream';

// The clients load with the first connection: only deployments with NATS_URL need them.
const natsLib = () => Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')]).then(([core, js]) => ({ ...core, ...js }));
import type { Logger } from 'pino';

const TIMEOUT_MS = 5000;

export interface Publisher {
  /** Resolves once the server has the message; rejects when it cannot be confirmed. */
  publish(subject: string, body: string, id: string): Promise<void>;
  /** Whether a connection is up now. */
  ready(): boolean;
  /** `jetstream`, `core`, or `disconnected`. */
  mode(): string;
  close(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms); })]).finally(() => clearTimeout(timer));
}

export function createNatsPublisher(url: string, stream: string, log: Pick<Logger, 'info' | 'warn'>): Publisher {
  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let closed = false;
  let up = false;

  async function setUp(conn: NatsConnection): Promise<void> {
    try {
      const jsm = await (await natsLib()).jetstreamManager(conn, { timeout: TIMEOUT_MS });
      try {
        await jsm.streams.info(stream);
      } catch {
        try {
          await jsm.streams.add({ name: stream, subjects: ['auth.>'] });
          log.info({ stream }, 'JetStream stream created for auth events');
        } catch (err) {
          // Another stream may already capture auth.>: publishing through JetStream still works.
          log.warn({ stream, err: (err as Error).message }, 'JetStream stream could not be created; publishing to the existing one');
        }
      }
      js = (await natsLib()).jetstream(conn, { timeout: TIMEOUT_MS });
    } catch {
      js = undefined;
    }
    log.info({ mode: js ? 'jetstream' : 'core' }, 'connected to NATS');
  }

  async function run(): Promise<void> {
    while (!closed) {
      try {
        const conn = await (await natsLib()).connect({ servers: url, name: 'tessera', maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: TIMEOUT_MS });
        nc = conn;
        await setUp(conn);
        up = true;
        (async () => {
          for await (const s of conn.status()) {
            if (s.type === 'disconnect') up = false;
            if (s.type === 'reconnect') up = true;
          }
        })().catch(() => undefined);
        await conn.closed();
        up = false;
        nc = undefined;
      } catch (err) {
        if (!closed) log.warn({ err: (err as Error).message }, 'NATS is not reachable; events wait in the outbox');
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  }
  void run();

  return {
    async publish(subject, body, id) {
      const conn = nc;
      if (!conn || !up) throw new Error('not connected to NATS');
      if (js) {
        await js.publish(subject, body, { msgID: id, timeout: TIMEOUT_MS });
        return;
      }
      const h = (await natsLib()).headers();
      h.set('Nats-Msg-Id', id);
      conn.publish(subject, body, { headers: h });
      await withTimeout(conn.flush(), TIMEOUT_MS, 'NATS flush');
    },
    ready: () => up,
    mode: () => (!up ? 'disconnected' : js ? 'jetstream' : 'core'),
    async close() {
      closed = true;
      up = false;
      await nc?.drain().catch(() => undefined);
    },
  };
}
