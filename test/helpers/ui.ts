// The hosted pages and the dashboard in Chromium: a Tessera listening on a localhost port
// with its email links pointing at its own pages, mail caught by an in-process SMTP
// server, an axe-core check of the page in front, and screenshots at desktop and mobile
// width written to docs/screenshots/ (linked from the README).
import { freePort } from '../../scripts/services.ts';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createTestApp, type TestApp, type TestAppOptions } from './app.ts';
import { SmtpSink } from './smtp.ts';

const root = join(import.meta.dirname, '..', '..');
export const SCREENSHOTS = join(root, 'docs', 'screenshots');


export interface UiServer {
  t: TestApp;
  /** http://localhost:<port> */
  origin: string;
  sink: SmtpSink;
  close(): Promise<void>;
}

/** Tessera on http://localhost:<port>, AUTH_CLIENT_URL at its own /ui, mail to a local SMTP sink. */
export async function startUiServer(opts: TestAppOptions = {}): Promise<UiServer> {
  const sink = await new SmtpSink().start();
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const t = await createTestApp({
    ...opts,
    env: { ...sink.env(), AUTH_PUBLIC_URL: origin, AUTH_CLIENT_URL: `${origin}/ui`, AUTH_SESSION_SECURE_COOKIES: 'false', ...opts.env },
  });
  await t.app.listen({ port, host: '127.0.0.1' });
  return { t, origin, sink, close: async () => { await t.close(); await sink.stop(); } };
}

let axeSource: string | undefined;

/** axe-core's WCAG 2.1 A/AA rules on the page as it is now; fails on any serious or critical violation. */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through DevTools, which the page's CSP does not govern (an injected <script> would be refused).
  await page.evaluate(`${axeSource}\n;undefined`);
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)) }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${label}: accessibility violations ${JSON.stringify(serious, null, 1)}`);
}

/** Full-page screenshots of the page at desktop (1280 wide) and mobile (390 wide) widths. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true, animations: 'disabled' });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-mobile.png`), fullPage: true, animations: 'disabled' });
  if (before) await page.setViewportSize(before);
}

/** Both checks every page gets: accessible, then photographed. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await assertAccessible(page, name);
  await screenshot(page, name);
}
