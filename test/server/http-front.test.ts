/**
 * The HTTP front on its own: mounted on a plain node http server over a real core with the
 * memory store (no socket front), for what needs no delivery: auth, input errors, routing,
 * health, metrics and static files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/server/core/limits.js';
import { AppRegistry } from '../../src/server/core/apps.js';
import { Core } from '../../src/server/core/core.js';
import { createHttpFront } from '../../src/server/fronts/http/index.js';
import { packageRoot, publicScript, resolveInside } from '../../src/server/fronts/http/static.js';
import { Metrics } from '../../src/server/metrics.js';
import { MemoryStore } from '../../src/server/store/memory.js';

const SECRET1 = 'secret-of-app-one';
const SECRET2 = 'secret-of-app-two';
let server: Server;
let base: string;
let ready = true;
let files: string;
const metrics = new Metrics();
const logged: unknown[] = [];

/** A real core whose userTime fails the way a broken database would. */
class FaultyCore extends Core {
  override async userTime(): Promise<number> {
    throw new Error('database password is hunter2');
  }
}

before(async () => {
  files = mkdtempSync(join(tmpdir(), 'comet-http-'));
  mkdirSync(join(files, 'dist'));
  mkdirSync(join(files, 'demo', 'sub'), { recursive: true });
  writeFileSync(join(files, 'dist', 'comet-chat.js'), 'export const bundle = 1;\n');
  writeFileSync(join(files, 'demo', 'index.html'), '<!doctype html><title>demo</title>\n');
  writeFileSync(join(files, 'demo', 'style.css'), 'body { color: black }\n');
  writeFileSync(join(files, 'demo', 'sub', 'index.html'), '<p>sub</p>\n');
  writeFileSync(join(files, 'demo', '.env'), 'SECRET=1\n');
  mkdirSync(join(files, 'demo', 'backend'));
  writeFileSync(join(files, 'demo', 'backend', 'users.js'), 'export const password = 1;\n');
  writeFileSync(join(files, 'outside.txt'), 'not served\n');

  const apps = new AppRegistry([
    { id: '1', secret: SECRET1, origins: '*', receipts: false, quota: DEFAULT_LIMITS.quota },
    { id: '2', secret: SECRET2, origins: '*', receipts: false, quota: DEFAULT_LIMITS.quota },
  ]);
  const handler = createHttpFront({
    core: new FaultyCore({ store: new MemoryStore(), apps, metrics }),
    metrics,
    isReady: () => ready,
    demo: true,
    staticRoots: { dist: join(files, 'dist'), demo: join(files, 'demo') },
    extraRoutes: (req, res) => {
      if (req.url !== '/demo-backend/ping') return false;
      res.end('pong');
      return true;
    },
    maxBodyBytes: 64 * 1024,
    log: (_msg, err) => logged.push(err),
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(files, { recursive: true, force: true });
});

async function api(
  method: string,
  path: string,
  options: { secret?: string | null; body?: unknown; raw?: string; type?: string } = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = {};
  const secret = options.secret === undefined ? SECRET1 : options.secret;
  if (secret !== null) headers.Authorization = `Bearer ${secret}`;
  let body: string | undefined;
  if (options.raw !== undefined || options.body !== undefined) {
    body = options.raw ?? JSON.stringify(options.body);
    headers['Content-Type'] = options.type ?? 'application/json';
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

test('/healthz answers 200 when ready and 503 when not', async () => {
  let res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok', store: 'ok' });
  ready = false;
  try {
    res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 503);
    await res.body?.cancel();
  } finally {
    ready = true;
  }
  res = await fetch(`${base}/healthz`, { method: 'POST' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, HEAD');
  await res.body?.cancel();
});

test('/metrics is Prometheus text', async () => {
  await api('GET', '/api/v1/apps/1/pipes/web_chat');
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  assert.match(text, /# TYPE comet_connections gauge/);
  assert.match(text, /comet_http_responses_total\{status="200"\} \d+/);
});

test('the secret authenticates exactly one app', async () => {
  const path = '/api/v1/apps/1/pipes/web_chat/settings';
  assert.equal((await api('GET', path)).status, 200);
  for (const secret of [null, 'wrong', SECRET2, '', `${SECRET1}x`]) {
    const res = await api('GET', path, { secret });
    assert.equal(res.status, 401, `secret ${String(secret)}`);
    assert.equal(res.body.error, 'unauthorized');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="comet-chat"');
  }
  assert.equal((await api('GET', '/api/v1/apps/2/pipes/web_chat/settings', { secret: SECRET2 })).status, 200);
  // Unknown app: the same 401 as a wrong secret, so app ids are not probed.
  assert.equal((await api('GET', '/api/v1/apps/nope/pipes/web_chat/settings')).status, 401);
  // Another scheme is no bearer token.
  const basic = await fetch(`${base}${path}`, { headers: { Authorization: `Basic ${SECRET1}` } });
  assert.equal(basic.status, 401);
  await basic.body?.cancel();
});

test('one app cannot touch another app through its own secret', async () => {
  assert.equal((await api('PUT', '/api/v1/apps/2/users/5/key', { body: { key: 'k2' }, secret: SECRET2 })).status, 200);
  assert.equal((await api('GET', '/api/v1/apps/2/users/5/key', { secret: SECRET1 })).status, 401);
  assert.equal((await api('DELETE', '/api/v1/apps/2/users/5/key', { secret: SECRET1 })).status, 401);
  // App 1's own namespace has no user 5.
  assert.equal((await api('GET', '/api/v1/apps/1/users/5/key')).status, 404);
  assert.deepEqual((await api('GET', '/api/v1/apps/2/users/5/key', { secret: SECRET2 })).body, {
    user_id: 5,
    key: 'k2',
  });
});

test('bad input is refused with a JSON error, never a crash', async () => {
  const publish = '/api/v1/apps/1/users/3/key';
  let res = await api('PUT', publish, { raw: '{"key": ' });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { error: 'invalid', message: 'the body is not valid JSON' });

  res = await api('PUT', publish, { body: { key: 'has spaces' } });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid');
  assert.match(String(res.body.message), /^key: /);

  res = await api('PUT', publish, { raw: 'key=abc', type: 'application/x-www-form-urlencoded' });
  assert.equal(res.status, 415);
  assert.equal(res.body.error, 'unsupported_media_type');

  res = await api('PUT', publish, { body: { key: 'x'.repeat(100 * 1024) } });
  assert.equal(res.status, 413);
  assert.equal(res.body.error, 'too_large');

  for (const [method, path] of [
    ['PUT', '/api/v1/apps/1/pipes/no/settings'], // pipe name too short
    ['PUT', '/api/v1/apps/1/pipes/web_chat/settings'], // body lacks length
    ['GET', '/api/v1/apps/1/users/0/key'], // user 0 is anonymous
    ['GET', '/api/v1/apps/1/users/-4/key'],
    ['GET', '/api/v1/apps/1/pipes/web_chat/messages?limit=abc'],
    ['GET', '/api/v1/apps/1/pipes/web_chat/messages?limit=100000'],
    ['DELETE', '/api/v1/apps/1/pipes/web_chat/messages/0'],
    ['POST', '/api/v1/apps/1/bans'], // neither user_id nor conn_id
    ['PUT', '/api/v1/apps/1/webhook'], // no url
    ['GET', '/api/v1/apps/1/pipes/%E0%A4%A/settings'], // malformed percent-encoding
  ] as const) {
    const r = await api(method, path);
    assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error, 'invalid');
  }
  res = await api('PUT', '/api/v1/apps/1/webhook', { body: { url: 'file:///etc/passwd' } });
  assert.equal(res.status, 400);
  res = await api('PUT', '/api/v1/apps/1/webhook', { body: { url: 'https://user:pw@example.com/hook' } });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid');
  res = await api('POST', '/api/v1/apps/1/bans', { body: { user_id: 1, conn_id: 'abc' } });
  assert.equal(res.status, 400);
  // A misspelt field is refused rather than ignored.
  res = await api('PUT', '/api/v1/apps/1/pipes/web_chat/settings', { body: { length: 3, lenght: 4 } });
  assert.equal(res.status, 400);
  assert.match(String(res.body.message), /lenght/);
  for (const body of [{}, { date: 'typo' }, { event: 'bad event', data: 1 }]) {
    res = await api('POST', '/api/v1/apps/1/pipes/web_chat/messages', { body });
    assert.equal(res.status, 400, JSON.stringify(body));
  }
  // Nesting JSON.parse takes but recursive encoders cannot: refused before anything is stored.
  const depth = 20_000;
  res = await api('POST', '/api/v1/apps/1/pipes/web_chat/messages', {
    raw: `{"data":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid');
});

test('a fault inside the core is a 500 that leaks nothing', async () => {
  const res = await api('GET', '/api/v1/apps/1/users/9/time');
  assert.equal(res.status, 500);
  assert.deepEqual(res.body, { error: 'internal', message: 'internal error' });
  assert.ok(
    logged.some((e) => e instanceof Error && e.message.includes('hunter2')),
    'the detail goes to the log',
  );
});

test('unknown routes are 404, known paths with a wrong method 405', async () => {
  for (const path of ['/api/v1/apps/1/nothing', '/api/v1/apps/', '/api/v2/apps/1/pipes/web_x', '/nothing-here']) {
    const res = await api('GET', path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body.error, 'not_found');
  }
  const res = await api('PATCH', '/api/v1/apps/1/webhook');
  assert.equal(res.status, 405);
  assert.equal(res.body.error, 'method_not_allowed');
  assert.equal(res.headers.get('allow'), 'GET, PUT, DELETE, HEAD, OPTIONS');
});

test('OPTIONS on the API says what is allowed and grants no CORS', async () => {
  const res = await fetch(`${base}/api/v1/apps/1/pipes/web_chat/messages`, {
    method: 'OPTIONS',
    headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('allow'), 'POST, GET, HEAD, OPTIONS');
  assert.equal(res.headers.get('access-control-allow-origin'), null);
});

test('the public bundle is served with caching, an ETag and CORS', async () => {
  const res = await fetch(`${base}/comet-chat.js`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.equal(await res.text(), 'export const bundle = 1;\n');
  const etag = res.headers.get('etag');
  assert.ok(etag);
  const again = await fetch(`${base}/comet-chat.js`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(again.headers.get('access-control-allow-origin'), '*');
  assert.equal(await again.text(), '');
  const head = await fetch(`${base}/comet-chat.js`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '25');
  // Not built yet: a clear 404.
  const missing = await fetch(`${base}/CometServerApi.js`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { message: string }).message, /not built/);
});

test('demo files are served with their content types and never outside the folder', async () => {
  for (const [path, type, text] of [
    ['/', 'text/html; charset=utf-8', '<!doctype html><title>demo</title>\n'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html><title>demo</title>\n'],
    ['/style.css', 'text/css; charset=utf-8', 'body { color: black }\n'],
    ['/sub', 'text/html; charset=utf-8', '<p>sub</p>\n'],
    ['/sub/', 'text/html; charset=utf-8', '<p>sub</p>\n'],
  ] as const) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), type, path);
    assert.equal(await res.text(), text, path);
  }
  for (const path of [
    '/backend/users.js',
    '/backend/',
    '/backend',
    '/%62ackend/users.js',
    '/../outside.txt',
    '/%2e%2e/outside.txt',
    '/sub/%2e%2e/%2e%2e/outside.txt',
    '/.env',
    '/%2Eenv',
    '/sub/..%2F..%2Foutside.txt',
    '/%00',
  ]) {
    const res = await fetch(`${base}${path}`);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
  const post = await fetch(`${base}/index.html`, { method: 'POST' });
  assert.equal(post.status, 404);
  await post.body?.cancel();
});

test('the package root is found from the module, not the working directory', () => {
  assert.equal(packageRoot(), resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'));
});

test('resolveInside keeps every path inside its root', () => {
  const root = '/srv/demo';
  assert.equal(resolveInside(root, '/a/b.html'), '/srv/demo/a/b.html');
  assert.equal(resolveInside(root, '/'), '/srv/demo/index.html');
  for (const bad of [
    '/a/../b.html',
    '/../x',
    '/a/../../x',
    '/%2e%2e/x',
    '/..%2fx',
    '/a%5c..%5c..%5cx',
    '/.git/config',
    '/%zz',
  ]) {
    assert.equal(resolveInside(root, bad), null, bad);
  }
});

test('publicScript names the bundles, their chunks and maps in dist/, and nothing else', () => {
  for (const name of [
    'comet-chat.js',
    'comet-chat.js.map',
    'comet-chat-ru.js',
    'comet-chat-ru.js.map',
    'CometServerApi.js',
  ]) {
    assert.equal(publicScript(`/${name}`), name);
  }
  for (const bad of [
    '/comet-chat-../x.js',
    '/comet-chat-.js',
    '/comet-chat-RU.js',
    '/comet-chat-wordpress.zip',
    '/x/comet-chat.js',
    '/comet-chat.jsx',
    '/comet-chat-a/b.js',
  ]) {
    assert.equal(publicScript(bad), undefined, bad);
  }
});

test('extra routes are offered each request before static files', async () => {
  const res = await fetch(`${base}/demo-backend/ping`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'pong');
});

test('a chunked body is cut off at the cap too', async () => {
  const { request } = await import('node:http');
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/api/v1/apps/1/users/3/key`, {
      method: 'PUT',
      headers: {
        Authorization: `Bearer ${SECRET1}`,
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    const chunk = 'x'.repeat(40 * 1024);
    req.write(`{"key":"${chunk}`);
    req.write(chunk);
    req.end('"}');
  });
  assert.equal(status, 413);
});

test("an upload the client abandons half-way is the client's doing: no internal error is logged or counted", async () => {
  const { connect } = await import('node:net');
  const count = (code: string): number =>
    Number(new RegExp(`comet_errors_total\\{code="${code}"\\} (\\d+)`).exec(metrics.render())?.[1] ?? 0);
  const before = { logged: logged.length, internal: count('http_internal'), aborted: count('http_aborted') };
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  // Expect: 100-continue: the "100 Continue" says the API is reading the body when the client gives up.
  socket.write(
    'POST /api/v1/apps/1/pipes/web_chat/messages HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: Bearer ${SECRET1}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n`,
  );
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write('{"data":"only the start of it');
  socket.destroy();
  await until(() => count('http_aborted') + count('http_internal') > before.aborted + before.internal);
  assert.equal(count('http_internal'), before.internal);
  assert.equal(count('http_aborted'), before.aborted + 1);
  assert.equal(logged.length, before.logged, 'nothing logged as a fault');
});

/** Polls a condition the server reaches on its own (here: counting the abandoned request). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
