// Runs the service until SIGTERM/SIGINT: builds dependencies and the app, listens, and
// drains in-flight requests on the way out. `npm start` and `tessera serve` both end here.
import { buildApp } from './app.ts';
import { insecureSettings, type Config } from './core/config/index.ts';
import { buildDeps } from './deps.ts';
import { startMetricsListener } from './modules/metrics/index.ts';

export async function runServer(config: Config): Promise<void> {
  const deps = await buildDeps(config);
  const { log } = deps;
  const warnings = insecureSettings(config);
  if (config.nodeEnv === 'production') for (const w of warnings) log.warn(`insecure setting: ${w}`);
  else if (warnings.length) log.info({ warnings }, 'development settings in use');

  const app = await buildApp(deps);
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | undefined;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      log.error({ timeoutSeconds: config.shutdownTimeout }, 'drain timed out; closing anyway');
      app.server.closeAllConnections();
    }, config.shutdownTimeout * 1000);
    timer.unref();
    try {
      await app.close();
      await metricsListener?.close();
      await deps.close();
      log.info('stopped');
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exitCode = 1;
    } finally {
      clearTimeout(timer);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    log.error({ err }, 'could not listen');
    await deps.close();
    process.exit(1);
  }
  if (config.metricsPort !== undefined) {
    try {
      metricsListener = await startMetricsListener(deps.metrics, config.metricsHost, config.metricsPort);
      log.info(`metrics on http://${config.metricsHost}:${metricsListener.port}/metrics`);
    } catch (err) {
      log.error({ err }, 'could not listen for metrics (AUTH_METRICS_PORT)');
      await app.close();
      await deps.close();
      process.exit(1);
    }
  }
  log.info({ database: deps.dbKind, redis: Boolean(deps.redis), version: deps.version }, `Tessera listening on http://${config.host}:${config.port} (API docs at /docs)`);
}
