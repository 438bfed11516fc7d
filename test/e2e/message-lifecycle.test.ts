/**
 * Messages with a lifecycle between two browsers on the strict-CSP demo page: A sends and edits, B sees "edited";
 * B reacts, A sees the count; B cannot edit A's message; A deletes, B sees the tombstone; "Seen by" on A's
 * message rises once B scrolls to the bottom. Screenshots of the menu, chips and reply preview (wide, phone, dark, RTL).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  chat,
  newWatchedPage,
  part,
  say,
  screenshot,
  useDemo,
  waitConnected,
  waitForInFeed,
  WAIT_MS,
} from './harness.js';

const demo = useDemo();

/** The message of `widget` whose text is `text`. */
const message = (widget: Locator, text: string): Locator =>
  part(part(widget, 'feed'), 'message').filter({ has: widget.page().locator(`[part~="text"]`, { hasText: text }) });

/** The feed's one actions button, brought to a message by the pointer over it. */
async function actions(m: Locator): Promise<Locator> {
  await m.hover();
  return part(m, 'actions');
}

async function open(page: Page, name: string): Promise<Locator> {
  await page.goto(`${demo.server.url}/csp/`);
  const widget = chat(page);
  await waitConnected(widget);
  await part(widget, 'name-input').fill(name);
  // Leaving the field sets the name (every bubble is built again for it, the mentions of it marked).
  await part(widget, 'name-input').press('Tab');
  return widget;
}

test('A edits, B reacts, B cannot edit A\'s message, A deletes; "Seen by" rises when B scrolls down', async () => {
  const alice = await newWatchedPage(await demo.browser.newContext());
  const bob = await newWatchedPage(await demo.browser.newContext());
  const a = await open(alice.page, 'Alice');
  const b = await open(bob.page, 'Bob');

  await say(a, 'see you at 5');
  await waitForInFeed(b, 'message', 'see you at 5');
  // Confirmed by the server: my message has its receipt, and its actions.
  await part(message(a, 'see you at 5'), 'receipt').waitFor({ timeout: WAIT_MS });

  // A edits in place, from the message's menu.
  await (await actions(message(a, 'see you at 5'))).click();
  await part(a, 'actions-menu').getByRole('menuitem', { name: 'Edit' }).click();
  const field = part(a, 'edit-input');
  await field.fill('see you at 6');
  await field.press('Enter');
  const atBob = await waitForInFeed(b, 'message', 'see you at 6');
  await part(atBob, 'edited').filter({ hasText: 'edited' }).waitFor({ timeout: WAIT_MS });

  // B reacts; A sees the count.
  await (await actions(atBob)).click();
  await part(b, 'actions-menu').getByRole('menuitemcheckbox', { name: 'React with 👍' }).click();
  await part(message(a, 'see you at 6'), 'reaction').filter({ hasText: '👍 1' }).waitFor({ timeout: WAIT_MS });
  await screenshot(alice.page, 'lifecycle-chips');

  // B's menu on A's message has no Edit, and the server refuses B's edit.
  await (await actions(atBob)).click();
  assert.equal(await part(b, 'actions-menu').getByRole('menuitem', { name: 'Edit' }).count(), 0);
  await part(b, 'actions-menu').press('Escape');
  const refused = await bob.page.evaluate(async () => {
    const el = document.querySelector('comet-chat') as HTMLElement & {
      messages: { text: string; marker?: number }[];
      edit(marker: number, text: string): Promise<void>;
    };
    const target = el.messages.find((m) => m.text === 'see you at 6')!;
    return el.edit(target.marker!, 'hijacked').then(
      () => 'edited',
      (e: { code?: string }) => e.code,
    );
  });
  assert.equal(refused, 'forbidden');

  // A deletes, confirming; B sees the tombstone.
  await (await actions(message(a, 'see you at 6'))).click();
  await part(a, 'actions-menu').getByRole('menuitem', { name: 'Delete' }).click();
  await part(a, 'confirm').click();
  await part(part(b, 'feed'), 'tombstone').filter({ hasText: 'message deleted' }).waitFor({ timeout: WAIT_MS });
  assert.equal(await message(b, 'see you at 6').count(), 0);

  // Seen by: B scrolled up does not count; once B is at the bottom, A's message says so.
  for (let i = 1; i <= 30; i++)
    await demo.server.core.publish('1', 'web_chat_pipe', undefined, { text: `filler ${i}`, name: 'Site' });
  await waitForInFeed(b, 'message', 'filler 30');
  await part(b, 'feed').evaluate((feed) => (feed.scrollTop = 0));
  await say(a, 'anyone?');
  await waitForInFeed(b, 'message', 'anyone?');
  const receipt = part(message(a, 'anyone?'), 'receipt');
  await receipt.filter({ hasText: 'Delivered to 1' }).waitFor({ timeout: WAIT_MS });
  assert.doesNotMatch(await receipt.innerText(), /Seen by [1-9]/);
  await part(b, 'feed').evaluate((feed) => (feed.scrollTop = feed.scrollHeight));
  await receipt.filter({ hasText: 'Delivered to 1 · Seen by 1' }).waitFor({ timeout: WAIT_MS });

  assert.deepEqual([...alice.watch.errors, ...bob.watch.errors], []);
  assert.deepEqual([...alice.watch.cspViolations, ...bob.watch.cspViolations], []);
  await alice.page.context().close();
  await bob.page.context().close();
});

test('screenshots: the menu, the chips and the reply preview, wide, on a phone, dark and right-to-left', async () => {
  for (const { name, width, theme, dir } of [
    { name: 'wide', width: 1000, theme: 'light', dir: 'ltr' },
    { name: 'phone', width: 375, theme: 'light', dir: 'ltr' },
    { name: 'dark', width: 1000, theme: 'dark', dir: 'ltr' },
    { name: 'rtl', width: 1000, theme: 'light', dir: 'rtl' },
  ]) {
    const context = await demo.browser.newContext({ viewport: { width, height: 700 } });
    const { page, watch } = await newWatchedPage(context);
    const widget = await open(page, 'Dana');
    await page.evaluate(
      ([t, d]) => {
        document.documentElement.dir = d;
        document.querySelector('comet-chat')!.setAttribute('theme', t);
      },
      [theme, dir],
    );
    await say(widget, `a question from ${name}?`);
    const mine = message(widget, `a question from ${name}?`);
    await part(mine, 'receipt').waitFor({ timeout: WAIT_MS });
    await (await actions(mine)).click();
    await part(widget, 'actions-menu').getByRole('menuitemcheckbox', { name: 'React with ❤️' }).click();
    await part(mine, 'reaction').waitFor({ timeout: WAIT_MS });
    await (await actions(mine)).click();
    await part(widget, 'actions-menu').getByRole('menuitem', { name: 'Reply' }).click();
    await part(widget, 'reply-preview').waitFor({ timeout: WAIT_MS });
    await (await actions(mine)).click();
    await part(widget, 'actions-menu').waitFor({ timeout: WAIT_MS });
    await screenshot(page, `lifecycle-${name}`);
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.cspViolations, []);
    await context.close();
  }
});
