// Headless Chromium (Debian's package, driven by playwright-core) with a virtual WebAuthn
// authenticator through the DevTools protocol, on pages served from localhost.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TESSERA_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ci = process.env.CI === 'true' || process.env.CI === '1';

/** Why browser tests cannot run here, or false. With CI=true a missing browser is a failure. */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (ci) throw new Error(`CI=true but no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

/** A blank page on http://localhost:<port>: the origin the ceremonies run from. */
export async function pageServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>relying party</title><p>ok</p>'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { origin: `http://localhost:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

export interface AuthenticatorPage {
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
}

/** A fresh browser context on `origin` with its own virtual platform authenticator (user verification on). */
export async function withAuthenticator(browser: Browser, origin: string): Promise<AuthenticatorPage> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(origin);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return { context, page, cdp, authenticatorId };
}

const CODEC = `
  const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
  const enc = (b) => btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
`;

/** navigator.credentials.create with server options (JSON); returns the credential as JSON. */
export async function createCredential(page: Page, options: unknown): Promise<Record<string, any>> {
  return page.evaluate(async ([codec, opts]) => {
    const { dec, enc } = new Function(`${codec}; return { dec, enc };`)() as { dec: (s: string) => Uint8Array; enc: (b: ArrayBuffer) => string };
    const o = opts as any;
    const publicKey = { ...o, challenge: dec(o.challenge), user: { ...o.user, id: dec(o.user.id) }, excludeCredentials: (o.excludeCredentials ?? []).map((c: any) => ({ ...c, id: dec(c.id) })) };
    const cred = (await navigator.credentials.create({ publicKey })) as any;
    return {
      id: cred.id, rawId: enc(cred.rawId), type: cred.type, authenticatorAttachment: cred.authenticatorAttachment, clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: enc(cred.response.clientDataJSON), attestationObject: enc(cred.response.attestationObject), transports: cred.response.getTransports?.() ?? [] },
    };
  }, [CODEC, options] as const);
}

/** navigator.credentials.get with server options (JSON); returns the assertion as JSON. */
export async function getAssertion(page: Page, options: unknown): Promise<Record<string, any>> {
  return page.evaluate(async ([codec, opts]) => {
    const { dec, enc } = new Function(`${codec}; return { dec, enc };`)() as { dec: (s: string) => Uint8Array; enc: (b: ArrayBuffer) => string };
    const o = opts as any;
    const publicKey = { ...o, challenge: dec(o.challenge), allowCredentials: (o.allowCredentials ?? []).map((c: any) => ({ ...c, id: dec(c.id) })) };
    const cred = (await navigator.credentials.get({ publicKey })) as any;
    return {
      id: cred.id, rawId: enc(cred.rawId), type: cred.type, authenticatorAttachment: cred.authenticatorAttachment, clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: enc(cred.response.clientDataJSON), authenticatorData: enc(cred.response.authenticatorData), signature: enc(cred.response.signature),
        ...(cred.response.userHandle ? { userHandle: enc(cred.response.userHandle) } : {}),
      },
    };
  }, [CODEC, options] as const);
}
