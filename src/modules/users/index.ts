// Users own identity records: username, email (unique case-insensitively), password
// hash, role and active flag. Registration rules live here; sign-in lives in `auth`.
export { createUsersService, toPublicUser, normalizeEmail, optionalEmail, normalizeUsername, usernameFromEmail, type UsersService, type PublicUser } from './users.service.ts';
export type { UserRow } from './users.table.ts';
// For other modules, inside their own transactions: RBAC (primary role and the holders of
// roles), organizations (members' names), social sign-in (system flags), imports.
export {
  userExists, lockUser, primaryRoleOf, setPrimaryRoleIn, primaryRoleInUse, countActiveHolders, namesOf,
  flagSet as systemFlagSet, claimFlag as setSystemFlag, clearFlag as clearSystemFlag,
  existingUsers, takenUsernames, importedFrom, insertImportedUsers, type ExistingUser, type NewImportedUser,
} from './users.repo.ts';
export { wireUsers } from './wiring.ts';
