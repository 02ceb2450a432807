import { Command } from 'commander';
import { parseDuration } from '../../core/config/index.ts';
import { readConfig, state, usage } from '../context.ts';
import { runServer } from '../../server.ts';

/** `host:port`, `:port`, `[::1]:port` or a port alone. */
export function parseAddr(addr: string): { HOST?: string; PORT: string } {
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(addr.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw usage(`--addr: expected host:port (0.0.0.0:4000, :4000, [::1]:4000), got ${JSON.stringify(addr)}`);
  const host = m[1] ?? m[2];
  return { ...(host ? { HOST: host } : {}), PORT: String(port) };
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the server (the same as npm start); flags override the environment.')
    .option('--addr <host:port>', 'address to listen on (overrides HOST and PORT)')
    .option('--port <port>', 'port to listen on (overrides PORT)')
    .option('--session-ttl <duration>', 'absolute lifetime of sessions and refresh tokens, e.g. 24h (overrides AUTH_REFRESH_TOKEN_EXPIRY)')
    .addHelpText('after', `
Examples:
  $ tessera serve
  $ tessera serve --addr 0.0.0.0:8080 --session-ttl 24h
  $ DATABASE_URL=postgres://... AUTH_ENCRYPTION_KEY=... tessera serve --addr :4000`)
    .action(async (o: { addr?: string; port?: string; sessionTtl?: string }) => {
      const env: Record<string, string> = {};
      if (o.addr) Object.assign(env, parseAddr(o.addr));
      if (o.port) env.PORT = o.port;
      if (o.sessionTtl) {
        try {
          parseDuration(o.sessionTtl);
        } catch {
          throw usage(`--session-ttl: expected a duration such as 30m, 24h or 7d, got ${JSON.stringify(o.sessionTtl)}`);
        }
        env.AUTH_REFRESH_TOKEN_EXPIRY = o.sessionTtl;
      }
      const config = readConfig(env);
      state.serving = true;
      await runServer(config);
    });
}
