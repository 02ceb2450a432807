// The hosted pages' words: one directory per locale in ./locales (the locales of the
// emails), whose JSON files are merged (common.json, hosted.json, admin.json). A key missing in a locale falls back to `en`; `{name}` placeholders are
// filled from the values given.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../core/paths.ts';

export type Messages = Record<string, string>;

const DIR = join(PROJECT_ROOT, 'src', 'web', 'locales');
export const DEFAULT_LOCALE = 'en';

function flatten(obj: Record<string, unknown>, prefix = '', out: Messages = {}): Messages {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else out[key] = String(v);
  }
  return out;
}

export interface Dictionary {
  readonly locales: readonly string[];
  /** The locale for a request: `?lang=`, then the `tessera_lang` cookie, then Accept-Language, else `en`. */
  pick(query: string | undefined, cookie: string | undefined, acceptLanguage: string | undefined): string;
  t(locale: string, key: string, values?: Record<string, string | number>): string;
  /** Every message of a locale whose key starts with one of the prefixes (for page scripts). */
  subset(locale: string, prefixes: readonly string[]): Messages;
}

export function loadDictionary(): Dictionary {
  const table = new Map<string, Messages>();
  for (const locale of readdirSync(DIR).filter((d) => /^[a-z]{2,3}$/.test(d))) {
    const merged: Messages = {};
    for (const f of readdirSync(join(DIR, locale)).filter((n) => n.endsWith('.json')).sort()) {
      Object.assign(merged, flatten(JSON.parse(readFileSync(join(DIR, locale, f), 'utf8')) as Record<string, unknown>));
    }
    table.set(locale, merged);
  }
  const base = table.get(DEFAULT_LOCALE);
  if (!base) throw new Error('the hosted pages need src/web/locales/en/');
  const locales = [...table.keys()].sort();
  const match = (tag: string | undefined): string | undefined => {
    if (!tag) return undefined;
    const lang = tag.trim().toLowerCase().split(/[-_]/)[0]!;
    return table.has(lang) ? lang : undefined;
  };
  const fromHeader = (header: string | undefined): string | undefined => {
    if (!header) return undefined;
    const ranked = header.split(',').map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag!, q: q ? Number(q.slice(2)) || 0 : 1 };
    }).filter((x) => x.q > 0).sort((a, b) => b.q - a.q);
    for (const r of ranked) { const m = match(r.tag); if (m) return m; }
    return undefined;
  };
  return {
    locales,
    pick: (query, cookie, accept) => match(query) ?? match(cookie) ?? fromHeader(accept) ?? DEFAULT_LOCALE,
    t(locale, key, values) {
      const text = table.get(locale)?.[key] ?? base[key] ?? key;
      return values ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m)) : text;
    },
    subset(locale, prefixes) {
      const out: Messages = {};
      const own = table.get(locale) ?? base;
      for (const [k, v] of Object.entries(base)) if (prefixes.some((p) => k.startsWith(p))) out[k] = own[k] ?? v;
      return out;
    },
  };
}
