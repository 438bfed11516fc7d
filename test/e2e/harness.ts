/**
 * End-to-end harness: a real server in demo mode on a random loopback port, and the machine's
 * Chromium driven by playwright-core. Playwright's CSS engine pierces open shadow roots, so
 * `comet-chat [part~="feed"]` reaches inside the widget.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { serveFromFolder } from '../../src/server/fronts/http/static.js';
import { errorLogger, startServer, type CometServer } from '../fixtures/server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'artifacts';
/** Long enough for a loaded 2-core machine; these are waits for a state, not speed checks. */
export const WAIT_MS = 20_000;

async function startDemoServer(): Promise<CometServer> {
  assert.ok(existsSync('dist/comet-chat.js'), 'dist/comet-chat.js is missing: run npm run build first');
  return startServer({ demo: true, logger: errorLogger });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface Demo {
  readonly server: CometServer;
  readonly browser: Browser;
}

/**
 * A test file's demo server and Chromium: started before its tests, closed after them.
 * `{ browser: false }` for files that only speak HTTP.
 */
export function useDemo({ browser = true } = {}): Demo {
  const demo = {} as { server: CometServer; browser: Browser };
  before(async () => {
    demo.server = await startDemoServer();
    if (browser) demo.browser = await launchBrowser();
  });
  after(async () => {
    await demo.browser?.close();
    await demo.server?.close();
  });
  return demo;
}

/** What went wrong on a page: uncaught errors, console errors, and CSP violations. */
export interface PageWatch {
  errors: string[];
  cspViolations: string[];
}

/**
 * Watches a page for problems. CSP violations are caught twice: the page's own
 * `securitypolicyviolation` events (a script injected before any page script runs) and
 * Chromium's console reports of them.
 */
export async function watch(page: Page): Promise<PageWatch> {
  const w: PageWatch = { errors: [], cspViolations: [] };
  await page.exposeFunction('__reportCspViolation', (text: string) => w.cspViolations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCspViolation(t: string): void }).__reportCspViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`,
      );
    });
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content[- ]Security[- ]Policy/i.test(text)) w.cspViolations.push(`console: ${text}`);
    // Chromium asks every page for /favicon.ico; a bare page has none, and that is fine.
    else if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) {
      w.errors.push(`console: ${text} (${msg.location().url})`);
    }
  });
  page.on('pageerror', (err) => w.errors.push(`pageerror: ${err.message}`));
  return w;
}

export async function newWatchedPage(context: BrowserContext): Promise<{ page: Page; watch: PageWatch }> {
  const page = await context.newPage();
  return { page, watch: await watch(page) };
}

/** The widget on a page; `nth` picks one when there are several. */
export function chat(page: Page, nth = 0): Locator {
  return page.locator('comet-chat').nth(nth);
}

export const part = (widget: Locator, name: string): Locator => widget.locator(`[part~="${name}"]`);

/** Waits until the widget says it is connected (also while its launcher panel is closed, so the status hidden). */
export async function waitConnected(widget: Locator): Promise<void> {
  await widget.locator('[part~="status"][data-status="connected"]').waitFor({ state: 'attached', timeout: WAIT_MS });
}

/** Waits until the widget's feed shows an element of `partName` containing `text`. */
export async function waitForInFeed(
  widget: Locator,
  partName: 'message' | 'notice',
  text: string | RegExp,
): Promise<Locator> {
  const found = part(part(widget, 'feed'), partName).filter({ hasText: text }).first();
  await found.waitFor({ timeout: WAIT_MS });
  return found;
}

/** Types a message into the widget and sends it with Enter, as a person would. */
export async function say(widget: Locator, text: string): Promise<void> {
  const box = part(widget, 'textarea');
  await box.fill(text);
  await box.press('Enter');
}

export async function waitForDelivery(widget: Locator, text: string | RegExp): Promise<void> {
  await part(widget, 'delivery').filter({ hasText: text }).waitFor({ timeout: WAIT_MS });
}

/** Saves a screenshot under artifacts/ (git-ignored) and returns its path. */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await target.screenshot({ path, animations: 'disabled', ...('goto' in target ? { fullPage: true } : {}) });
  return path;
}

/**
 * Copies one artifact into docs/ for the README, only when it is not there yet or
 * UPDATE_SCREENSHOTS=1 (a test run must not dirty the work tree with a new picture each time).
 */
export function publishScreenshot(artifact: string, docsName: string): void {
  const target = join('docs', docsName);
  if (!existsSync(target) || process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(artifact, target);
}

/** A plain static file server for a built site (an example app), on a random loopback port. */
export async function serveFolder(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    serveFromFolder(req, res, root, path).then(
      (served) => served || res.writeHead(404).end(),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
