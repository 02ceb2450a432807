// The whole database as Kysely sees it, composed from the tables each module owns.
import type { Kysely, Transaction } from 'kysely';
import type { AuditLogTable } from './modules/audit/audit.table.ts';
import type { EventDispatchLeaseTable, EventsTable } from './modules/events/events.table.ts';
import type { PermissionsTable, RoleIncludesTable, RolePermissionsTable, RolesTable, UserRolesTable } from './modules/rbac/rbac.table.ts';
import type { ServiceAccountPermissionsTable, ServiceAccountsTable } from './modules/service-accounts/service-accounts.table.ts';
import type { EmailTokensTable, MailRequestsTable } from './modules/account/account.table.ts';
import type { JobLeasesTable } from './modules/housekeeping/housekeeping.table.ts';
import type { PasswordHashParamsTable } from './modules/imports/imports.table.ts';
import type { MailOutboxTable } from './modules/mail/mail.table.ts';
import type { OrganizationInvitationsTable, OrganizationMembersTable, OrganizationsTable } from './modules/organizations/organizations.table.ts';
import type { OAuthProvidersTable, OAuthRefreshRunsTable, OAuthStatesTable, UserIdentitiesTable } from './modules/oauth/oauth.table.ts';
import type { MfaChallengesTable, MfaFactorsTable, MfaRecoveryCodesTable } from './modules/mfa/mfa.table.ts';
import type { OidcAuthRequestsTable, OidcClientsTable, OidcCodesTable, OidcConsentsTable, OidcGrantsTable } from './modules/oidc/oidc.table.ts';
import type { PasskeyChallengesTable, PasskeysTable } from './modules/passkeys/passkeys.table.ts';
import type { RefreshTokensTable, SessionsTable } from './modules/sessions/sessions.table.ts';
import type { SigningKeysTable } from './modules/tokens/keys.table.ts';
import type { PasswordHistoryTable, SystemFlagsTable, UsersTable } from './modules/users/users.table.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from './modules/webhooks/webhooks.table.ts';

export interface Database {
  users: UsersTable;
  password_history: PasswordHistoryTable;
  system_flags: SystemFlagsTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  mail_outbox: MailOutboxTable;
  email_tokens: EmailTokensTable;
  mail_requests: MailRequestsTable;
  mfa_factors: MfaFactorsTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  passkeys: PasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
  roles: RolesTable;
  permissions: PermissionsTable;
  role_permissions: RolePermissionsTable;
  role_includes: RoleIncludesTable;
  user_roles: UserRolesTable;
  service_accounts: ServiceAccountsTable;
  service_account_permissions: ServiceAccountPermissionsTable;
  audit_log: AuditLogTable;
  events: EventsTable;
  event_dispatch_lease: EventDispatchLeaseTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  user_identities: UserIdentitiesTable;
  oauth_states: OAuthStatesTable;
  oauth_providers: OAuthProvidersTable;
  oauth_refresh_runs: OAuthRefreshRunsTable;
  password_hash_params: PasswordHashParamsTable;
  job_leases: JobLeasesTable;
  organizations: OrganizationsTable;
  organization_members: OrganizationMembersTable;
  organization_invitations: OrganizationInvitationsTable;
  oidc_clients: OidcClientsTable;
  oidc_auth_requests: OidcAuthRequestsTable;
  oidc_codes: OidcCodesTable;
  oidc_consents: OidcConsentsTable;
  oidc_grants: OidcGrantsTable;
}

/** A database handle or an open transaction: what every repo function takes first. */
export type Db = Kysely<Database> | Transaction<Database>;
