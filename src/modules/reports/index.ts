// Reports are the one read model allowed to read across modules' tables: the admin API's
// list of users (filtered by roles and second factors) and the dashboard's figures (audit
// log, users, sessions, factors, passkeys) are counted and joined in SQL here, because
// asking each owner in turn would make a page of users or a chart many queries. Reports
// only read: they never insert, update or delete, and no rule lives here; every change goes
// through the module that owns the table.
export { listUsers, type SortKey, type UserListQuery } from './user-list.repo.ts';
export { signInsPerDay, failureReasons, newUsersPerDay, activeSessions, userCounts, mfaAdoption, type DayWindow } from './stats.repo.ts';
