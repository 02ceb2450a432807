// Users own identity records: username, email (unique case-insensitively), password
// hash, role and active flag. Registration rules live here; sign-in lives in `auth`.
export { createUsersService, toPublicUser, normalizeEmail, optionalEmail, normalizeUsername, usernameFromEmail, type UsersService, type PublicUser } from './users.service.ts';
export type { UserRow } from './users.table.ts';
