// What a user agent says about the device, for the session list ("Firefox 121 on
// Windows 10, desktop"). Parsed once, at sign-in, with ua-parser-js.
import { UAParser } from 'ua-parser-js';

export interface Device {
  browser: string | null;
  os: string | null;
  /** desktop, mobile, tablet, smarttv, wearable, console, embedded, or null when unknown. */
  deviceType: string | null;
}

const join = (name?: string, version?: string) => (name ? (version ? `${name} ${version}` : name) : null);

export function parseUserAgent(ua: string | null | undefined): Device {
  if (!ua) return { browser: null, os: null, deviceType: null };
  const r = new UAParser(ua.slice(0, 512)).getResult();
  const browser = join(r.browser.name, r.browser.major);
  const os = join(r.os.name, r.os.version);
  // ua-parser-js names no type for ordinary computers: a known browser on a known
  // desktop OS is a desktop.
  const deviceType = r.device.type ?? (browser && os && !/android|ios/i.test(os) ? 'desktop' : null);
  return { browser, os, deviceType };
}
