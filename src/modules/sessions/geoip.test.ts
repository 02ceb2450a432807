import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import maxmind from 'maxmind';
import { writeMmdb } from '../../../test/helpers/mmdb.ts';
import { noGeoLocator, openGeoLocator } from './geoip.ts';

const dir = mkdtempSync(join(tmpdir(), 'tessera-geoip-'));
const file = join(dir, 'test.mmdb');
writeMmdb(file, [
  { network: '203.0.113.0/24', data: { country: { iso_code: 'NZ', names: { en: 'New Zealand' } }, city: { names: { en: 'Wellington' } } } },
  { network: '198.51.100.0/25', data: { country: { iso_code: 'FR', names: { en: 'France' } }, flags: [true, false], big: 4000000000, ratio: 0.25, huge: 2 ** 40 } },
]);

describe('GeoIP', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the test writer produces a database the maxmind reader reads back exactly', async () => {
    const reader = await maxmind.open<Record<string, unknown>>(file);
    assert.deepEqual(reader.get('198.51.100.1'), { country: { iso_code: 'FR', names: { en: 'France' } }, flags: [true, false], big: 4000000000, ratio: 0.25, huge: BigInt(2 ** 40) }, 'uint64 reads back as a BigInt');
    assert.equal(reader.get('198.51.100.200'), null);
    assert.equal(reader.get('10.0.0.1'), null);
  });

  test('locate maps country, region and city; anything unknown or invalid is null', async () => {
    const geo = await openGeoLocator(file);
    assert.deepEqual(geo.locate('203.0.113.7'), { country: 'NZ', countryName: 'New Zealand', region: null, city: 'Wellington' });
    assert.deepEqual(geo.locate('::ffff:203.0.113.7'), { country: 'NZ', countryName: 'New Zealand', region: null, city: 'Wellington' });
    assert.equal(geo.locate('198.51.100.128'), null);
    for (const ip of ['127.0.0.1', 'not-an-ip', '', null, undefined, '2001:db8::1']) assert.equal(geo.locate(ip), null, String(ip));
    assert.equal(noGeoLocator.locate('203.0.113.7'), null);
  });

  test('a missing file or another kind of file is refused, naming the path', async () => {
    await assert.rejects(openGeoLocator(join(dir, 'missing.mmdb')), /missing\.mmdb/);
    await assert.rejects(openGeoLocator(new URL(import.meta.url).pathname), /geoip\.test\.ts/);
  });
});
