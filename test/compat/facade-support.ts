/**
 * For the facade tests: a real comet server, headless Chromium (playwright-core, the system
 * binary) and the CometServerApi.js classic script. The seed page and jQuery are answered by the
 * test itself on the comet server's origin, so the page loads `/CometServerApi.js` from the comet
 * server exactly as a migrated page would.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SEED_CHAT = readFileSync(join(ROOT, 'test/compat/fixtures/seed-chat.html'), 'utf8');
export const SEED_AUTH_CHAT = readFileSync(join(ROOT, 'test/compat/fixtures/seed-authchat.html'), 'utf8');
const JQUERY = readFileSync(join(ROOT, 'node_modules/jquery/dist/jquery.min.js'), 'utf8');

import { startServer, type CometServer } from '../fixtures/server.js';

export { startServer };
export type CometServerHandle = CometServer;

/** Waits (by polling the core, not a clock) until `n` connections are in the pipe. */
export async function untilPresent(server: CometServerHandle, pipe: string, n: number): Promise<void> {
  while ((await server.core.presence('1', pipe)).count < n) await new Promise((r) => setTimeout(r, 20));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const info = statSync(path);
    newest = Math.max(newest, info.isDirectory() ? newestMtime(path) : info.mtimeMs);
  }
  return newest;
}

/**
 * The script the page gets at /CometServerApi.js: null when the server's dist/CometServerApi.js is
 * newer than its sources (the server serves it), else a fresh esbuild bundle of src/compat/global.ts.
 */
async function compatBundle(): Promise<string | null> {
  const dist = join(ROOT, 'dist/CometServerApi.js');
  const sources = Math.max(...['src/compat', 'src/client', 'src/protocol'].map((d) => newestMtime(join(ROOT, d))));
  const built = (() => {
    try {
      return statSync(dist).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built > sources) return null;
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [join(ROOT, 'src/compat/global.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      // The page is answered by the test (no IP address), which Chromium's Local Network Access
      // checks would treat as public and so block its WebSocket to 127.0.0.1.
      '--disable-features=LocalNetworkAccessChecks',
    ],
  });
}

export interface SeedPages {
  readonly server: CometServerHandle;
  readonly browser: Browser;
  /** For openOnServer: the page's /CometServerApi.js, or null when the server's dist/ copy is current. */
  readonly bundle: string | null;
}

/** A server, Chromium and the facade script for the current suite: made before its tests, closed after. */
export function useSeedPages(): SeedPages {
  const env = {} as { server: CometServerHandle; browser: Browser; bundle: string | null };
  before(async () => {
    [env.server, env.browser, env.bundle] = await Promise.all([startServer(), launchBrowser(), compatBundle()]);
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

/** Opens `path` on the comet server's origin, answering it with `html` (and jQuery, and the bundle when there is one). */
export async function openOnServer(
  { browser, server, bundle }: SeedPages,
  html: string,
  path = '/chat.html',
): Promise<Page> {
  const serverUrl = server.url;
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error('[page error]', err.message));
  await page.route(`${serverUrl}${path}`, (route) =>
    route.fulfill({ contentType: 'text/html; charset=utf-8', body: html }),
  );
  await page.route(`${serverUrl}/node_modules/jquery/dist/jquery.min.js`, (route) =>
    route.fulfill({ contentType: 'text/javascript', body: JQUERY }),
  );
  if (bundle !== null) {
    await page.route(`${serverUrl}/CometServerApi.js`, (route) =>
      route.fulfill({ contentType: 'text/javascript', body: bundle }),
    );
  }
  await page.goto(`${serverUrl}${path}`);
  return page;
}
