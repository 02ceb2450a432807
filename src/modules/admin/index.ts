// Admin owns the administrative HTTP surface under /admin.
export { adminRoutes } from './admin.routes.ts';
