/**
 * One connection per browser: five tabs of the strict-CSP demo page in one browser hold one connection
 * (the server's comet_connections rises by one), a message sent in tab 1 shows in tab 5, and closing the
 * tab that holds the connection loses nothing: another takes over and catches up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { chat, newWatchedPage, part, say, useDemo, waitConnected, waitForInFeed, type PageWatch } from './harness.js';

const demo = useDemo();

async function connections(): Promise<number> {
  const text = await (await fetch(`${demo.server.url}/metrics`)).text();
  return Number(/^comet_connections (\d+)$/m.exec(text)![1]);
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting until ${what}`);
}

test('five tabs share one connection; tab 1 reaches tab 5; closing the leader tab loses nothing', async () => {
  const before = await connections();
  const context = await demo.browser.newContext();
  const tabs: { page: Page; watch: PageWatch }[] = [];
  for (let i = 0; i < 5; i++) {
    const tab = await newWatchedPage(context);
    await tab.page.goto(`${demo.server.url}/csp/`);
    await waitConnected(chat(tab.page));
    tabs.push(tab);
  }
  await until(async () => (await connections()) === before + 1, 'five tabs hold one connection');
  // Someone else, in another browser: a connection of its own, and a reader of what the tabs send.
  const other = await newWatchedPage(await demo.browser.newContext());
  await other.page.goto(`${demo.server.url}/csp/`);
  await waitConnected(chat(other.page));
  await until(async () => (await connections()) === before + 2, 'the other browser connects');

  const first = chat(tabs[0].page);
  await part(first, 'name-input').fill('Tabs');
  await say(first, 'from tab 1');
  await waitForInFeed(chat(tabs[4].page), 'message', 'from tab 1');
  await waitForInFeed(chat(other.page), 'message', 'from tab 1');
  await part(first, 'delivery').filter({ hasText: 'Delivered to 1' }).waitFor();

  // Tab 1 held the connection (it connected first). It closes; the site publishes meanwhile.
  await tabs[0].page.close();
  await demo.server.core.publish('1', 'web_chat_pipe', undefined, { text: 'while tab 1 closed', name: 'Site' });
  for (const tab of tabs.slice(1)) await waitForInFeed(chat(tab.page), 'message', 'while tab 1 closed');
  const last = chat(tabs[4].page);
  await part(last, 'name-input').fill('Tabs');
  await say(last, 'from tab 5');
  await waitForInFeed(chat(tabs[1].page), 'message', 'from tab 5');
  await waitForInFeed(chat(other.page), 'message', 'from tab 5');
  await until(async () => (await connections()) === before + 2, 'the four tabs left hold one connection');
  for (const tab of tabs.slice(1)) {
    assert.equal(await part(chat(tab.page), 'message').filter({ hasText: 'from tab 1' }).count(), 1);
    assert.equal(await part(chat(tab.page), 'message').filter({ hasText: 'while tab 1 closed' }).count(), 1);
  }

  for (const { watch } of [...tabs, other]) {
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.cspViolations, []);
  }
  await context.close();
  await other.page.context().close();
});
