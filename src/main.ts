// Entry point of `npm start`: load configuration and run the server (src/server.ts).
// `tessera serve` does the same with flags that override the environment.
import { ConfigError, loadConfig, type Config } from './core/config/index.ts';
import { envProviders } from './modules/oauth/index.ts';
import { runServer } from './server.ts';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    // Social sign-in settings are checked against the provider files (modules/oauth), which core/config does not know.
    envProviders(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  await runServer(config);
}

main().catch((err: unknown) => {
  process.stderr.write(`tessera: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
