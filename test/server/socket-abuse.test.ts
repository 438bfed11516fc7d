/**
 * What one anonymous client can make the server do: history priced by bytes, a connection that does
 * not read, floods of requests and of handshakes, presence notices, storage. Real sockets on loopback;
 * other loopback addresses (127.0.0.2…) stand for other clients; the server's clock is the test's.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import type { CometServer } from '../../src/server/index.js';
import { testClock, type TestClock } from '../fixtures/test-clock.js';
import { serverPerTest } from '../fixtures/server.js';
import { connect, disconnected, nextEvent, request, subscribe, type Client } from './socket-helpers.js';

const opened: { clients: Client[]; sockets: Socket[] } = { clients: [], sockets: [] };
after(async () => {
  opened.clients.forEach((c) => c.close());
  opened.sockets.forEach((s) => s.close());
});

const serve = serverPerTest();

async function client(server: CometServer, from?: string): Promise<Client> {
  const c = await connect(server, { dev_id: '1' }, from ? { from } : {});
  opened.clients.push(c);
  return c;
}

/** Can a new connection from `from` be made now? */
const admitted = (server: CometServer, from: string) =>
  connect(server, { dev_id: '1' }, { from }).then(
    (c) => {
      c.close();
      return true;
    },
    () => false,
  );

