/**
 * The webhook end to end: a real server, a real local HTTP receiver that checks the signature
 * with the app secret, browsers publishing through socket.io-client.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage as HttpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import type { AppConfig } from '../../src/server/config.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { apiClient, APP2_SECRET, type Client, connect, listen, next, startServer, subscribe } from './http-helpers.js';

/** The receivers here listen on loopback, which an app must be allowed explicitly. */
const APP1_ON_LOOPBACK: AppConfig = { id: '1', allowPrivateWebhooks: true };

interface Hit {
  body: string;
  signature: string;
  timestamp: string;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function readBody(req: HttpRequest): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A receiver that records each hit and answers with `status(n)` (n counts from 1). */
async function receiver(status: (n: number) => number | 'hang') {
  const hits: Hit[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const hook = await listen(async (req, res) => {
    const body = await readBody(req);
    hits.push({
      body,
      signature: String(req.headers['x-comet-signature']),
      timestamp: String(req.headers['x-comet-timestamp']),
    });
    for (const w of waiters.filter((w) => hits.length >= w.count)) w.resolve();
    const answer = status(hits.length);
    if (answer === 'hang') return;
    res.statusCode = answer;
    res.end();
  });
  const hitCount = (count: number): Promise<void> =>
    hits.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }));
  return { ...hook, hits, hitCount };
}

/** A logger that keeps the server's info lines; `logged` settles with the first. */
function infoLog() {
  const lines: string[] = [];
  let loggedOne: () => void = () => undefined;
  const logged = new Promise<void>((resolve) => (loggedOne = resolve));
  const logger = {
    info: (line: string) => {
      lines.push(line);
      loggedOne();
    },
    error: () => undefined,
  };
  return { logger, lines, logged };
}

const signed = (secret: string, hit: Hit): boolean =>
  hit.signature === `sha256=${createHmac('sha256', secret).update(`${hit.timestamp}.${hit.body}`).digest('hex')}`;

async function setup(status: (n: number) => number | 'hang') {
  const hook = await receiver(status);
  cleanups.push(hook.close);
  const comet = await startServer({ apps: [APP1_ON_LOOPBACK] });
  cleanups.push(() => comet.close());
  const api = apiClient(comet.url, comet.app1Secret);
  assert.equal((await api('PUT', '/webhook', { url: hook.url })).status, 200);
  const sockets: Client[] = [];
  cleanups.push(() => sockets.forEach((s) => s.disconnect()));
  return { hook, comet, api, sockets };
}

test('the webhook receives a signed copy of every published message', async () => {
  const { hook, comet, api, sockets } = await setup(() => 204);
  const browser = (await connect(comet.url, { dev_id: '1' }, sockets)).socket;
  const report = await browser.emitWithAck('publish', {
    pipe: 'web_chat',
    data: { text: 'from a browser — привет <b>' },
  });
  assert.equal(report.error, '');
  const backend = await api('POST', '/pipes/loginPipe/messages', { event: 'userLogin', data: { name: 'Victor' } });

  await hook.hitCount(2);
  for (const hit of hook.hits) {
    assert.ok(signed(comet.app1Secret, hit), 'signed with the app secret');
    assert.match(hit.timestamp, /^\d{10}$/);
  }
  const bodies = hook.hits.map((h) => JSON.parse(h.body) as { app: string; epoch: string; message: IncomingMessage });
  // Both from one marker sequence: the same epoch, which the receiver keys its copies by together with the marker.
  assert.equal(new Set(bodies.map((b) => b.epoch)).size, 1);
  assert.match(bodies[0].epoch, /^[0-9a-f-]{36}$/);
  const byMarker = new Map(bodies.map((b) => [b.message.server_info.marker, b]));
  const fromBrowser = byMarker.get(report.marker!);
  assert.ok(fromBrowser);
  assert.equal(fromBrowser.app, '1');
  assert.deepEqual(fromBrowser.message.data, { text: 'from a browser — привет <b>' });
  assert.equal(fromBrowser.message.server_info.pipe, 'web_chat');
  const fromBackend = byMarker.get(backend.body.marker as number);
  assert.ok(fromBackend);
  assert.equal(fromBackend.message.server_info.event, 'userLogin');
  // Another app's secret does not verify it.
  assert.ok(!signed('not-the-secret', hook.hits[0]));
  // The PHP recipe of docs/http-api.md accepts it, and refuses a wrong secret.
  assert.equal(phpVerifies(comet.app1Secret, hook.hits[0]), 'valid');
  assert.equal(phpVerifies('not-the-secret', hook.hits[0]), 'invalid');
  // A captured request replayed later with a fresh timestamp no longer matches its signature.
  assert.equal(
    phpVerifies(comet.app1Secret, { ...hook.hits[0], timestamp: String(Math.floor(Date.now() / 1000) + 60) }),
    'invalid',
  );
  // And an old timestamp is refused by the recipe's freshness check.
  assert.equal(phpVerifies(comet.app1Secret, hook.hits[0], Number(hook.hits[0].timestamp) + 600), 'stale');
});

