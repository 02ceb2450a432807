// Metrics: Prometheus counters and histograms of requests, sign-ins, reuse detections,
// rate-limit and lockout hits, queue depths and lags, and the database pool, served at
// GET /metrics behind AUTH_METRICS_TOKEN or on the separate AUTH_METRICS_PORT listener.
export { createMetrics, type Metrics, type MetricsSources } from './metrics.ts';
export { metricsRoutes, startMetricsListener } from './metrics.routes.ts';