async function metric(server: CometServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

/** The client's TCP socket stops being read: what the server sends piles up in kernel buffers, then in the server. */
function stopReading(c: Client): void {
  const engine = (c.socket.io as unknown as { engine: { transport: { ws: { _socket: NetSocket } } } }).engine;
  engine.transport.ws._socket.pause();
}

const until = async (check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('history is priced by bytes', { timeout: 30_000 }, () => {
  it('cuts an answer at maxReplyBytes with `more`, and refuses once the connection spent its reply budget', async () => {
    const clock = testClock();
    const server = await serve({
      clock: clock.now,
      limits: { maxReplyBytes: 50_000, replyBytes: { burst: 120_000, perSecond: 10_000 } },
    });
    for (let i = 0; i < 20; i++) await server.core.publish('1', 'web_amp', undefined, { text: 'x'.repeat(10_000), i });
    const c = await client(server);
    const first = await request<{ error: string; messages: unknown[]; more?: boolean }>(c, 'history', {
      pipe: 'web_amp',
      limit: 200,
    });
    assert.equal(first.error, '');
    assert.equal(first.more, true);
    assert.ok(first.messages.length >= 4 && first.messages.length <= 5, `${first.messages.length} messages`);
    // 120 kB of budget: two more full answers fit (the last one goes into debt), then nothing until it refills.
    assert.equal((await request(c, 'history', { pipe: 'web_amp', limit: 200 })).error, '');
    assert.equal((await request(c, 'history', { pipe: 'web_amp', limit: 200 })).error, '');
    const refused = await request<{ error: string; message: string }>(c, 'history', { pipe: 'web_amp', limit: 200 });
    assert.equal(refused.error, 'rate_limited');
    assert.match(refused.message, /bytes per second/);
    clock.advance(10_000);
    assert.equal((await request(c, 'history', { pipe: 'web_amp', limit: 200 })).error, '');
    // A small page is cheap: a client that asks for what it shows is never refused.
    assert.equal(
      (await request<{ messages: unknown[] }>(c, 'history', { pipe: 'web_amp', limit: 1 })).messages.length,
      1,
    );
  });
});

describe('a connection that does not read', { timeout: 30_000 }, () => {
  /** A server whose clock the test moves, with a small output budget and nothing else in the way. */
  async function budgetServer(clock: TestClock) {
    return serve({
      clock: clock.now,
      limits: {
        outputBytes: 300_000,
        slowConsumerMs: 5000,
        maxReplyBytes: 100_000,
        replyBytes: { burst: 1e9, perSecond: 1e9 },
        requests: { burst: 1e6, perSecond: 1e6 },
      },
    });
  }

  it('is held to its output budget, then cut off after slowConsumerMs, dropping what waited for it', async () => {
    const clock = testClock();
    const server = await budgetServer(clock);
    const reader = await client(server);
    await subscribe(reader, 'web_live');
    stopReading(reader);
    // Live messages pile up: first in the kernel's buffers (a few MB), then in the server, until over budget.
    for (let i = 0; (await metric(server, 'comet_output_slow_connections')) === 0; i++) {
      if (i > 2000) throw new Error('the reader never went over its budget');
      for (let k = 0; k < 5; k++) await server.core.publish('1', 'web_live', undefined, { text: 'x'.repeat(20_000) });
    }
    assert.ok((await metric(server, 'comet_output_pending_bytes')) > 300_000);
    // Within the grace period it stays: a slow network may catch up.
    clock.advance(4000);
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await metric(server, 'comet_connections'), 1);
    clock.advance(1000);
    await until(async () => (await metric(server, 'comet_connections')) === 0, 'the reader to be cut off');
    assert.equal(await metric(server, 'comet_output_pending_bytes'), 0);
    assert.match(await (await fetch(`${server.url}/metrics`)).text(), /comet_errors_total\{code="slow_consumer"\} 1/);
    // Not reading is not abuse: the address may connect again at once.
    assert.equal(await admitted(server, '127.0.0.1'), true);
  });

  it('over polling, one that stops polling is held to the same budget and cut off', async () => {
    const clock = testClock();
    const server = await budgetServer(clock);
    const reader = io(server.url, {
      transports: ['polling'],
      auth: { dev_id: '1' },
      forceNew: true,
      reconnection: false,
      // It never hears that it was cut off, and its close waits for a poll that never comes: its ping timer
      // (45 s) must not keep this file's process alive after the tests.
      autoUnref: true,
    });
    opened.sockets.push(reader);
    await new Promise<void>((resolve) => reader.once('auth', () => resolve()));
    const subscribed = (await reader.emitWithAck('subscribe', { pipes: ['web_polled'] })) as { error: string };
    assert.equal(subscribed.error, '');
    // The client stops polling (as it does before an upgrade), once its poll under way is answered: what is
    // sent next waits in the server.
    const engine = (reader.io as unknown as { engine: { transport: { pause(done: () => void): void } } }).engine;
    const paused = new Promise<void>((resolve) => engine.transport.pause(resolve));
    await server.core.publish('1', 'web_polled', undefined, { text: 'wake' });
    await paused;
    for (let i = 0; (await metric(server, 'comet_output_slow_connections')) === 0; i++) {
      if (i > 200) throw new Error('the reader never went over its budget');
      await server.core.publish('1', 'web_polled', undefined, { text: 'x'.repeat(20_000) });
    }
    assert.ok((await metric(server, 'comet_output_pending_bytes')) > 300_000);
    clock.advance(5000);
    await until(async () => (await metric(server, 'comet_connections')) === 0, 'the reader to be cut off');
    assert.equal(await metric(server, 'comet_output_pending_bytes'), 0);
  });

  it('asking for history it does not read: answers stop at its budget, refusals follow, and it is closed for flooding', async () => {
    const clock = testClock();
    const server = await budgetServer(clock);
    for (let i = 0; i < 100; i++) await server.core.publish('1', 'web_amp', undefined, { text: 'x'.repeat(20_000), i });
    const amplifier = await client(server, '127.0.0.5');
    stopReading(amplifier);
    // 30 MB asked for in one go (each answer is cut at 100 kB).
    let peak = 0;
    for (let i = 0; i < 300; i++) amplifier.socket.emit('history', { pipe: 'web_amp', limit: 200 }, () => undefined);
    await until(async () => {
      peak = Math.max(peak, await metric(server, 'comet_output_pending_bytes'));
      return (await metric(server, 'comet_connections')) === 0;
    }, 'the amplifier to be closed');
    // Over the budget by at most one answer (and the small refusals after it).
    assert.ok(peak <= 300_000 + 100_000 + 50_000, `peak ${peak}`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /comet_errors_total\{code="backpressure"\} \d+/);
    assert.match(text, /comet_errors_total\{code="flood"\} 1/);
    assert.equal(await metric(server, 'comet_output_pending_bytes'), 0);
    assert.equal(await admitted(server, '127.0.0.5'), false);
  });
});

describe('floods', { timeout: 30_000 }, () => {
  it('a client that keeps hitting limits is told why, disconnected, and its address refused for a while', async () => {
    const clock = testClock();
    const server = await serve({ clock: clock.now, limits: { strikes: 50, penaltyMs: 60_000 } });
    const [flooder, reader] = await Promise.all([client(server, '127.0.0.2'), client(server)]);
    await subscribe(reader, 'web_flood');
    const closing = nextEvent<{ reason: string; retry_after_ms: number }>(flooder, 'closing');
    const gone = disconnected(flooder);
    for (let i = 0; i < 500 && flooder.socket.connected; i++)
      flooder.socket.emit('publish', { pipe: 'web_flood', data: i }, () => undefined);
    assert.deepEqual(await closing, { reason: 'flood', retry_after_ms: 60_000 });
    assert.equal(await gone, 'io server disconnect');
    // The burst it was allowed went through; everything after was refused, and then nothing at all.
    assert.ok(reader.messages.length <= 20, `${reader.messages.length} delivered`);
    assert.equal(await admitted(server, '127.0.0.2'), false);
    assert.equal(await admitted(server, '127.0.0.1'), true);
    clock.advance(60_000);
    assert.equal(await admitted(server, '127.0.0.2'), true);
    // A second offence waits twice as long.
    const again = await client(server, '127.0.0.2');
    const second = nextEvent<{ retry_after_ms: number }>(again, 'closing');
    for (let i = 0; i < 500 && again.socket.connected; i++)
      again.socket.emit('presence', { pipe: 'web_flood' }, () => undefined);
    assert.equal((await second).retry_after_ms, 120_000);
  });

  it('an address may open only so many connections so fast, and hold only so many', async () => {
    const clock = testClock();
    const server = await serve({
      clock: clock.now,
      limits: { handshakes: { burst: 8, perSecond: 1 }, connectionsPerAddress: 5 },
    });
    const results: boolean[] = [];
    for (let i = 0; i < 12; i++) results.push(await admitted(server, '127.0.0.3'));
    assert.deepEqual(results, [...Array<boolean>(8).fill(true), ...Array<boolean>(4).fill(false)]);
    assert.equal(await admitted(server, '127.0.0.4'), true);
    clock.advance(60_000);
    const held = await Promise.all(Array.from({ length: 5 }, () => client(server, '127.0.0.3')));
    assert.equal(await admitted(server, '127.0.0.3'), false);
    held[0].close();
    await until(async () => (await metric(server, 'comet_connections')) === 4, 'the close to be seen');
    assert.equal(await admitted(server, '127.0.0.3'), true);
    assert.match(
      await (await fetch(`${server.url}/metrics`)).text(),
      /comet_errors_total\{code="address_handshakes"\} 4/,
    );
  });
});

describe('one limit model', { timeout: 30_000 }, () => {
  it('a configured publish rate is the rate: no other guard caps it', async () => {
    const server = await serve({ limits: { publish: { burst: 300, perSecond: 1000 } } });
    const c = await client(server);
    const reports = await Promise.all(
      Array.from({ length: 250 }, (_, i) => request<{ error: string }>(c, 'publish', { pipe: 'web_fast', data: i })),
    );
    assert.deepEqual(
      reports.filter((r) => r.error !== ''),
      [],
    );
  });

  it('other requests have their own configurable rate', async () => {
    const clock = testClock();
    const server = await serve({ clock: clock.now, limits: { requests: { burst: 3, perSecond: 1 } } });
    const c = await client(server);
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push((await request<{ error: string }>(c, 'presence', { pipe: 'web_x' })).error);
    assert.deepEqual(answers, ['', '', '', 'rate_limited']);
    assert.equal((await request<{ error: string }>(c, 'publish', { pipe: 'web_x', data: 1 })).error, '');
  });
});

describe('presence notices', { timeout: 30_000 }, () => {
  it('count against the sender: joining a track_ pipe costs a publish, leaving is charged too', async () => {
    const clock = testClock();
    const server = await serve({ clock: clock.now, limits: { publish: { burst: 4, perSecond: 1 } } });
    const [toggler, watcher] = await Promise.all([client(server), client(server)]);
    await subscribe(watcher, 'track_room');
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      answers.push((await request<{ error: string }>(toggler, 'subscribe', { pipes: ['track_room'] })).error);
      await request(toggler, 'unsubscribe', { pipes: ['track_room'] });
    }
    assert.deepEqual(answers.slice(0, 2), ['', '']);
    assert.ok(
      answers.slice(2).every((e) => e === 'rate_limited'),
      answers.join(),
    );
    await request(watcher, 'presence', { pipe: 'track_room' });
    assert.equal(watcher.messages.length, 4);
  });

  it('are never published for a banned user or connection', async () => {
    const server = await serve({});
    await server.core.setUserKey('1', 9, 'key9', 'Mallory');
    const [banned, watcher] = await Promise.all([
      connect(server, { dev_id: '1', user_id: 9, user_key: 'key9' }),
      client(server),
    ]);
    opened.clients.push(banned);
    await server.core.ban('1', { user_id: 9 });
    await subscribe(watcher, 'track_room');
    for (let i = 0; i < 10; i++) {
      assert.equal((await request<{ error: string }>(banned, 'subscribe', { pipes: ['track_room'] })).error, '');
      await request(banned, 'unsubscribe', { pipes: ['track_room'] });
    }
    await subscribe(banned, 'track_room');
    banned.close();
    await until(async () => (await metric(server, 'comet_connections')) === 1, 'the banned user to be gone');
    await request(watcher, 'presence', { pipe: 'track_room' });
    assert.deepEqual(watcher.messages, []);
  });
});

