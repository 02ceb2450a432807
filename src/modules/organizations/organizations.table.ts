import type { ColumnType, Generated, Selectable } from 'kysely';

export interface OrganizationsTable {
  id: string;
  name: string;
  /** Lower-case letters, digits and dashes; unique. */
  slug: string;
  logo_url: string | null;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface OrganizationMembersTable {
  organization_id: string;
  user_id: string;
  /** An RBAC role whose name starts with `org.`. */
  role: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface OrganizationInvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  role: string;
  /** SHA-256 of the token (the token itself is only in the email). */
  token_hash: Buffer;
  invited_by: string | null;
  created_at: Generated<Date>;
  expires_at: Date;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type MemberRow = Selectable<OrganizationMembersTable>;
export type InvitationRow = Selectable<OrganizationInvitationsTable>;
