// The most common passwords, from the zxcvbn-ts common-language dictionary (MIT; about
// 49,000 entries ranked by frequency in leaked password sets), as a lower-case set.
import { dictionary } from '@zxcvbn-ts/language-common';

let common: Set<string> | undefined;

/** The set, loaded on first use (about 3 MB of memory). */
export function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  return common;
}
