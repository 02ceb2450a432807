// @tessera/client's organizations API against the real server over HTTP: create, list,
// members, invitations (through the SMTP sink), and setActive, whose new access token
// replaces the session's and carries the organization through later refreshes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, jwtPayload, memoryStorage, TesseraError, type AuthEvent, type TesseraClient } from '../packages/client/src/index.ts';
import { createTestApp, signUp, uniqueCredentials, type TestApp } from './helpers/app.ts';
import { linkOf, SmtpSink, tokenOf } from './helpers/smtp.ts';

let t: TestApp;
let base = '';
let sink: SmtpSink;
const clients: TesseraClient[] = [];

function client() {
  const c = createClient({ url: base, client: 'native', storage: memoryStorage(), autoRefresh: false });
  clients.push(c);
  const events: AuthEvent[] = [];
  c.onAuthStateChange((e) => events.push(e));
  return { c, events };
}

before(async () => {
  sink = await new SmtpSink().start();
  t = await createTestApp({ env: { ...sink.env(), AUTH_PUBLIC_URL: 'https://auth.example.test', AUTH_EMAIL_NEW_SIGNIN_NOTICE: 'false' } });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  await signUp(t.app); // the installation's first account (admin)
});
after(async () => {
  for (const c of clients) c.dispose();
  await t.close();
  await sink.stop();
});

test('organizations through the SDK: create, invite, accept, setActive, refresh, sign in into an organization', async () => {
  const owner = client();
  const oc = uniqueCredentials('sdkowner');
  await owner.c.signUp(oc);
  await owner.c.signIn({ email: oc.email, password: oc.password });
  const org = await owner.c.organizations.create({ name: 'SDK Corp' });
  assert.equal((await owner.c.organizations.list())[0]?.role, 'owner');

  const member = client();
  const mc = uniqueCredentials('sdkmember');
  await member.c.signUp(mc);
  await member.c.signIn({ email: mc.email, password: mc.password });
  const sent = sink.messages.length;
  await owner.c.organizations.invite(org.id, mc.email, 'admin');
  const token = tokenOf(linkOf(await sink.latest(mc.email, /invited/i, sent), 'https://auth.example.test/ui/invitation?token='));
  assert.equal((await member.c.organizations.lookupInvitation(token)).role, 'admin');
  assert.equal((await member.c.organizations.myInvitations()).length, 1);
  await member.c.organizations.acceptInvitation(token);
  assert.deepEqual((await member.c.organizations.members(org.id)).map((m) => m.role).sort(), ['admin', 'owner']);

  const before = member.events.length;
  const active = await member.c.organizations.setActive(org.id);
  assert.equal(active?.role, 'admin');
  assert.deepEqual(member.events.slice(before), ['TOKEN_REFRESHED']);
  const claims = jwtPayload(member.c.getSession()!.accessToken);
  assert.equal(claims.org_id, org.id);
  assert.equal(claims.org_role, 'admin');
  // The refresh token goes on with the organization.
  await member.c.refreshSession();
  assert.equal(jwtPayload(member.c.getSession()!.accessToken).org_id, org.id);
  assert.equal((await member.c.organizations.active())?.id, org.id);
  await member.c.organizations.setActive(null);
  assert.equal(jwtPayload(member.c.getSession()!.accessToken).org_id, undefined);

  // Sign-in straight into the organization; a stranger cannot.
  const again = client();
  const res = await again.c.signIn({ email: mc.email, password: mc.password, organization: org.slug });
  assert.equal(res.status, 'signed_in');
  assert.equal(jwtPayload(again.c.getSession()!.accessToken).org_slug, org.slug);
  const outsider = client();
  const xc = uniqueCredentials('sdkout');
  await outsider.c.signUp(xc);
  const refused = await outsider.c.signIn({ email: xc.email, password: xc.password, organization: org.slug }).catch((e: unknown) => e);
  assert.ok(refused instanceof TesseraError);
  assert.equal(refused.code, 'organization_not_found');
});
