/**
 * The seed's second page, the authorized chat (the HTML part of authChat.php), on CometServerApi.js:
 * start() with the user_id + user_key its PHP backend registered, `loginPipe.userLogin` /
 * `loginPipe.userExit` subscriptions fed by the backend, and names looked up by the server's user_id stamp.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SEED_AUTH_CHAT, openOnServer, untilPresent, useSeedPages } from './facade-support.js';

/** authChat.php's $usersPublicData. */
const USERS_PUBLIC_DATA: Record<number, string> = { 1: 'Виктор', 2: 'Димон', 3: 'Оля', 4: 'Катя', 5: 'Маша' };

/** What PHP's echoes put into the page for a logged-in user. */
function renderFor(userId: number, userHash: string): string {
  const values: Record<string, string> = {
    userId: String(userId),
    userHash,
    userName: USERS_PUBLIC_DATA[userId],
    usersPublicData: JSON.stringify(USERS_PUBLIC_DATA),
  };
  return SEED_AUTH_CHAT.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name]);
}

describe('the seed authorized chat page on CometServerApi.js', { timeout: 60_000 }, () => {
  const env = useSeedPages();

  /** The backend's part (authChat.php's CometQL INSERTs), done through the HTTP backend API. */
  async function backend(method: string, path: string, body: unknown): Promise<void> {
    const res = await fetch(`${env.server.url}/api/v1/apps/1${path}`, {
      method,
      headers: { authorization: `Bearer ${env.server.app1Secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.ok, true, `${method} ${path}: ${res.status} ${await res.text()}`);
  }
  const announce = (event: 'userLogin' | 'userExit', name: string) =>
    backend('POST', '/pipes/loginPipe/messages', { event, data: { name } });

  async function logIn(userId: number, key: string): Promise<Page> {
    await backend('PUT', `/users/${userId}/key`, { key });
    await announce('userLogin', USERS_PUBLIC_DATA[userId]);
    return openOnServer(env, renderFor(userId, key), '/authChat.php');
  }
  const feed = (page: Page, text: string) => page.locator('#WebChatFormForm p').filter({ hasText: text });

  test('victor and olga are authorized, see join and leave notices, and chat under their own names', async () => {
    const victor = await logIn(1, 'a'.repeat(32));
    await untilPresent(env.server, 'loginPipe', 1);
    const olga = await logIn(3, 'b'.repeat(32));
    await untilPresent(env.server, 'web_php_chat', 2);
    await untilPresent(env.server, 'loginPipe', 2);

    for (const page of [victor, olga]) {
      assert.equal(
        await page.evaluate(() =>
          (window as unknown as { CometServer(): { isAuthorized(): boolean } }).CometServer().isAuthorized(),
        ),
        true,
      );
    }
    // olga's login (announced by the backend before her page opened) reached victor's page.
    assert.equal(await feed(victor, 'вошол').innerText(), 'Пользователь Оля вошол в чат.');

    await victor.fill('#WebChatTextID', 'Привет, Оля');
    await victor.click('input[type=button]');
    // "Виктор" comes from usersPublicData[msg.server_info.user_id]: the server stamped victor's id.
    assert.equal(await feed(olga, 'Привет, Оля').innerText(), 'Виктор: Привет, Оля');
    await victor.locator('#answer_div').filter({ hasText: 'Сообщение получили' }).waitFor();
    assert.equal((await victor.locator('#answer_div').innerText()).trim(), 'Сообщение получили 1 человек.');

    await olga.fill('#WebChatTextID', 'Привет, Виктор');
    await olga.click('input[type=button]');
    assert.equal(await feed(victor, 'Привет, Виктор').innerText(), 'Оля: Привет, Виктор');
    await olga.locator('#answer_div').filter({ hasText: 'Сообщение получили' }).waitFor();
    assert.equal((await olga.locator('#answer_div').innerText()).trim(), 'Сообщение получили 1 человек.');

    await announce('userExit', 'Оля');
    assert.equal(await feed(victor, 'покинул').innerText(), 'Пользователь Оля покинул в чат.');
    assert.equal(await feed(olga, 'вошол').count(), 0, "victor's login came before olga's page subscribed");
    await Promise.all([victor.close(), olga.close()]);
  });

  test('a stale key is refused: the page runs as a guest and its messages carry no name', async () => {
    const stale = await openOnServer(env, renderFor(2, 'c'.repeat(32)), '/authChat.php');
    const reader = await logIn(4, 'd'.repeat(32));
    await untilPresent(env.server, 'web_php_chat', 2);
    type Api = { CometServer(): { isAuthorized(): boolean; onAuthFalill(cb: () => void): void } };
    await stale.evaluate(
      () => new Promise<void>((done) => (window as unknown as Api).CometServer().onAuthFalill(done)),
    );
    assert.equal(await stale.evaluate(() => (window as unknown as Api).CometServer().isAuthorized()), false);

    await stale.fill('#WebChatTextID', 'кто я?');
    await stale.click('input[type=button]');
    assert.equal(await feed(reader, 'кто я?').innerText(), 'Аноним: кто я?');
    await Promise.all([stale.close(), reader.close()]);
  });
});