describe('storage an anonymous client can fill', { timeout: 30_000 }, () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const storage of ['memory', 'sqlite'] as const) {
    it(`stays within the app's quota of pipes and bytes (${storage})`, async () => {
      const dataDir = storage === 'sqlite' ? mkdtempSync(join(tmpdir(), 'comet-quota-')) : undefined;
      if (dataDir) dirs.push(dataDir);
      const server = await serve({
        ...(dataDir ? { memory: false, dataDir } : {}),
        limits: {
          publish: { burst: 1000, perSecond: 1000 },
          quota: { historyPipes: 5, historyBytes: 60_000, pipeHistoryBytes: 20_000 },
        },
      });
      const c = await client(server);
      for (let p = 0; p < 20; p++) {
        for (let i = 0; i < 5; i++)
          await request(c, 'publish', { pipe: `web_spam${p}`, data: { text: 'y'.repeat(5000), i } });
      }
      const { history, quota } = await server.core.usage('1');
      assert.deepEqual(quota, {
        historyPipes: 5,
        historyBytes: 60_000,
        pipeHistoryBytes: 20_000,
        reactionBytes: 16 * 1024,
        readersPerPipe: 1000,
      });
      assert.ok(history.pipes <= 5, `${history.pipes} pipes`);
      assert.ok(history.bytes <= 60_000, `${history.bytes} bytes`);
      // The newest pipe keeps what fits in its bytes, newest first; the oldest pipes are gone.
      assert.deepEqual(
        (await server.core.history('1', 'web_spam19')).map((m) => (m.data as { i: number }).i),
        [2, 3, 4],
      );
      assert.deepEqual(await server.core.history('1', 'web_spam0'), []);
      // A backend reads the same through /api/v1.
      const usage = await fetch(`${server.url}/api/v1/apps/1/usage`, {
        headers: { Authorization: `Bearer ${server.app1Secret}` },
      });
      assert.deepEqual(((await usage.json()) as { history: unknown }).history, history);
    });
  }
});
