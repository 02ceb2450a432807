// Coarse location of a sign-in address, shown in the session list so that users
// recognise their devices. Read from a MaxMind-format database when AUTH_GEOIP_DB is set.
import { isIP } from 'node:net';
import type { CityResponse, Reader } from 'maxmind';

export interface GeoLocation { country: string | null; countryName: string | null; region: string | null; city: string | null }
export interface GeoLocator { locate(ip: string | null | undefined): GeoLocation | null }

/** A locator that always answers null (no database configured). */
export const noGeoLocator: GeoLocator = { locate: () => null };

/** Opens the MaxMind database at `path`; throws naming the path when it cannot be read as one. */
export async function openGeoLocator(path: string): Promise<GeoLocator> {
  let reader: Reader<CityResponse>;
  const { default: maxmind } = await import('maxmind');
  try {
    reader = await maxmind.open<CityResponse>(path, { watchForUpdates: false });
  } catch (err) {
    throw new Error(`cannot open ${path} as a MaxMind database: ${(err as Error).message}`);
  }
  return {
    locate(ip) {
      if (!ip) return null;
      const addr = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
      if (!isIP(addr)) return null;
      try {
        const r = reader.get(addr);
        if (!r) return null;
        const sub = r.subdivisions?.[0];
        const loc: GeoLocation = {
          country: r.country?.iso_code ?? null,
          countryName: r.country?.names?.en ?? null,
          region: sub?.names?.en ?? sub?.iso_code ?? null,
          city: r.city?.names?.en ?? null,
        };
        return loc.country || loc.countryName || loc.region || loc.city ? loc : null;
      } catch {
        return null;
      }
    },
  };
}
