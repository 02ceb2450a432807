// Email templates: one subject, plain-text and HTML template per message kind and locale,
// rendered with Mustache. In HTML every `{{value}}` is escaped, so a hostile username
// cannot inject markup; text and subject are not HTML and are not escaped (the subject
// loses line breaks). The HTML part of a kind is the inside of the locale's `layout.html`
// (`{{> content}}` marks where it goes). A directory given by AUTH_EMAIL_TEMPLATES_DIR overrides the shipped
// files one by one and may add locales; a part missing in a locale falls back to `en`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import { PROJECT_ROOT } from '../../core/paths.ts';

export const MAIL_KINDS = [
  'verify_email', 'password_reset', 'magic_link', 'email_code', 'email_change_confirm', 'email_change_notice',
  'password_changed', 'new_sign_in', 'account_locked', 'password_setup', 'organization_invitation',
] as const;
export type MailKind = (typeof MAIL_KINDS)[number];

const PARTS = ['subject', 'txt', 'html'] as const;
type Part = (typeof PARTS)[number];

export const DEFAULT_LOCALE = 'en';
const SHIPPED_DIR = join(PROJECT_ROOT, 'src', 'modules', 'mail', 'templates');
const LOCALE = /^[a-z]{2,3}(-[A-Z]{2})?$/;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Words a locale needs around the values (durations), from `<locale>/locale.json`. */
interface LocaleWords {
  minute: string; minutes: string; hour: string; hours: string; day: string; days: string;
}

export interface Templates {
  readonly locales: readonly string[];
  /** The best shipped locale for a preference (`fr-CA` -> `fr`), else `en`. */
  resolveLocale(preferred: string | null | undefined): string;
  /** Picks a locale from an Accept-Language header, or undefined when none is offered. */
  fromAcceptLanguage(header: string | undefined): string | undefined;
  render(kind: MailKind, locale: string, values: Record<string, unknown>): RenderedMail;
  /** A duration in the locale's words: 3600 -> "1 hour" / "1 heure". */
  duration(locale: string, seconds: number): string;
}

function localesIn(dir: string | undefined): string[] {
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => LOCALE.test(d) && statSync(join(dir, d)).isDirectory());
}

/** Loads and parses every template at start-up, so that a broken override fails the start. */
export function loadTemplates(overrideDir?: string): Templates {
  if (overrideDir && !existsSync(overrideDir)) throw new Error(`AUTH_EMAIL_TEMPLATES_DIR: ${overrideDir} does not exist`);
  const locales = [...new Set([...localesIn(SHIPPED_DIR), ...localesIn(overrideDir)])].sort();
  if (!locales.includes(DEFAULT_LOCALE)) throw new Error('the shipped `en` email templates are missing');

  const read = (locale: string, file: string): string | undefined => {
    for (const dir of [overrideDir, SHIPPED_DIR]) {
      if (!dir) continue;
      const p = join(dir, locale, file);
      if (existsSync(p)) return readFileSync(p, 'utf8');
    }
    return undefined;
  };

  const parse = (locale: string, file: string, text: string) => {
    try {
      Mustache.parse(text);
    } catch (err) {
      throw new Error(`email template ${locale}/${file}: ${(err as Error).message}`);
    }
    return text;
  };
  const table = new Map<string, string>();
  const layouts = new Map<string, string>();
  const words = new Map<string, LocaleWords>();
  for (const locale of locales) {
    const w = read(locale, 'locale.json') ?? read(DEFAULT_LOCALE, 'locale.json')!;
    try {
      words.set(locale, JSON.parse(w) as LocaleWords);
    } catch (err) {
      throw new Error(`email templates: ${locale}/locale.json is not valid JSON (${(err as Error).message})`);
    }
    const layout = read(locale, 'layout.html') ?? read(DEFAULT_LOCALE, 'layout.html');
    if (layout === undefined) throw new Error(`email template ${DEFAULT_LOCALE}/layout.html is missing`);
    layouts.set(locale, parse(locale, 'layout.html', layout));
    for (const kind of MAIL_KINDS) {
      for (const part of PARTS) {
        const text = read(locale, `${kind}.${part}`) ?? read(DEFAULT_LOCALE, `${kind}.${part}`);
        if (text === undefined) throw new Error(`email template ${DEFAULT_LOCALE}/${kind}.${part} is missing`);
        table.set(`${locale}/${kind}.${part}`, parse(locale, `${kind}.${part}`, text));
      }
    }
  }

  const resolveLocale = (preferred: string | null | undefined): string => {
    if (!preferred) return DEFAULT_LOCALE;
    if (locales.includes(preferred)) return preferred;
    const base = preferred.split('-')[0]!.toLowerCase();
    return locales.includes(base) ? base : DEFAULT_LOCALE;
  };

  const plain = { escape: (s: unknown) => String(s) };
  const get = (locale: string, kind: MailKind, part: Part) => table.get(`${locale}/${kind}.${part}`)!;

  return {
    locales,
    resolveLocale,
    fromAcceptLanguage(header) {
      if (!header) return undefined;
      const ranked = header.split(',').map((item, i) => {
        const [tag, ...params] = item.trim().split(';');
        const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? '1');
        return { tag: (tag ?? '').trim(), q: Number.isFinite(q) ? q : 0, i };
      }).filter((r) => r.tag && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
      for (const r of ranked) {
        const base = r.tag.split('-')[0]!.toLowerCase();
        if (locales.includes(base)) return base;
      }
      return undefined;
    },
    render(kind, locale, values) {
      const l = resolveLocale(locale);
      const subject = Mustache.render(get(l, kind, 'subject'), values, {}, plain).replace(/[\r\n]+/g, ' ').trim();
      return {
        subject,
        text: Mustache.render(get(l, kind, 'txt'), values, {}, plain),
        html: Mustache.render(layouts.get(l)!, { ...values, subject, lang: l }, { content: get(l, kind, 'html') }),
      };
    },
    duration(locale, seconds) {
      const w = words.get(resolveLocale(locale)) ?? words.get(DEFAULT_LOCALE)!;
      if (seconds % 86400 === 0 && seconds >= 2 * 86400) { const n = seconds / 86400; return `${n} ${n === 1 ? w.day : w.days}`; }
      if (seconds % 3600 === 0) { const n = seconds / 3600; return `${n} ${n === 1 ? w.hour : w.hours}`; }
      const n = Math.max(1, Math.round(seconds / 60));
      return `${n} ${n === 1 ? w.minute : w.minutes}`;
    },
  };
}
