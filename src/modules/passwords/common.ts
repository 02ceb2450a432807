// The most common passwords, from the zxcvbn-ts common-language dictionary (MIT; about
// 49,000 entries ranked by frequency in leaked password sets), as a lower-case set.
import { createRequire } from 'node:module';

let common: Set<string> | undefined;

/** The set, loaded on first use (about 3 MB of memory). */
export function commonPasswords(): Set<string> {
  if (!common) {
    // Required here, on the first password checked, rather than imported: 9 MB at start-up.
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: Record<string, string[]> };
    common = new Set(dictionary['passwords-common']!.map((p) => p.toLowerCase()));
  }
  return common;
}
