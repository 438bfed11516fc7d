/**
 * Demo 5, the site chat: the launcher in the corner of a page. A visitor with the panel closed gets a badge
 * and a title count for what another visitor writes; opening shows it, Escape closes. Screenshots for the
 * docs: closed with a badge, open, and a phone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chat,
  newWatchedPage,
  part,
  publishScreenshot,
  say,
  screenshot,
  useDemo,
  waitConnected,
  waitForInFeed,
} from './harness.js';

const demo = useDemo();

test('the launcher counts what came while closed, opens on a click, closes on Escape', async () => {
  const reader = await newWatchedPage(await demo.browser.newContext({ viewport: { width: 1100, height: 720 } }));
  const writer = await newWatchedPage(await demo.browser.newContext());
  for (const { page } of [reader, writer]) await page.goto(`${demo.server.url}/site-chat/`);
  const r = chat(reader.page);
  const w = chat(writer.page);
  await waitConnected(r);
  await waitConnected(w);
  const title = await reader.page.title();

  // The writer opens the panel and says two things while the reader's panel stays closed.
  await part(w, 'launcher').click();
  await part(w, 'name-input').fill('Olga');
  await say(w, 'Hello! Is anyone **there**?');
  await waitForInFeed(w, 'message', 'anyone');
  await say(w, 'The docs are at https://example.com/docs');
  await part(r, 'badge').filter({ hasText: '2' }).waitFor();
  assert.equal(await reader.page.title(), `(2) ${title}`);
  assert.equal(await part(r, 'panel').isVisible(), false);
  publishScreenshot(await screenshot(reader.page, 'demo-site-chat-closed'), 'screenshot-launcher-closed.png');

  await part(r, 'launcher').click();
  await waitForInFeed(r, 'message', 'The docs are at');
  assert.equal(await part(r, 'badge').count(), 0);
  assert.equal(await reader.page.title(), title);
  assert.equal(await r.locator('[part~="text"] strong').first().innerText(), 'there');
  assert.equal(await part(r, 'guest').first().innerText(), 'Olga');
  await part(r, 'name-input').fill('Ivan');
  await say(r, 'Hi @Olga, I am here');
  await waitForInFeed(w, 'message', 'I am here');
  assert.equal(await part(w, 'mention').innerText(), '@Olga');
  publishScreenshot(await screenshot(reader.page, 'demo-site-chat-open'), 'screenshot-launcher-open.png');

  await reader.page.keyboard.press('Escape');
  await part(r, 'panel').waitFor({ state: 'hidden' });
  assert.equal(await r.evaluate((el) => el.shadowRoot!.activeElement?.getAttribute('part')), 'launcher');

  // On a phone the open panel is the whole screen.
  await reader.page.setViewportSize({ width: 375, height: 667 });
  await part(r, 'launcher').click();
  const box = await part(r, 'panel').boundingBox();
  assert.deepEqual(box, { x: 0, y: 0, width: 375, height: 667 });
  await screenshot(reader.page, 'demo-site-chat-phone');

  assert.deepEqual([...reader.watch.errors, ...writer.watch.errors], []);
  assert.deepEqual([...reader.watch.cspViolations, ...writer.watch.cspViolations], []);
  await reader.page.context().close();
  await writer.page.context().close();
});
