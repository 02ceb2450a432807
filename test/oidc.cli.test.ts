// `tessera clients`: register, show, update, rotate the secret of and delete an OpenID
// Connect client with the real binary; the secret printed once is the one that works.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectCli, withApp } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from './helpers/db.ts';

describe('tessera clients', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db?.drop(); });

  test('create, show, update, rotate-secret, delete', async () => {
    const created = JSON.parse((await expectCli(db, ['clients', 'create', 'Grafana', '--client-id', 'grafana', '--redirect-uri', 'https://grafana.example.com/login/generic_oauth', '--first-party', '--json'])).out) as { client: { clientId: string; firstParty: boolean }; clientSecret: string };
    assert.equal(created.client.clientId, 'grafana');
    assert.equal(created.client.firstParty, true);
    assert.match(created.clientSecret, /^tcs_/);
    const refused = await expectCli(db, ['clients', 'create', 'Bad', '--redirect-uri', 'javascript:alert(1)'], 2);
    assert.match(refused.err, /oidc_redirect_uri_invalid/);
    await expectCli(db, ['clients', 'show', 'nobody'], 3);
    const updated = JSON.parse((await expectCli(db, ['clients', 'update', 'grafana', '--active', 'false', '--json'])).out) as { active: boolean };
    assert.equal(updated.active, false);
    const rotated = JSON.parse((await expectCli(db, ['clients', 'rotate-secret', 'grafana', '--json'])).out) as { clientSecret: string };
    assert.notEqual(rotated.clientSecret, created.clientSecret);
    await expectCli(db, ['clients', 'update', 'grafana', '--active', 'true']);
    await withApp(db, async (t) => {
      await assert.rejects(t.deps.oidc.clients.authenticate('grafana', created.clientSecret));
      assert.equal((await t.deps.oidc.clients.authenticate('grafana', rotated.clientSecret)).client_id, 'grafana');
    });
    assert.match((await expectCli(db, ['clients', 'list'])).out, /grafana/);
    await expectCli(db, ['clients', 'delete', 'grafana', '--yes']);
    assert.doesNotMatch((await expectCli(db, ['clients', 'list', '--json'])).out, /grafana/);
  });
});
