// Organizations' part of the composition root: the service, the invitations with their
// lifetime and accept URL, and the invitations' chore.
import type { NamedChore } from '../../core/chores.ts';
import { publicUrl, type Config } from '../../core/config/index.ts';
import type { ChangeEmitter } from '../audit/index.ts';
import type { UsersService } from '../users/index.ts';
import { createInvitations, type InvitationsDeps } from './invitations.ts';
import { createOrganizationsService, type OrganizationsServiceDeps } from './organizations.service.ts';

export function wireOrganizations(config: Config, deps: Pick<OrganizationsServiceDeps, 'db' | 'clock' | 'bus' | 'rbac'> & Pick<InvitationsDeps, 'mailer'> & {
  changes: ChangeEmitter;
  users: InvitationsDeps['users'] & Pick<UsersService, 'changed'>;
  hooks: { beforeSignup?: InvitationsDeps['beforeSignup'] };
}) {
  const { db, clock, users, changes } = deps;
  const userChanged = (id: string) => users.changed(id);
  const organizations = createOrganizationsService({ db, clock, bus: deps.bus, audit: changes.emit, rbac: deps.rbac, userChanged, settings: { userCreate: config.organizationsUserCreate } });
  const invitations = createInvitations({
    db, clock, audit: changes.emit, organizations, users, mailer: deps.mailer, beforeSignup: deps.hooks.beforeSignup, userChanged,
    settings: { expiresIn: config.organizationInvitationExpiresIn, acceptUrl: config.organizationInvitationUrl ?? `${publicUrl(config)}/ui/invitation` },
  });
  const chores: NamedChore[] = [
    { name: 'organization_invitations', prune: async (limits) => ({ organization_invitations: await invitations.prune(limits.batchSize) }) },
  ];
  return { organizations, invitations, chores };
}
