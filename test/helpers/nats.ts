// A real nats-server on a free loopback port, which a test can stop and start again on
// the same port (with JetStream, its store survives the restart).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.ts';

export const NATS_SERVER = process.env.TESSERA_TEST_NATS_SERVER ?? (spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim() || undefined);

/** Why NATS tests cannot run here, or false. */
export function natsSkip(): string | false {
  return NATS_SERVER ? false : 'needs nats-server (apt-get install nats-server, or TESSERA_TEST_NATS_SERVER)';
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export class NatsServer {
  port = 0;
  private proc: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tessera-nats-'));
  constructor(private readonly jetstream: boolean) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freePort();
    const args = ['-a', '127.0.0.1', '-p', String(this.port), ...(this.jetstream ? ['-js', '-sd', this.dir] : [])];
    this.proc = spawn(NATS_SERVER!, args, { stdio: 'ignore' });
    const until = Date.now() + 10_000;
    while (!(await reachable(this.port))) {
      if (Date.now() > until) throw new Error('nats-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
