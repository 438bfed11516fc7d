/** Demo 1, the seed's first chat: two anonymous people pick names and talk in web_chat_pipe. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chat,
  newWatchedPage,
  part,
  say,
  screenshot,
  useDemo,
  waitConnected,
  waitForDelivery,
  waitForInFeed,
} from './harness.js';

const demo = useDemo();

test('two anonymous users chat both ways, see delivery counts, and markup stays text', async () => {
  const alice = await newWatchedPage(await demo.browser.newContext());
  const bob = await newWatchedPage(await demo.browser.newContext());
  for (const { page } of [alice, bob]) await page.goto(`${demo.server.url}/anonymous/`);
  const a = chat(alice.page);
  const b = chat(bob.page);
  await waitConnected(a);
  await waitConnected(b);

  // The seed asks for a name before writing.
  assert.equal(await part(a, 'send-button').isDisabled(), true);
  await part(a, 'name-input').fill('Alice');
  await part(b, 'name-input').fill('Bob');

  await say(a, 'Hello from Alice');
  const atBob = await waitForInFeed(b, 'message', 'Hello from Alice');
  assert.match(await part(atBob, 'name').innerText(), /Alice/);
  await waitForDelivery(a, 'Delivered to 1');

  // The seed appended names and texts as HTML; here both are shown as text.
  const hostile = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
  await say(b, hostile);
  const atAlice = await waitForInFeed(a, 'message', 'bold?');
  assert.equal(await part(atAlice, 'text').innerText(), hostile);
  assert.equal(await atAlice.locator('img, b').count(), 0);
  assert.equal(await alice.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  await waitForDelivery(b, 'Delivered to 1');

  // My own messages are marked as mine on my side, as someone else's on the other.
  await waitForInFeed(a, 'message', 'Hello from Alice');
  assert.equal(await part(a, 'mine').filter({ hasText: 'Hello from Alice' }).count(), 1);
  assert.equal(await part(b, 'mine').filter({ hasText: 'Hello from Alice' }).count(), 0);

  await screenshot(alice.page, 'demo-anonymous');
  assert.deepEqual([...alice.watch.errors, ...bob.watch.errors], []);
  assert.deepEqual([...alice.watch.cspViolations, ...bob.watch.cspViolations], []);
  await alice.page.context().close();
  await bob.page.context().close();
});