/** The verification lines of the documented PHP snippet, fed the raw body on stdin. */
function phpVerifies(secret: string, hit: Hit, now = Math.floor(Date.now() / 1000)): string {
  const code = `
    $secret = getenv('COMET_SECRET');
    $body = file_get_contents('php://stdin');
    $timestamp = getenv('HTTP_X_COMET_TIMESTAMP') ?: '';
    $expected = 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $secret);
    $given = getenv('HTTP_X_COMET_SIGNATURE') ?: '';
    if (!hash_equals($expected, $given)) { echo 'invalid'; exit; }
    echo abs((int)getenv('NOW') - (int)$timestamp) > 300 ? 'stale' : 'valid';`;
  const run = spawnSync('php', ['-r', code], {
    input: hit.body,
    env: {
      ...process.env,
      COMET_SECRET: secret,
      HTTP_X_COMET_SIGNATURE: hit.signature,
      HTTP_X_COMET_TIMESTAMP: hit.timestamp,
      NOW: String(now),
    },
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

test('the webhook is told of edits, deletions and reactions, each with its type', async () => {
  const { hook, comet, sockets } = await setup(() => 204);
  const browser = (await connect(comet.url, { dev_id: '1' }, sockets)).socket;
  const { marker } = await browser.emitWithAck('publish', { pipe: 'web_life', data: { text: 'first' } });
  const pipe = 'web_life';
  assert.equal((await browser.emitWithAck('edit', { pipe, marker, data: { text: 'second' } })).error, '');
  assert.equal((await browser.emitWithAck('react', { pipe, marker, emoji: '👍', on: true })).error, '');
  assert.equal((await browser.emitWithAck('react', { pipe, marker, emoji: '👍', on: false })).error, '');
  assert.equal((await browser.emitWithAck('delete', { pipe, marker })).error, '');

  await hook.hitCount(5);
  for (const hit of hook.hits) assert.ok(signed(comet.app1Secret, hit));
  const bodies = hook.hits.map((h) => JSON.parse(h.body) as Record<string, unknown> & { type: string });
  assert.deepEqual(
    bodies.map((b) => b.type),
    ['message.published', 'message.edited', 'reaction.added', 'reaction.removed', 'message.deleted'],
  );
  const [published, edited, added, removed, deleted] = bodies;
  assert.equal((published.message as IncomingMessage).server_info.marker, marker);
  const after = edited.message as IncomingMessage;
  assert.deepEqual(after.data, { text: 'second' });
  assert.equal(typeof after.server_info.edited, 'number');
  assert.equal(after.server_info.marker, marker);
  assert.deepEqual(added.reaction, { pipe, marker, emoji: '👍', count: 1, on: true, user_id: 0 });
  assert.deepEqual(removed.reaction, { pipe, marker, emoji: '👍', count: 0, on: false, user_id: 0 });
  assert.deepEqual(deleted.deleted, { pipe, marker, tombstone: true });
  assert.equal(new Set(bodies.map((b) => b.epoch)).size, 1);
});

test('a webhook answering 500 gets the same message again', async () => {
  const { hook, api } = await setup((n) => (n === 1 ? 500 : 200));
  const { marker } = (await api('POST', '/pipes/web_retry/messages', { data: 'again' })).body as { marker: number };
  await hook.hitCount(2);
  assert.equal(hook.hits[0].body, hook.hits[1].body);
  assert.equal((JSON.parse(hook.hits[1].body) as { message: IncomingMessage }).message.server_info.marker, marker);
});

test('a webhook given up on is logged without its query, which may hold a token', async () => {
  const hook = await receiver(() => 400);
  cleanups.push(hook.close);
  const { logger, lines, logged } = infoLog();
  const comet = await startServer({ apps: [APP1_ON_LOOPBACK], logger });
  cleanups.push(() => comet.close());
  await comet.core.setWebhook('1', `${hook.url}?token=hook-token-123`);
  await comet.core.publish('1', 'web_refused', undefined, 1);
  await logged;
  assert.deepEqual(lines, [`webhook of app 1 gave up on ${hook.url}: HTTP 400`]);
});

test('a dead webhook never blocks delivery', async () => {
  const { hook, comet, api, sockets } = await setup(() => 'hang');
  const sender = (await connect(comet.url, { dev_id: '1' }, sockets)).socket;
  const reader = (await connect(comet.url, { dev_id: '1' }, sockets)).socket;
  await subscribe(reader, ['web_dead']);
  for (let i = 1; i <= 10; i++) {
    const got = next(reader, 'message');
    const report = await sender.emitWithAck('publish', { pipe: 'web_dead', data: i });
    assert.equal(report.error, '');
    assert.equal(report.number_messages, 1);
    assert.equal((await got).data, i);
  }
  const got = next(reader, 'message');
  const res = await api('POST', '/pipes/web_dead/messages', { data: 'backend' });
  assert.equal(res.status, 200);
  assert.equal((await got).data, 'backend');
  assert.ok(hook.hits.length >= 1, 'the webhook was called and is hanging');
});

test("one tenant's hanging webhook does not delay another tenant's", { timeout: 20_000 }, async () => {
  let requests = 0;
  let aborted = 0;
  const hanging = await listen((_req, res) => {
    requests += 1;
    res.on('close', () => (aborted += res.writableEnded ? 0 : 1));
  });
  cleanups.push(hanging.close);
  const calm = await receiver(() => 204);
  cleanups.push(calm.close);
  const comet = await startServer({
    apps: [APP1_ON_LOOPBACK, { id: '2', secret: APP2_SECRET, allowPrivateWebhooks: true }],
  });
  cleanups.push(() => comet.close());
  await comet.core.setWebhook('1', hanging.url);
  await comet.core.setWebhook('2', calm.url);
  for (let i = 1; i <= 8; i++) await comet.core.publish('1', 'web_busy', undefined, i);
  const { marker } = await comet.core.publish('2', 'web_calm', undefined, 'not stuck behind app 1');
  await calm.hitCount(1);
  assert.equal((JSON.parse(calm.hits[0].body) as { message: IncomingMessage }).message.server_info.marker, marker);
  assert.equal(aborted, 0, "app 2's message went before any of app 1's requests timed out");
  assert.ok(requests <= 4, `app 1 holds at most its own 4 requests (${requests})`);
});

test('a webhook may not target internal addresses unless the server config allows the app them', async () => {
  const comet = await startServer({ apps: [{ id: '2', secret: APP2_SECRET, allowPrivateWebhooks: true }] });
  cleanups.push(() => comet.close());
  const api = apiClient(comet.url, comet.app1Secret);
  for (const url of [
    'http://127.0.0.1:6379/',
    'http://[::1]:6379/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0:8080/',
    'http://[::ffff:127.0.0.1]/hook',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://10.0.0.8/hook?token=abc',
    'http://localhost:3000/',
  ]) {
    const res = await api('PUT', '/webhook', { url });
    assert.equal(res.status, 400, url);
    assert.equal(res.body.error, 'invalid');
    assert.match(
      String(res.body.message),
      /^the webhook may not target \S+, an? [\w ()-]+ (address|name) \(allowPrivateWebhooks/,
      url,
    );
    assert.ok(!String(res.body.message).includes('token=abc'));
  }
  assert.deepEqual((await api('GET', '/webhook')).body, { url: null });
  const app2 = apiClient(comet.url, APP2_SECRET, '2');
  assert.equal(
    (await app2('PUT', '/webhook', { url: 'http://127.0.0.1:6379/' })).status,
    200,
    'app 2 is allowed private targets',
  );
});

test('a webhook stored before the address rule is checked again when connecting: nothing reaches a loopback name', async () => {
  const hook = await receiver(() => 204);
  cleanups.push(hook.close);
  const dir = mkdtempSync(join(tmpdir(), 'comet-hook-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // What an earlier version let a tenant store: a name that resolves to this machine.
  const stored = new SqliteStore(join(dir, 'comet.db'));
  await stored.setWebhook('1', hook.url.replace('127.0.0.1', 'localhost'));
  await stored.close();
  const { logger, lines, logged } = infoLog();
  const comet = await startServer({ memory: false, dataDir: dir, logger });
  cleanups.push(() => comet.close());
  await comet.core.publish('1', 'web_internal', undefined, 'for the LAN');
  await Promise.race([logged, hook.hitCount(1)]);
  assert.equal(hook.hits.length, 0, 'nothing reached the receiver');
  assert.match(
    lines[0],
    /^webhook of app 1 gave up on http:\/\/localhost:\d+\/hook: refused target: localhost resolves to (127\.0\.0\.1|::1), a loopback address$/,
  );
  assert.match(comet.metrics.render(), /comet_errors_total\{code="webhook_refused"\} 1\n/);
});
