// Admin owns the administration API under /admin (users, roles, permissions, service
// accounts, audit, keys, the dashboard's figures) and the bootstrap of the first
// administrator from configuration.
export { adminRoutes, documentPermission } from './admin.routes.ts';
export { createAdminService, type AdminService } from './admin.service.ts';
export { bootstrapAdmin } from './bootstrap.ts';
export { createAdminStatsService, type AdminStatsService } from './admin-stats.service.ts';
export { wireAdmin } from './wiring.ts';
