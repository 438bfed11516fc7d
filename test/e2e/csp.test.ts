/**
 * Demo 4 and the promise of one tag on any page: the bare page with only the pasted snippet, under a
 * strict Content-Security-Policy, works with zero violations; a page of another origin embeds the
 * widget with the same two tags; and /comet-chat.js is served as such a page needs.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
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
let site: Server;
let siteUrl: string;

/** Another origin: a site owner's page with the two pasted tags and a CSP that names only the chat server. */
function sitePage(chatServer: string, lang = 'en'): string {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>A site</title>
<script type="module" src="${chatServer}/comet-chat.js"></script></head><body>
<h1>Somebody's site</h1>
<comet-chat server="${chatServer}" dev-id="1" pipe="web_chat_pipe"></comet-chat>
</body></html>`;
}

// Node 20 runs a file's top-level hooks side by side: the demo server may not be up yet here, so the
// site reads its URL per request.
before(async () => {
  site = createServer((req, res) => {
    const chatServer = demo.server.url;
    const page = req.url === '/' || req.url === '/ru';
    const html = sitePage(chatServer, req.url === '/ru' ? 'ru' : 'en');
    res.writeHead(page ? 200 : 404, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `default-src 'self'; script-src ${chatServer}; style-src 'self'; connect-src ${chatServer} ${chatServer.replace(/^http/, 'ws')}`,
    });
    res.end(page ? html : '');
  });
  await new Promise<void>((done) => site.listen(0, '127.0.0.1', done));
  // "localhost" and "127.0.0.1" are different origins to the browser: the widget really is cross-origin.
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`;
});
after(async () => {
  await new Promise((done) => site?.close(done));
});

test('/comet-chat.js and /CometServerApi.js are served with their type, CORS and caching headers', async () => {
  const res = await fetch(`${demo.server.url}/comet-chat.js`, { headers: { Origin: 'https://some.site.example' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
  const etag = res.headers.get('etag');
  assert.ok(etag, 'an ETag for revalidation');
  const body = await res.text();
  assert.match(body, /customElements\.define\("comet-chat"/);
  const again = await fetch(`${demo.server.url}/comet-chat.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  await again.arrayBuffer();
  // The Russian UI, a chunk loaded from beside the bundle, is served the same way.
  const ru = await fetch(`${demo.server.url}/comet-chat-ru.js`, { headers: { Origin: 'https://some.site.example' } });
  assert.equal(ru.status, 200);
  assert.match(ru.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal(ru.headers.get('access-control-allow-origin'), '*');
  assert.match(await ru.text(), /Подключено/);
  assert.ok(
    !(await fetch(`${demo.server.url}/comet-chat.js`).then((r) => r.text())).includes('Подключено'),
    'Russian is not in the initial bundle',
  );
  // The classic-script facade for pages written against CppComet's CometServerApi.js.
  const compat = await fetch(`${demo.server.url}/CometServerApi.js`);
  assert.equal(compat.status, 200);
  assert.match(compat.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal(compat.headers.get('access-control-allow-origin'), '*');
  assert.doesNotMatch(await compat.text(), /^\s*(import|export)\b/m, 'a classic script has no module syntax');
});

test('the bare page carries a strict CSP and exactly the paste-one-tag snippet', async () => {
  const res = await fetch(`${demo.server.url}/csp/`);
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const html = await res.text();
  assert.ok(html.includes(`<script type="module" src="${demo.server.url}/comet-chat.js"></script>`));
  assert.ok(html.includes(`<comet-chat server="${demo.server.url}" dev-id="1" pipe="web_chat_pipe"></comet-chat>`));
});

test('under the strict CSP the widget chats with a site of another origin, with zero violations', async () => {
  const bare = await newWatchedPage(await demo.browser.newContext());
  const other = await newWatchedPage(await demo.browser.newContext());
  await bare.page.goto(`${demo.server.url}/csp/`);
  await other.page.goto(siteUrl);
  const b = chat(bare.page);
  const o = chat(other.page);
  await waitConnected(b);
  await waitConnected(o);

  await part(b, 'name-input').fill('CSP page');
  await part(o, 'name-input').fill('Other site');
  await say(b, 'from the bare page');
  await waitForInFeed(o, 'message', 'from the bare page');
  await waitForDelivery(b, 'Delivered to 1');
  await say(o, 'from another origin');
  await waitForInFeed(b, 'message', 'from another origin');
  await waitForDelivery(o, 'Delivered to 1');
  await screenshot(bare.page, 'demo-csp');
  await screenshot(other.page, 'embed-other-origin');

  assert.deepEqual(bare.watch.errors, []);
  assert.deepEqual(other.watch.errors, []);
  assert.deepEqual(bare.watch.cspViolations, []);
  assert.deepEqual(other.watch.cspViolations, []);

  // The watch does see violations: an inline style on the bare page is refused and reported.
  await bare.page.evaluate(() => {
    const style = document.createElement('style');
    style.textContent = 'body { color: red }';
    document.head.append(style);
  });
  await waitUntil(() => bare.watch.cspViolations.length > 0);
  assert.match(bare.watch.cspViolations.join('\n'), /style-src/);

  await bare.page.context().close();
  await other.page.context().close();
});

test('a Russian page of another origin gets the Russian UI, loaded from the chat server under its CSP', async () => {
  const { page, watch } = await newWatchedPage(await demo.browser.newContext());
  const chunks: string[] = [];
  page.on('request', (r) => r.url().includes('/comet-chat-') && chunks.push(r.url()));
  await page.goto(`${siteUrl}ru`);
  const widget = chat(page);
  await waitConnected(widget);
  assert.equal(await part(widget, 'status').textContent(), 'Подключено');
  assert.equal(await part(widget, 'title').textContent(), 'Чат');
  assert.equal(
    await part(widget, 'send-button')
      .textContent()
      .then((t) => t?.trim()),
    'Отправить',
  );
  // The message actions, the Russian UI, and the sharing of one connection among tabs: all from the chat server, under
  // the page's CSP.
  assert.deepEqual(chunks.sort(), [
    `${demo.server.url}/comet-chat-lifecycle.js`,
    `${demo.server.url}/comet-chat-ru.js`,
    `${demo.server.url}/comet-chat-shared.js`,
  ]);
  assert.deepEqual(watch.errors, []);
  assert.deepEqual(watch.cspViolations, []);
  await page.context().close();
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
}
