import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage as HttpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import { WebhookDispatcher } from '../../src/server/core/webhook.js';
import { Metrics } from '../../src/server/metrics.js';

const SECRET = 'test-secret-of-app-1';

interface Received {
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  contentType: string | undefined;
}

/** A real webhook receiver on a loopback port; `answer` decides each response. */
async function receiver(answer: (n: number, res: ServerResponse) => void): Promise<{
  url: string;
  received: Received[];
  next: () => Promise<Received>;
  server: Server;
}> {
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server = createServer((req: HttpRequest, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        body: Buffer.concat(chunks).toString('utf8'),
        signature: req.headers['x-comet-signature'] as string | undefined,
        timestamp: req.headers['x-comet-timestamp'] as string | undefined,
        contentType: req.headers['content-type'],
      };
      received.push(r);
      answer(received.length, res);
      waiters.shift()?.(r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let seen = 0;
  const next = (): Promise<Received> =>
    seen < received.length ? Promise.resolve(received[seen++]!) : new Promise((resolve) => waiters.push((r) => (seen++, resolve(r))));
  return { url: `http://127.0.0.1:${port}/hook`, received, next, server };
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

function message(marker: number, data: unknown = { text: `hello ${marker}` }): IncomingMessage {
  return { data, server_info: { pipe: 'web_chat', event: 'undefined', user_id: 0, history: false, marker, time: Date.now() } };
}

const verify = (secret: string, r: Received): boolean =>
  r.signature === `sha256=${createHmac('sha256', secret).update(`${r.timestamp}.${r.body}`).digest('hex')}`;

test('each message is POSTed as signed JSON {app, message}', async () => {
  const hook = await receiver((_, res) => res.end('ok'));
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher((app) => (app === '1' ? SECRET : undefined), metrics);
  try {
    dispatcher.enqueue('1', hook.url, message(1, { text: 'привет <b>' }));
    const r = await hook.next();
    assert.equal(r.contentType, 'application/json');
    assert.ok(verify(SECRET, r), 'HMAC verifies with the app secret');
    assert.ok(!verify('another secret', r), 'and not with another one');
    assert.match(r.timestamp ?? '', /^\d{10}$/);
    const body = JSON.parse(r.body) as { app: string; message: IncomingMessage };
    assert.equal(body.app, '1');
    assert.deepEqual(body.message.data, { text: 'привет <b>' });
    assert.equal(body.message.server_info.marker, 1);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test('a 500 is retried until the receiver accepts', async () => {
  const hook = await receiver((n, res) => {
    res.statusCode = n < 3 ? 500 : 200;
    res.end();
  });
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher(() => SECRET, metrics, { baseDelayMs: 5 });
  try {
    dispatcher.enqueue('1', hook.url, message(42));
    const attempts = [await hook.next(), await hook.next(), await hook.next()];
    assert.ok(attempts.every((r) => r.body === attempts[0]!.body && verify(SECRET, r)), 'same signed body each time');
    await until(() => dispatcher.pending === 0);
    const text = metrics.render();
    assert.match(text, /comet_webhook_requests_total\{outcome="retried"\} 2\n/);
    assert.match(text, /comet_webhook_requests_total\{outcome="sent"\} 1\n/);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test('gives up after maxAttempts, and a 4xx refusal is not retried', async () => {
  const hook = await receiver((_, res) => {
    res.statusCode = 500;
    res.end();
  });
  const refusing = await receiver((_, res) => {
    res.statusCode = 400;
    res.end();
  });
  const gaveUp: string[] = [];
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher(() => SECRET, metrics, {
    baseDelayMs: 1,
    maxAttempts: 3,
    onGiveUp: (_app, url, reason) => gaveUp.push(`${url === hook.url ? 'dead' : 'refusing'}: ${reason}`),
  });
  try {
    dispatcher.enqueue('1', hook.url, message(1));
    dispatcher.enqueue('1', refusing.url, message(2));
    await until(() => gaveUp.length === 2);
    assert.equal(hook.received.length, 3);
    assert.equal(refusing.received.length, 1);
    assert.deepEqual(gaveUp.sort(), ['dead: HTTP 500 after 3 attempts', 'refusing: HTTP 400']);
    assert.match(metrics.render(), /comet_errors_total\{code="webhook_failed"\} 2\n/);
  } finally {
    await dispatcher.close();
    await close(hook.server);
    await close(refusing.server);
  }
});

test('a hanging receiver never blocks enqueue, and a full queue drops its oldest', async () => {
  let release: () => void = () => undefined;
  const hook = await receiver((n, res) => {
    if (n === 1) release = () => res.end();
    else res.end();
  });
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher(() => SECRET, metrics, { concurrency: 1, maxQueue: 3, timeoutMs: 60_000 });
  try {
    dispatcher.enqueue('1', hook.url, message(1));
    await hook.next(); // the first request now hangs in flight
    for (let m = 2; m <= 10; m++) dispatcher.enqueue('1', hook.url, message(m));
    assert.equal(dispatcher.pending, 4, 'one in flight + a queue of 3');
    assert.match(metrics.render(), /comet_webhook_requests_total\{outcome="dropped"\} 6\n/);
    assert.match(metrics.render(), /comet_errors_total\{code="webhook_dropped"\} 6\n/);
    release();
    await until(() => dispatcher.pending === 0);
    const markers = hook.received.map((r) => (JSON.parse(r.body) as { message: IncomingMessage }).message.server_info.marker);
    assert.deepEqual(markers, [1, 8, 9, 10]);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test('close() aborts a request in flight and refuses new messages', async () => {
  const hook = await receiver(() => undefined); // never answers
  const dispatcher = new WebhookDispatcher(() => SECRET, undefined, { timeoutMs: 60_000 });
  dispatcher.enqueue('1', hook.url, message(1));
  await hook.next();
  assert.equal(dispatcher.pending, 1);
  await dispatcher.close();
  assert.equal(dispatcher.pending, 0);
  dispatcher.enqueue('1', hook.url, message(2));
  assert.equal(dispatcher.pending, 0);
  await close(hook.server);
});

test('an unreachable receiver is retried, then given up on', async () => {
  const hook = await receiver((_, res) => res.end());
  const deadUrl = hook.url;
  await close(hook.server); // nothing listens there any more
  const reasons: string[] = [];
  const dispatcher = new WebhookDispatcher(() => SECRET, undefined, {
    baseDelayMs: 1,
    maxAttempts: 2,
    onGiveUp: (_a, _u, reason) => reasons.push(reason),
  });
  try {
    dispatcher.enqueue('1', deadUrl, message(1));
    await until(() => reasons.length === 1);
    assert.match(reasons[0]!, /after 2 attempts/);
  } finally {
    await dispatcher.close();
  }
});

test('messages of an app without a secret are not sent', async () => {
  const hook = await receiver((_, res) => res.end());
  const reasons: string[] = [];
  const dispatcher = new WebhookDispatcher(() => undefined, undefined, { onGiveUp: (_a, _u, r) => reasons.push(r) });
  try {
    dispatcher.enqueue('gone', hook.url, message(1));
    await until(() => reasons.length === 1);
    assert.deepEqual(reasons, ['unknown app']);
    assert.equal(hook.received.length, 0);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

/** Polls a condition (the dispatcher has no completion event by design: it is fire-and-forget). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
