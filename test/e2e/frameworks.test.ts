/**
 * Framework users: examples/react (React 19) and examples/vue (Vue 3), each type-checked and built with
 * Vite by its own `npm run build`, then served as static sites and opened in Chromium. The two apps chat
 * with each other through one server; each shows what reached it through the framework's own wiring
 * (props and properties in, DOM events out, a method through a ref).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type {} from '../../src/element/define.js';
import {
  chat,
  newWatchedPage,
  part,
  say,
  screenshot,
  serveFolder,
  useDemo,
  waitConnected,
  waitForDelivery,
  waitForInFeed,
  WAIT_MS,
  type PageWatch,
} from './harness.js';

const EXAMPLES = ['react', 'vue'] as const;
type Example = (typeof EXAMPLES)[number];

/** `npm run build` of one example workspace: its type check (tsc / vue-tsc), then `vite build` into its dist/. */
function buildExample(name: Example): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'build', '--workspace', `examples/${name}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`examples/${name}: npm run build failed (${code})\n${output}`)),
    );
  });
}

const demo = useDemo();
const sites = {} as Record<Example, { url: string; close(): Promise<void> }>;

before(async () => {
  await Promise.all(EXAMPLES.map(buildExample));
  for (const name of EXAMPLES) sites[name] = await serveFolder(`examples/${name}/dist`);
});
after(async () => {
  await Promise.all(Object.values(sites).map((s) => s.close()));
});

async function open(name: Example, pipe: string): Promise<{ page: Page; watch: PageWatch }> {
  const opened = await newWatchedPage(await demo.browser.newContext());
  const query = new URLSearchParams({ server: demo.server.url, 'dev-id': '1', pipe });
  await opened.page.goto(`${sites[name].url}/?${query}`);
  return opened;
}

test('a React 19 app and a Vue 3 app, built with Vite, chat with each other', { timeout: 120_000 }, async () => {
  const pipe = `web_frameworks_${Date.now().toString(36)}`;
  const react = await open('react', pipe);
  const vue = await open('vue', pipe);
  const r = chat(react.page);
  const v = chat(vue.page);
  await waitConnected(r);
  await waitConnected(v);

  // In: an object property (strings), attributes / properties from framework state (name, theme, history).
  assert.equal(await part(r, 'title').innerText(), 'React room');
  assert.equal(await part(v, 'title').innerText(), 'Vue room');
  assert.deepEqual(
    await r.evaluate((el: HTMLElementTagNameMap['comet-chat']) => [el.name, el.theme, el.history, el.devId]),
    ['React user', 'light', 20, '1'],
  );
  assert.deepEqual(
    await v.evaluate((el: HTMLElementTagNameMap['comet-chat']) => [el.name, el.theme, el.history, el.devId]),
    ['Vue user', 'light', 20, '1'],
  );
  // Framework state changes reach the element.
  await react.page.locator('#theme').click();
  await vue.page.locator('#theme').click();
  for (const { page } of [react, vue]) {
    await page.waitForFunction(() => document.querySelector('comet-chat')?.theme === 'dark', undefined, {
      timeout: WAIT_MS,
    });
  }
  await react.page.locator('#name').fill('Ada (React)');
  await vue.page.locator('#name').fill('Linus (Vue)');

  // Out: comet-connect reached each framework's state.
  await react.page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: WAIT_MS });
  await vue.page.locator('#status', { hasText: 'connected' }).waitFor({ timeout: WAIT_MS });

  // React → Vue, typed into the element; Vue's @comet-message handler lists it, React's delivery handler counts it.
  await say(r, 'Hi Vue, this is React');
  const atVue = await waitForInFeed(v, 'message', 'Hi Vue, this is React');
  assert.match(await part(atVue, 'name').innerText(), /Ada \(React\)/);
  await vue.page.locator('#seen li', { hasText: 'Ada (React): Hi Vue, this is React' }).waitFor({ timeout: WAIT_MS });
  await waitForDelivery(r, 'Delivered to 1');
  await react.page.locator('#delivered', { hasText: '1 received it' }).waitFor({ timeout: WAIT_MS });

  // Vue → React, through the element's send() method on a template ref.
  await vue.page.locator('#hello').click();
  await waitForInFeed(r, 'message', 'Hello from Vue, Linus (Vue)');
  await react.page
    .locator('#seen li', { hasText: 'Linus (Vue): Hello from Vue, Linus (Vue)' })
    .waitFor({ timeout: WAIT_MS });
  await vue.page.locator('#delivered', { hasText: '1 received it' }).waitFor({ timeout: WAIT_MS });

  // And React's ref.send().
  await react.page.locator('#hello').click();
  await waitForInFeed(v, 'message', 'Hello from React, Ada (React)');

  await screenshot(react.page, 'example-react');
  await screenshot(vue.page, 'example-vue');
  assert.deepEqual([...react.watch.errors, ...vue.watch.errors], []);
  await react.page.context().close();
  await vue.page.context().close();
});
