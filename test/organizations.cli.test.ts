// `tessera orgs` with the real binary: create with an owner, add and remove members, show,
// list, delete; the rules of the API hold (the last owner stays) and the changes are
// audited like the API's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectCli, tessera, withApp } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

const PASSWORD = 'Cli-orgs-passphrase-7';

describe('tessera orgs', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db?.drop(); });

  const user = async (name: string) => JSON.parse((await expectCli(db, ['users', 'create', '--email', `${name}@example.com`, '--username', name, '--password-stdin', '--verified', '--json'], 0, { input: `${PASSWORD}\n` })).out) as { user: { id: string } };

  test('create, add-member, show, remove-member, list, delete', async () => {
    const ada = await user('ada_orgs');
    await user('bob_orgs');
    const created = JSON.parse((await expectCli(db, ['orgs', 'create', 'Acme Inc', '--owner', 'ada_orgs@example.com', '--json'])).out) as { organization: { id: string; slug: string } };
    assert.equal(created.organization.slug, 'acme-inc');
    assert.match((await expectCli(db, ['orgs', 'add-member', 'acme-inc', 'bob_orgs', '--role', 'admin'])).out, /bob_orgs is now admin of acme-inc/);
    const shown = JSON.parse((await expectCli(db, ['orgs', 'show', created.organization.id, '--json'])).out) as { members: { username: string; role: string }[] };
    assert.deepEqual(shown.members.map((m) => [m.username, m.role]).sort(), [['ada_orgs', 'owner'], ['bob_orgs', 'admin']]);
    // The last owner stays.
    const refused = await tessera(db, ['orgs', 'remove-member', 'acme-inc', 'ada_orgs']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /last_organization_owner/);
    await expectCli(db, ['orgs', 'remove-member', 'acme-inc', 'bob_orgs']);
    assert.match((await expectCli(db, ['orgs', 'list'])).out, /acme-inc/);
    await expectCli(db, ['orgs', 'show', 'nobody'], 3);
    await expectCli(db, ['orgs', 'delete', 'acme-inc', '--yes']);
    assert.doesNotMatch((await expectCli(db, ['orgs', 'list'])).out, /acme-inc/);
    await withApp(db, async (t) => {
      const types = (await t.deps.db.selectFrom('audit_log').select(['type', 'actor_type']).where('type', 'like', 'organization.%').orderBy('id').execute());
      assert.deepEqual(types.map((r) => r.type), ['organization.created', 'organization.member_added', 'organization.member_removed', 'organization.deleted']);
      assert.ok(types.every((r) => r.actor_type === 'system'));
      assert.deepEqual(await t.deps.organizations.listMine(ada.user.id), []);
    });
  });
});
