// Static files of the hosted pages and the dashboard (src/web/assets), read once at
// start-up and served from memory, plus theme.css built from the configuration.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors/index.ts';
import { PROJECT_ROOT } from '../core/paths.ts';

const DIR = join(PROJECT_ROOT, 'src', 'web', 'assets');
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.woff2': 'font/woff2',
};

interface Asset { body: Buffer; type: string; etag: string }

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` };
}

export interface Theme { primary: string; background: string; text: string }

export function themeCss(t: Theme): string {
  return `:root{--tessera-primary:${t.primary};--tessera-background:${t.background};--tessera-text:${t.text};}\n`;
}

export function registerAssets(app: FastifyInstance, theme: Theme): void {
  const files = new Map<string, Asset>();
  for (const p of walk(DIR)) {
    const type = TYPES[extname(p)];
    if (type) files.set(relative(DIR, p).split('\\').join('/'), asset(readFileSync(p), type));
  }
  files.set('theme.css', asset(Buffer.from(themeCss(theme)), TYPES['.css']!));
  app.get<{ Params: { '*': string } }>('/ui/assets/*', { schema: { hide: true } }, async (req, reply) => {
    const f = files.get(req.params['*']);
    if (!f) throw new AppError('not_found');
    reply.header('etag', f.etag).header('cache-control', 'public, max-age=300');
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    return reply.type(f.type).send(f.body);
  });
}
