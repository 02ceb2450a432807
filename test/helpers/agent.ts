// A browser stand-in for redirect flows: a cookie jar per host and port, redirects
// followed by hand, and the OpenID Provider's login, consent and form_post pages
// answered by submitting their forms.
export interface Hop { url: string; status: number; location?: string | undefined }

export class Agent {
  readonly jar = new Map<string, Map<string, string>>();
  /** Every request made, in order. */
  readonly hops: Hop[] = [];

  cookies(url: string): Map<string, string> {
    const host = new URL(url).host;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    return this.jar.get(host)!;
  }

  private store(url: string, res: Response): void {
    const jar = this.cookies(url);
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const jar = this.cookies(url);
    const headers: Record<string, string> = { accept: 'text/html', ...(init.headers ?? {}) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let bodyText: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      bodyText = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body: bodyText, redirect: 'manual' });
    this.store(url, res);
    this.hops.push({ url, status: res.status, location: res.headers.get('location') ?? undefined });
    return res;
  }

  /**
   * Follows redirects and the provider's forms from `url` until a URL for which `stop`
   * is true (not requested), and returns it. `login` answers the provider's login form;
   * `extra` adds fields to a form_post answer (Apple's `user`).
   */
  async follow(url: string, stop: (u: string) => boolean, opts: { login?: string; extra?: Record<string, string> } = {}): Promise<string> {
    let next: { url: string; form?: Record<string, string> } = { url };
    for (let i = 0; i < 30; i++) {
      if (!next.form && stop(next.url)) return next.url;
      const res = await this.request(next.url, next.form ? { form: next.form } : {});
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        next = { url: new URL(location, next.url).href };
        continue;
      }
      const html = await res.text();
      const form = /<form[^>]*action="([^"]*)"[^>]*method="post"|<form[^>]*method="post"[^>]*action="([^"]*)"/i.exec(html);
      if (res.status !== 200 || !form) throw new Error(`stuck at ${next.url} (${res.status}): ${html.slice(0, 300)}`);
      const action = new URL((form[1] ?? form[2] ?? '').replace(/&#x2F;/g, '/').replace(/&amp;/g, '&'), next.url).href;
      const fields: Record<string, string> = {};
      const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&#x2F;/g, '/').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
        const name = /\bname="([^"]+)"/.exec(tag)?.[1];
        if (name) fields[name] = unescape(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? '');
      }
      if ('login' in fields) Object.assign(fields, { login: opts.login ?? 'user', password: 'any' });
      if (!('login' in fields) && !('prompt' in fields)) Object.assign(fields, opts.extra ?? {});
      if (stop(action)) {
        // A form_post to the stop URL: submit it (it is the callback) and return where it leads.
        const done = await this.request(action, { form: fields });
        const to = done.headers.get('location');
        return to ? new URL(to, action).href : action;
      }
      next = { url: action, form: fields };
    }
    throw new Error('too many hops');
  }
}
