/**
 * Demo 3: three looks made of custom properties and ::part() rules from the page's stylesheet, a dark
 * mode, and the demo site's index linking every demo (each page loads without errors or CSP reports).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Locator } from 'playwright-core';
import { chat, newWatchedPage, part, say, screenshot, useDemo, waitConnected, waitForInFeed } from './harness.js';

const demo = useDemo();

const style = (target: Locator, property: string): Promise<string> =>
  target.evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);

test('the index links the five demos, and each page loads cleanly', async () => {
  const { page, watch } = await newWatchedPage(await demo.browser.newContext());
  await page.goto(`${demo.server.url}/`);
  const links = await page.locator('.cards a').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).pathname));
  assert.deepEqual(links, ['/anonymous/', '/auth/', '/theming/', '/csp/', '/site-chat/']);
  await screenshot(page, 'demo-index');
  for (const path of links) {
    const res = await page.goto(`${demo.server.url}${path}`);
    assert.equal(res?.status(), 200, path);
  }
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.cspViolations, []);
  await page.context().close();
});

test('three looks through parts and custom properties, a dark mode, and one pipe between them', async () => {
  const { page, watch } = await newWatchedPage(
    await demo.browser.newContext({ viewport: { width: 1280, height: 1100 } }),
  );
  await page.goto(`${demo.server.url}/theming/`);
  const [plain, paper, terminal, bubbles] = [0, 1, 2, 3].map((i) => chat(page, i)) as [
    Locator,
    Locator,
    Locator,
    Locator,
  ];
  for (const c of [plain, paper, terminal, bubbles]) await waitConnected(c);

  // Custom properties reach inside; ::part() rules style the named parts.
  const bg = (c: Locator) => style(part(c, 'base'), 'background-color');
  assert.equal(await bg(plain), 'rgb(255, 255, 255)');
  assert.equal(await bg(terminal), 'rgb(10, 15, 10)');
  assert.match(await style(part(terminal, 'feed'), 'font-family'), /monospace/);
  assert.equal(await style(part(paper, 'title'), 'font-variant-caps'), 'small-caps');
  assert.match(await style(part(bubbles, 'header'), 'background-image'), /linear-gradient/);
  assert.equal(await style(part(bubbles, 'send-button'), 'border-top-left-radius'), '999px');
  // The Russian-speaking look speaks Russian.
  assert.notEqual(await part(bubbles, 'send-button').innerText(), await part(plain, 'send-button').innerText());

  await say(paper, 'Written on paper');
  for (const c of [plain, terminal, bubbles]) await waitForInFeed(c, 'message', 'Written on paper');
  await say(bubbles, 'Пузыри отвечают');
  await waitForInFeed(paper, 'message', 'Пузыри отвечают');
  await screenshot(page, 'demo-theming-light');

  await page.locator('input[name="theme"][value="dark"]').check();
  await plain.locator('[part~="header"]').waitFor();
  assert.equal(await plain.getAttribute('theme'), 'dark');
  assert.equal(await bg(plain), 'rgb(13, 17, 23)');
  assert.equal(await bg(bubbles), 'rgb(22, 17, 34)');
  assert.equal(await bg(paper), 'rgb(42, 35, 28)');
  await screenshot(page, 'demo-theming-dark');

  await page.locator('input[name="theme"][value="auto"]').check();
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(await bg(plain), 'rgb(255, 255, 255)');
  await page.emulateMedia({ colorScheme: 'dark' });
  assert.equal(await bg(plain), 'rgb(13, 17, 23)');

  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.cspViolations, []);
  await page.context().close();
});
