/**
 * Networks that refuse WebSocket: behind a proxy that forwards HTTP but refuses the `Upgrade`, the one-tag chat
 * loads the polling transport from the chat server (a chunk beside comet-chat.js) and chats over it; once the
 * network lets WebSocket through, a reconnect is back on WebSocket.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  chat,
  newWatchedPage,
  part,
  say,
  useDemo,
  waitConnected,
  waitForDelivery,
  waitForInFeed,
  WAIT_MS,
} from './harness.js';
import { startUpgradeProxy, type UpgradeProxy } from './upgrade-proxy.js';

const demo = useDemo();
let proxy: UpgradeProxy;

// Node 20 runs a file's top-level hooks side by side: the proxy asks for the demo server's URL per connection.
before(async () => {
  proxy = await startUpgradeProxy(() => demo.server.url);
});
after(async () => {
  await proxy?.close();
});

/** Browser console lines that are not the refused WebSocket itself. */
const unexpected = (errors: string[]) => errors.filter((e) => !/WebSocket connection to .* failed/.test(e));

test('behind a proxy that refuses WebSocket, two pages chat over polling with delivery counts and history', async () => {
  const alice = await newWatchedPage(await demo.browser.newContext());
  const bob = await newWatchedPage(await demo.browser.newContext());
  const chunks: string[] = [];
  alice.page.on('request', (r) => r.url().includes('/comet-chat-') && chunks.push(new URL(r.url()).pathname));
  for (const { page } of [alice, bob]) await page.goto(`${proxy.url}/anonymous/`);
  const a = chat(alice.page);
  const b = chat(bob.page);
  await waitConnected(a);
  await waitConnected(b);
  // WebSocket was tried first and refused; the polling transport came from beside the bundle.
  assert.ok(proxy.upgrades.refused >= 2, `refused upgrades: ${proxy.upgrades.refused}`);
  assert.equal(proxy.upgrades.passed, 0);
  // Beside the message actions, which every element loads, and the chunk that shares one connection among tabs,
  // which every page with Web Locks loads.
  assert.deepEqual(chunks.sort(), ['/comet-chat-lifecycle.js', '/comet-chat-polling.js', '/comet-chat-shared.js']);
  assert.ok(
    proxy.requests.some((r) => r.startsWith('/socket.io/') && r.includes('transport=polling')),
    'polling requests went through',
  );

  await part(a, 'name-input').fill('Alice');
  await part(b, 'name-input').fill('Bob');
  await say(a, 'over polling');
  await waitForInFeed(b, 'message', 'over polling');
  await waitForDelivery(a, 'Delivered to 1');
  await say(b, 'and back');
  await waitForInFeed(a, 'message', 'and back');
  await waitForDelivery(b, 'Delivered to 1');

  // A third page, behind the same proxy, gets the history.
  const carol = await newWatchedPage(await demo.browser.newContext());
  await carol.page.goto(`${proxy.url}/anonymous/`);
  const c = chat(carol.page);
  await waitForInFeed(c, 'message', 'over polling');
  await waitForInFeed(c, 'message', 'and back');
  assert.equal(await part(c, 'online').textContent({ timeout: WAIT_MS }), '3 online');

  for (const p of [alice, bob, carol]) {
    assert.deepEqual(unexpected(p.watch.errors), []);
    assert.deepEqual(p.watch.cspViolations, []);
    await p.page.context().close();
  }
});

test('once the network lets WebSocket through, the next reconnect is on WebSocket', async () => {
  const { page, watch } = await newWatchedPage(await demo.browser.newContext());
  await page.goto(`${proxy.url}/anonymous/`);
  const w = chat(page);
  await waitConnected(w);
  const refused = proxy.upgrades.refused;
  assert.ok(refused > 0);

  proxy.refuseUpgrade = false;
  await proxy.blip(500);
  for (let waited = 0; proxy.upgrades.passed === 0 && waited < WAIT_MS; waited += 50)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(proxy.upgrades.passed >= 1, 'the reconnect went over WebSocket');
  await waitConnected(w);
  assert.equal(proxy.upgrades.refused, refused);
  await part(w, 'name-input').fill('Dora');
  await say(w, 'over WebSocket again');
  // The server may still count the connection the blip cut off, until its ping times out.
  await waitForDelivery(w, /Delivered to \d/);
  assert.deepEqual(
    unexpected(watch.errors).filter((e) => !/net::ERR_\w+ \(http:\/\/[^)]*\/socket\.io\//.test(e)),
    [],
    'only the requests the blip cut off failed',
  );
  await page.context().close();
  proxy.refuseUpgrade = true;
});

test('a connection on polling moves to WebSocket by itself once the network lets it through', async () => {
  const { page, watch } = await newWatchedPage(await demo.browser.newContext());
  // The page's clock runs on, and the test moves it past the first try instead of waiting for it.
  await page.clock.install();
  await page.goto(`${proxy.url}/anonymous/`);
  const w = chat(page);
  await waitConnected(w);
  const passed = proxy.upgrades.passed;
  proxy.refuseUpgrade = false;
  // Its first try comes 15 s after the fallback: a probe WebSocket, then the reconnect over WebSocket.
  await page.clock.fastForward(15_000);
  for (let waited = 0; proxy.upgrades.passed < passed + 2 && waited < WAIT_MS; waited += 100)
    await new Promise((r) => setTimeout(r, 100));
  assert.ok(proxy.upgrades.passed >= passed + 2, `upgrades let through: ${proxy.upgrades.passed - passed}`);
  await waitConnected(w);
  await part(w, 'name-input').fill('Eve');
  await say(w, 'moved over by itself');
  await waitForDelivery(w, /Delivered to \d/);
  assert.deepEqual(unexpected(watch.errors), []);
  await page.context().close();
  proxy.refuseUpgrade = true;
});
