// Health: liveness (`/healthz`) and readiness (`/readyz`) probes.
export { healthRoutes, type HealthRoutesOptions } from './health.routes.ts';
