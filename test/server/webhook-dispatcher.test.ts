import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage as HttpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import {
  WebhookDispatcher,
  type WebhookApp,
  type WebhookEvent,
  type WebhookTimers,
} from '../../src/server/core/webhook.js';
import { Metrics } from '../../src/server/metrics.js';

const SECRET = 'test-secret-of-app-1';
/** The receivers below listen on loopback, which an app must be allowed explicitly. */
const LOOPBACK_APP: WebhookApp = { secret: SECRET, allowPrivateWebhooks: true };

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
    seen < received.length
      ? Promise.resolve(received[seen++])
      : new Promise((resolve) => waiters.push((r) => (seen++, resolve(r))));
  return { url: `http://127.0.0.1:${port}/hook`, received, next, server };
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

function message(marker: number, data: unknown = { text: `hello ${marker}` }): WebhookEvent {
  const published: IncomingMessage = {
    data,
    server_info: { pipe: 'web_chat', event: 'undefined', user_id: 0, history: false, marker, time: Date.now() },
  };
  return { type: 'message.published', message: published };
}

const verify = (secret: string, r: Received): boolean =>
  r.signature === `sha256=${createHmac('sha256', secret).update(`${r.timestamp}.${r.body}`).digest('hex')}`;

test('each message is POSTed as signed JSON {app, epoch, message}', async () => {
  const hook = await receiver((_, res) => res.end('ok'));
  const metrics = new Metrics();
  // The signed timestamp is the server's clock (seconds), not the machine's.
  const dispatcher = new WebhookDispatcher((app) => (app === '1' ? LOOPBACK_APP : undefined), metrics, {
    clock: () => 1_700_000_000_999,
  });
  try {
    dispatcher.enqueue('1', hook.url, message(1, { text: 'привет <b>' }), 'E1');
    const r = await hook.next();
    assert.equal(r.contentType, 'application/json');
    assert.ok(verify(SECRET, r), 'HMAC verifies with the app secret');
    assert.ok(!verify('another secret', r), 'and not with another one');
    assert.equal(r.timestamp, '1700000000');
    const body = JSON.parse(r.body) as { app: string; epoch: string; message: IncomingMessage };
    assert.equal(body.app, '1');
    assert.equal(body.epoch, 'E1');
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
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, metrics, { baseDelayMs: 5 });
  try {
    dispatcher.enqueue('1', hook.url, message(42), 'E1');
    const attempts = [await hook.next(), await hook.next(), await hook.next()];
    assert.ok(
      attempts.every((r) => r.body === attempts[0].body && verify(SECRET, r)),
      'same signed body each time',
    );
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
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, metrics, {
    baseDelayMs: 1,
    maxAttempts: 3,
    onGiveUp: (_app, url, reason) => gaveUp.push(`${url === hook.url ? 'dead' : 'refusing'}: ${reason}`),
  });
  try {
    dispatcher.enqueue('1', hook.url, message(1), 'E1');
    dispatcher.enqueue('1', refusing.url, message(2), 'E1');
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
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, metrics, {
    concurrency: 1,
    maxQueue: 3,
    timeoutMs: 60_000,
  });
  try {
    dispatcher.enqueue('1', hook.url, message(1), 'E1');
    await hook.next(); // the first request now hangs in flight
    for (let m = 2; m <= 10; m++) dispatcher.enqueue('1', hook.url, message(m), 'E1');
    assert.equal(dispatcher.pending, 4, 'one in flight + a queue of 3');
    assert.match(metrics.render(), /comet_webhook_requests_total\{outcome="dropped"\} 6\n/);
    assert.match(metrics.render(), /comet_errors_total\{code="webhook_dropped"\} 6\n/);
    release();
    await until(() => dispatcher.pending === 0);
    const markers = hook.received.map(
      (r) => (JSON.parse(r.body) as { message: IncomingMessage }).message.server_info.marker,
    );
    assert.deepEqual(markers, [1, 8, 9, 10]);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test('close() aborts a request in flight and refuses new messages', async () => {
  const hook = await receiver(() => undefined); // never answers
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, undefined, { timeoutMs: 60_000 });
  dispatcher.enqueue('1', hook.url, message(1), 'E1');
  await hook.next();
  assert.equal(dispatcher.pending, 1);
  await dispatcher.close();
  assert.equal(dispatcher.pending, 0);
  dispatcher.enqueue('1', hook.url, message(2), 'E1');
  assert.equal(dispatcher.pending, 0);
  await close(hook.server);
});

test('an unreachable receiver is retried, then given up on', async () => {
  const hook = await receiver((_, res) => res.end());
  const deadUrl = hook.url;
  await close(hook.server); // nothing listens there any more
  const reasons: string[] = [];
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, undefined, {
    baseDelayMs: 1,
    maxAttempts: 2,
    onGiveUp: (_a, _u, reason) => reasons.push(reason),
  });
  try {
    dispatcher.enqueue('1', deadUrl, message(1), 'E1');
    await until(() => reasons.length === 1);
    assert.match(reasons[0], /after 2 attempts/);
  } finally {
    await dispatcher.close();
  }
});

test('messages of an app without a secret are not sent', async () => {
  const hook = await receiver((_, res) => res.end());
  const reasons: string[] = [];
  const dispatcher = new WebhookDispatcher(() => undefined, undefined, { onGiveUp: (_a, _u, r) => reasons.push(r) });
  try {
    dispatcher.enqueue('gone', hook.url, message(1), 'E1');
    await until(() => reasons.length === 1);
    assert.deepEqual(reasons, ['unknown app']);
    assert.equal(hook.received.length, 0);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

/** Timers that fire only when the test moves time on: retries, timeouts and cool-downs on demand. */
class ManualTimers implements WebhookTimers {
  private now = 0;
  private pending: { at: number; fn: () => void }[] = [];

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.now + ms, fn };
    this.pending.push(timer);
    return () => {
      this.pending = this.pending.filter((t) => t !== timer);
    };
  }

  /** Moves time on by `ms`, firing what falls due, earliest first. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = this.pending.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.pending = this.pending.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = until;
  }
}

const markerOf = (r: Received): number =>
  (JSON.parse(r.body) as { message: IncomingMessage }).message.server_info.marker;

test(
  'an app whose receiver hangs delays only itself: every app has its own requests in flight',
  { timeout: 10_000 },
  async () => {
    const hanging = await receiver(() => undefined);
    const fast = await receiver((_, res) => res.end());
    const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, undefined, {
      concurrency: 2,
      timers: new ManualTimers(),
    });
    try {
      for (let m = 1; m <= 5; m++) dispatcher.enqueue('slow', hanging.url, message(m), 'E1');
      await hanging.next();
      await hanging.next();
      dispatcher.enqueue('quick', fast.url, message(100), 'E1');
      assert.equal(markerOf(await fast.next()), 100, 'delivered while the other app hangs');
      assert.equal(hanging.received.length, 2, 'the hanging app is held to its own 2 requests');
      await until(() => dispatcher.backlog().apps === 1); // the quick app is done, and forgotten
      assert.deepEqual(dispatcher.backlog(), {
        apps: 1,
        messages: 3,
        bytes: dispatcher.backlog().bytes,
        inFlight: 2,
        openBreakers: 0,
      });
    } finally {
      await dispatcher.close();
      await close(hanging.server);
      await close(fast.server);
    }
  },
);

test("messages between retries count against the app's queue bounds too", async () => {
  const held: (() => void)[] = [];
  const failing = await receiver((_, res) => held.push(() => res.writeHead(500).end()));
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, metrics, {
    concurrency: 2,
    maxQueue: 3,
    timers: new ManualTimers(),
  });
  try {
    for (let m = 1; m <= 5; m++) dispatcher.enqueue('1', failing.url, message(m), 'E1');
    await until(() => held.length === 2);
    assert.deepEqual([dispatcher.backlog().inFlight, dispatcher.backlog().messages], [2, 3]);
    // Both fail and wait to be retried: they join the three waiting, and the bound holds.
    held.splice(0).forEach((answer) => answer());
    await until(() => held.length === 2);
    // Room was made for them by dropping the oldest waiting: never more than three wait besides those in flight.
    assert.equal(dispatcher.backlog().inFlight, 2);
    assert.ok(dispatcher.backlog().messages <= 3, `${dispatcher.backlog().messages} waiting`);
    assert.match(metrics.render(), /comet_webhook_requests_total\{outcome="dropped"\} [12]\n/);
  } finally {
    held.forEach((answer) => answer());
    await dispatcher.close();
    await close(failing.server);
  }
});

test('many hanging apps together never have more requests in flight than the global cap', async () => {
  let open = 0;
  let most = 0;
  const hanging = await receiver((_, res) => {
    open += 1;
    most = Math.max(most, open);
    res.on('close', () => (open -= 1));
  });
  const timers = new ManualTimers();
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, undefined, {
    concurrency: 2,
    maxInFlight: 3,
    timeoutMs: 1000,
    timers,
  });
  try {
    for (const app of ['a', 'b', 'c', 'd'])
      for (let m = 1; m <= 2; m++) dispatcher.enqueue(app, hanging.url, message(m), 'E1');
    await until(() => hanging.received.length === 3);
    assert.equal(dispatcher.backlog().inFlight, 3);
    timers.advance(1000); // the three time out; three of the waiting ones go next
    await until(() => hanging.received.length === 6);
    assert.equal(dispatcher.backlog().inFlight, 3);
    assert.equal(most, 3);
  } finally {
    await dispatcher.close();
    await close(hanging.server);
  }
});

test("an app's breaker opens after consecutive failures, holds its messages, and a probe closes it", async () => {
  let down = true;
  const hook = await receiver((_, res) => {
    res.statusCode = down ? 503 : 200;
    res.end();
  });
  const timers = new ManualTimers();
  const metrics = new Metrics();
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, metrics, {
    concurrency: 1,
    maxAttempts: 10,
    baseDelayMs: 100,
    breakerThreshold: 3,
    breakerCooldownMs: 10_000,
    timers,
  });
  const settled = (hits: number) => until(() => hook.received.length === hits && dispatcher.backlog().inFlight === 0);
  try {
    dispatcher.enqueue('a', hook.url, message(1), 'E1');
    await settled(1);
    timers.advance(150); // first retry: 50-150 ms
    await settled(2);
    assert.equal(dispatcher.backlog().openBreakers, 0, 'two failures are not enough');
    timers.advance(300); // second retry: 100-300 ms
    await settled(3);
    assert.equal(dispatcher.backlog().openBreakers, 1, 'the third failure in a row opens it');
    assert.match(metrics.render(), /comet_webhook_breaker_opened_total\{app="a"\} 1\n/);

    // Open: new messages and due retries are held, nothing is sent.
    dispatcher.enqueue('a', hook.url, message(2), 'E1');
    dispatcher.enqueue('a', hook.url, message(3), 'E1');
    timers.advance(600);
    assert.equal(dispatcher.backlog().inFlight, 0);
    assert.equal(dispatcher.backlog().messages, 3);
    assert.match(metrics.render(), /comet_webhook_open_breakers 1\n/);

    // After the cool-down one probe goes; it fails, so the breaker opens again.
    timers.advance(10_000);
    assert.equal(dispatcher.backlog().inFlight, 1, 'exactly one probe');
    await settled(4);
    assert.equal(dispatcher.backlog().openBreakers, 1);
    timers.advance(9_999);
    assert.equal(dispatcher.backlog().inFlight, 0, 'a full cool-down again');

    // The receiver is back: the next probe succeeds and every held message follows.
    down = false;
    timers.advance(1);
    assert.equal(dispatcher.backlog().inFlight, 1);
    await until(() => dispatcher.pending === 0);
    const delivered = hook.received.slice(4).map(markerOf).sort();
    assert.deepEqual(delivered, [1, 2, 3], 'nothing was lost while the breaker was open');
    assert.equal(hook.received.length, 7);
    assert.match(metrics.render(), /comet_webhook_breaker_opened_total\{app="a"\} 1\n/);
    assert.match(metrics.render(), /comet_webhook_open_breakers 0\n/);
    assert.equal(dispatcher.backlog().apps, 0, 'an idle app holds no state');
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test("an app's queue is bounded in bytes as well as in messages, dropping its oldest, and freed when drained", async () => {
  let release: () => void = () => undefined;
  const hook = await receiver((n, res) => {
    if (n === 1) release = () => res.end();
    else res.end();
  });
  const metrics = new Metrics();
  const big = (m: number) => message(m, 'x'.repeat(10_000));
  const size = Buffer.byteLength(JSON.stringify({ app: 'a', epoch: 'E1', message: big(10) }));
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, metrics, {
    concurrency: 1,
    maxQueue: 100,
    maxQueueBytes: size * 3,
    timers: new ManualTimers(),
  });
  try {
    dispatcher.enqueue('a', hook.url, big(1), 'E1');
    await hook.next(); // in flight, hanging
    for (let m = 10; m <= 17; m++) dispatcher.enqueue('a', hook.url, big(m), 'E1');
    const held = dispatcher.backlog();
    assert.equal(held.messages, 3, 'three bodies fit in the bytes');
    assert.ok(held.bytes <= size * 3);
    assert.match(metrics.render(), /comet_webhook_requests_total\{outcome="dropped"\} 5\n/);
    assert.match(metrics.render(), /comet_webhook_queued_bytes \d+\n/);
    dispatcher.enqueue('a', hook.url, message(99, 'x'.repeat(size * 4)), 'E1');
    assert.match(
      metrics.render(),
      /comet_webhook_requests_total\{outcome="dropped"\} 6\n/,
      'a body larger than the queue is dropped alone',
    );
    assert.equal(dispatcher.backlog().messages, 3);
    release();
    await until(() => dispatcher.pending === 0);
    assert.deepEqual(hook.received.map(markerOf), [1, 15, 16, 17]);
    assert.deepEqual(dispatcher.backlog(), { apps: 0, messages: 0, bytes: 0, inFlight: 0, openBreakers: 0 });
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test('no request reaches a refused address, whether written in the URL or resolved from a name', async () => {
  const hook = await receiver((_, res) => res.end());
  const port = new URL(hook.url).port;
  const reasons: string[] = [];
  const metrics = new Metrics();
  const publicOnly: WebhookApp = { secret: SECRET };
  const dispatcher = new WebhookDispatcher((app) => (app === 'lan' ? LOOPBACK_APP : publicOnly), metrics, {
    onGiveUp: (_a, _u, reason) => reasons.push(reason),
  });
  try {
    // As stored by a version without the rule: literal forms, and a name that resolves to loopback.
    const urls = [
      `http://127.0.0.1:${port}/hook`,
      `http://2130706433:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://localhost:${port}/hook`,
    ];
    for (const url of urls) dispatcher.enqueue('tenant', url, message(1), 'E1');
    await until(() => reasons.length + hook.received.length === urls.length);
    assert.equal(hook.received.length, 0, 'nothing was sent');
    assert.ok(
      reasons.every((r) => r.startsWith('refused target: ')),
      reasons.join('\n'),
    );
    assert.ok(
      reasons.some((r) => /localhost resolves to (127\.0\.0\.1|::1), a loopback address/.test(r)),
      reasons.join('\n'),
    );
    assert.match(metrics.render(), /comet_errors_total\{code="webhook_refused"\} 4\n/);
    // The same name for an app allowed private targets is delivered, over the same dispatcher.
    dispatcher.enqueue('lan', `http://localhost:${port}/hook`, message(2), 'E1');
    assert.equal(markerOf(await hook.next()), 2);
  } finally {
    await dispatcher.close();
    await close(hook.server);
  }
});

test('a redirect is never followed', async () => {
  const elsewhere = await receiver((_, res) => res.end());
  const hook = await receiver((_, res) => {
    res.writeHead(307, { Location: elsewhere.url });
    res.end();
  });
  const reasons: string[] = [];
  const dispatcher = new WebhookDispatcher(() => LOOPBACK_APP, undefined, {
    onGiveUp: (_a, _u, reason) => reasons.push(reason),
  });
  try {
    dispatcher.enqueue('1', hook.url, message(1), 'E1');
    await until(() => reasons.length === 1);
    assert.deepEqual(reasons, ['HTTP 307']);
    assert.equal(elsewhere.received.length, 0);
  } finally {
    await dispatcher.close();
    await close(hook.server);
    await close(elsewhere.server);
  }
});

/** Polls a condition (the dispatcher has no completion event by design: it is fire-and-forget). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
