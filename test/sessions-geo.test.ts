// With AUTH_GEOIP_DB, sessions record a coarse location of the sign-in address, read
// from a real MaxMind-format database written for the test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, createTestApp, json, register, type TestApp } from './helpers/app.ts';
import { writeMmdb } from './helpers/mmdb.ts';

describe('session location from AUTH_GEOIP_DB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-geo-'));
  const file = join(dir, 'GeoLite2-City-test.mmdb');
  let t: TestApp;
  before(async () => {
    writeMmdb(file, [
      { network: '203.0.113.0/24', data: { country: { iso_code: 'NZ', names: { en: 'New Zealand' } }, subdivisions: [{ iso_code: 'WGN', names: { en: 'Wellington' } }], city: { names: { en: 'Wellington' } } } },
      { network: '198.51.100.0/25', data: { country: { iso_code: 'FR', names: { en: 'France' } } } },
    ], { databaseType: 'GeoLite2-City' });
    t = await createTestApp({ env: { AUTH_GEOIP_DB: file } });
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each session shows where it signed in from; unknown addresses give null', async () => {
    const { creds } = await register(t.app);
    const tokens: string[] = [];
    for (const ip of ['203.0.113.50', '198.51.100.7', '192.0.2.1']) {
      const res = await t.app.inject({ method: 'POST', url: '/auth/login', remoteAddress: ip, payload: { email: creds.email, password: creds.password, client: 'native' } });
      tokens.push(json(res).accessToken as string);
    }
    const sessions = json(await t.app.inject({ method: 'GET', url: '/auth/sessions', headers: bearer(tokens[0]!) })).sessions as Record<string, any>[];
    const byIp = Object.fromEntries(sessions.map((s) => [s.ip, s.location]));
    assert.deepEqual(byIp['203.0.113.50'], { country: 'NZ', countryName: 'New Zealand', region: 'Wellington', city: 'Wellington' });
    assert.deepEqual(byIp['198.51.100.7'], { country: 'FR', countryName: 'France', region: null, city: null });
    assert.equal(byIp['192.0.2.1'], null);
  });

  test('a file that is not a MaxMind database stops the start, naming the variable', async () => {
    const bogus = join(dir, 'not-a-db.mmdb');
    writeFileSync(bogus, 'hello');
    await assert.rejects(createTestApp({ env: { AUTH_GEOIP_DB: bogus } }), /AUTH_GEOIP_DB/);
    await assert.rejects(createTestApp({ env: { AUTH_GEOIP_DB: join(dir, 'missing.mmdb') } }), /AUTH_GEOIP_DB/);
  });
});
