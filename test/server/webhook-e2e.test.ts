/**
 * The webhook end to end: a real server, a real local HTTP receiver that checks the signature
 * with the app secret, browsers publishing through socket.io-client.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { IncomingMessage as HttpRequest } from 'node:http';
import { afterEach, test } from 'node:test';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import { apiClient, type Client, connect, listen, next, startServer, subscribe } from './http-helpers.js';

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
    hits.push({ body, signature: String(req.headers['x-comet-signature']), timestamp: String(req.headers['x-comet-timestamp']) });
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

const signed = (secret: string, hit: Hit): boolean =>
  hit.signature === `sha256=${createHmac('sha256', secret).update(`${hit.timestamp}.${hit.body}`).digest('hex')}`;

async function setup(status: (n: number) => number | 'hang') {
  const hook = await receiver(status);
  cleanups.push(hook.close);
  const comet = await startServer();
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
  const report = await browser.emitWithAck('publish', { pipe: 'web_chat', data: { text: 'from a browser — привет <b>' } });
  assert.equal(report.error, '');
  const backend = await api('POST', '/pipes/loginPipe/messages', { event: 'userLogin', data: { name: 'Victor' } });

  await hook.hitCount(2);
  for (const hit of hook.hits) {
    assert.ok(signed(comet.app1Secret, hit), 'signed with the app secret');
    assert.match(hit.timestamp, /^\d{10}$/);
  }
  const bodies = hook.hits.map((h) => JSON.parse(h.body) as { app: string; message: IncomingMessage });
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
  assert.ok(!signed('not-the-secret', hook.hits[0]!));
  // The PHP recipe of docs/http-api.md accepts it, and refuses a wrong secret.
  assert.equal(phpVerifies(comet.app1Secret, hook.hits[0]!), 'valid');
  assert.equal(phpVerifies('not-the-secret', hook.hits[0]!), 'invalid');
  // A captured request replayed later with a fresh timestamp no longer matches its signature.
  assert.equal(phpVerifies(comet.app1Secret, { ...hook.hits[0]!, timestamp: String(Math.floor(Date.now() / 1000) + 60) }), 'invalid');
  // And an old timestamp is refused by the recipe's freshness check.
  assert.equal(phpVerifies(comet.app1Secret, hook.hits[0]!, Number(hook.hits[0]!.timestamp) + 600), 'stale');
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

test('a webhook answering 500 gets the same message again', async () => {
  const { hook, api } = await setup((n) => (n === 1 ? 500 : 200));
  const { marker } = (await api('POST', '/pipes/web_retry/messages', { data: 'again' })).body as { marker: number };
  await hook.hitCount(2);
  assert.equal(hook.hits[0]!.body, hook.hits[1]!.body);
  assert.equal((JSON.parse(hook.hits[1]!.body) as { message: IncomingMessage }).message.server_info.marker, marker);
});

test('a webhook given up on is logged without its query, which may hold a token', async () => {
  const hook = await receiver(() => 400);
  cleanups.push(hook.close);
  const lines: string[] = [];
  let loggedOne: () => void = () => undefined;
  const logged = new Promise<void>((resolve) => (loggedOne = resolve));
  const comet = await startServer({
    logger: {
      info: (line) => {
        lines.push(line);
        loggedOne();
      },
      error: () => undefined,
    },
  });
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
