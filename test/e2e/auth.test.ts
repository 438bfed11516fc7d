/**
 * Demo 2, the seed's authorized chat: victor and olga log in through the demo site's backend
 * (which registers their keys through /api/v1 and announces them in loginPipe), see each other
 * join, chat both ways with delivery counts, and see each other leave.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  chat,
  newWatchedPage,
  part,
  publishScreenshot,
  say,
  screenshot,
  useDemo,
  waitConnected,
  waitForDelivery,
  waitForInFeed,
  WAIT_MS,
  type PageWatch,
} from './harness.js';

const demo = useDemo();

async function logIn(page: Page, login: string, pass = 'qwerty'): Promise<void> {
  await page.goto(`${demo.server.url}/auth/`);
  await page.locator('select[name="login"]').selectOption(login);
  await page.locator('input[name="pass"]').fill(pass);
  await Promise.all([page.waitForURL('**/auth/chat.html'), page.locator('button[type="submit"]').click()]);
  await waitConnected(chat(page));
}

async function logOut(page: Page): Promise<void> {
  await Promise.all([page.waitForURL('**/auth/?bye=1'), page.locator('#logout').click()]);
}

test('a wrong password is refused and no session is opened', async () => {
  const context = await demo.browser.newContext();
  const { page, watch } = await newWatchedPage(context);
  await page.goto(`${demo.server.url}/auth/`);
  await page.locator('select[name="login"]').selectOption('kate');
  await page.locator('input[name="pass"]').fill('not-qwerty');
  await Promise.all([page.waitForURL('**/auth/?error=1'), page.locator('button[type="submit"]').click()]);
  assert.match(await page.locator('#notice').innerText(), /Wrong login or password/);
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await demo.server.core.getUserKey('1', 4), undefined);
  // Without a session the chat page sends the visitor back to the login form.
  await Promise.all([page.waitForURL('**/auth/'), page.goto(`${demo.server.url}/auth/chat.html`)]);
  assert.deepEqual(watch.errors, []);
  await context.close();
});

test('victor and olga see each other join, chat both ways with delivery counts, and see each other leave', async () => {
  const olga = await newWatchedPage(await demo.browser.newContext());
  const victor = await newWatchedPage(await demo.browser.newContext());
  const o = chat(olga.page);
  const v = chat(victor.page);

  await logIn(olga.page, 'olga');
  assert.equal(await olga.page.locator('#me').innerText(), 'Оля');
  // The session cookie is HttpOnly: page scripts never see it; the key comes from /auth/session.
  const [cookie] = await olga.page.context().cookies();
  assert.equal(cookie?.name, 'demo_session');
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, 'Lax');
  assert.equal(await olga.page.evaluate(() => document.cookie), '');
  assert.equal(await o.getAttribute('user-id'), '3');
  assert.equal(await o.getAttribute('user-key'), await demo.server.core.getUserKey('1', 3));

  await logIn(victor.page, 'victor');
  await waitForInFeed(o, 'notice', 'Виктор');

  // Olga leaves and comes back, so that victor, now in the chat, sees both of her notices.
  await logOut(olga.page);
  await waitForInFeed(v, 'notice', /Оля.*left/);
  await logIn(olga.page, 'olga');
  await waitForInFeed(v, 'notice', /Оля.*joined/);

  await say(v, 'Привет, Оля!');
  const atOlga = await waitForInFeed(o, 'message', 'Привет, Оля!');
  // The name comes from the server's stamp (the backend registered it with the key), not from the sender.
  assert.equal(await part(atOlga, 'name').innerText(), 'Виктор');
  await waitForDelivery(v, 'Delivered to 1');

  await say(o, 'Hi Victor');
  const atVictor = await waitForInFeed(v, 'message', 'Hi Victor');
  assert.equal(await part(atVictor, 'name').innerText(), 'Оля');
  await waitForDelivery(o, 'Delivered to 1');

  // Both are in the pipe, and each header says so (the picture in docs/ shows it too).
  for (const w of [v, o]) await part(w, 'online').filter({ hasText: '2 online' }).waitFor({ timeout: WAIT_MS });
  await screenshot(victor.page, 'demo-auth-victor');
  await screenshot(olga.page, 'demo-auth-olga');
  publishScreenshot(await screenshot(v, 'demo-auth-victor-widget'), 'screenshot-demo.png');

  await logOut(victor.page);
  await waitForInFeed(o, 'notice', /Виктор.*left/);
  // Logging out removed victor's key on the server (his last session): the key can't be reused.
  assert.equal(await demo.server.core.getUserKey('1', 1), undefined);

  const watches: PageWatch[] = [olga.watch, victor.watch];
  assert.deepEqual(
    watches.flatMap((w) => w.errors),
    [],
  );
  assert.deepEqual(
    watches.flatMap((w) => w.cspViolations),
    [],
  );
  await olga.page.context().close();
  await victor.page.context().close();
});
