// GET /metrics: on the API port only with AUTH_METRICS_TOKEN (a Bearer token), and on the
// AUTH_METRICS_PORT listener, which answers nothing else and is meant for the scraper's
// network only. With neither set the route does not exist (404), so counts of sign-ins
// and failures are never public by default.
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { safeEqual } from '../../core/crypto/index.ts';
import { AppError } from '../../core/errors/index.ts';
import type { Metrics } from './metrics.ts';

export function metricsRoutes(app: FastifyInstance, opts: { metrics: Metrics; token: string | undefined }): void {
  const { metrics, token } = opts;
  if (!token) return;
  app.get('/metrics', {
    schema: {
      tags: ['health'],
      summary: 'Prometheus metrics (needs AUTH_METRICS_TOKEN as a Bearer token)',
      security: [{ bearerAuth: [] }],
      response: { 200: { type: 'string', description: 'Prometheus text exposition format' } },
    },
  }, async (req, reply) => {
    const header = req.headers.authorization;
    const given = typeof header === 'string' && /^Bearer /i.test(header) ? header.slice(7).trim() : '';
    if (!given || !safeEqual(given, token)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new AppError('unauthorized');
    }
    reply.header('content-type', metrics.contentType).header('cache-control', 'no-store');
    return metrics.render();
  });
}

/** The separate metrics listener; resolves once it listens, with the port it got. */
export async function startMetricsListener(metrics: Metrics, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not found', code: 'not_found' }));
      return;
    }
    metrics.render().then(
      (text) => { res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(text); },
      () => { res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Internal error', code: 'internal_error' })); },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
