import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as tick } from 'node:timers/promises';
import type { IncomingMessage } from '../../src/client/types.js';
import {
  APP,
  ClientPool,
  freePort,
  nextEvent,
  recordMessages,
  startServer,
  until,
  useServer,
  type CometServerHandle,
} from './helpers.js';

const PIPE = 'web_resume';

function markersOf(messages: IncomingMessage[]): number[] {
  return messages.map((m) => m.server_info.marker);
}

function assertStrictlyIncreasing(markers: number[]): void {
  for (let i = 1; i < markers.length; i++) {
    assert.ok(
      markers[i] > markers[i - 1],
      `marker ${markers[i]} after ${markers[i - 1]} at ${i}: out of order or repeated`,
    );
  }
}

describe('CometClient: reconnect and catch-up across a server restart (SQLite)', { timeout: 60_000 }, () => {
  const pool = new ClientPool();
  const dataDir = mkdtempSync(join(tmpdir(), 'comet-client-'));
  let port: number;
  let server: CometServerHandle | null = null;

  const sqliteServer = (p: number) => startServer({ memory: false, dataDir, port: p });

  before(async () => {
    port = await freePort();
  });
  after(async () => {
    pool.closeAll();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('messages sent while the client was away arrive once, in order, before new live ones', async () => {
    server = await sqliteServer(port);
    const url = server.url;
    const reader = pool.make(url);
    await reader.subscribe(PIPE);
    const got = recordMessages(reader);
    reader.connect();
    await reader.ready();
    // A message before the outage: the catch-up point.
    const first = await server.core.publish(APP, PIPE, undefined, { n: 0 });
    await until(reader, () => got.length === 1);

    const away = nextEvent(reader, 'status', (s) => s === 'reconnecting');
    await server.close();
    server = null;
    await away;

    // Meanwhile, on the same data, another node of life: a second server on another port takes
    // messages from a browser and from the backend, then goes away again.
    const elsewhere = await sqliteServer(0);
    const writer = await pool.connected(elsewhere.url);
    const sentMeanwhile: number[] = [];
    for (let n = 1; n <= 3; n++) sentMeanwhile.push((await writer.publish(PIPE, { n })).marker!);
    sentMeanwhile.push((await elsewhere.core.publish(APP, PIPE, 'notice', { n: 4 })).marker);
    writer.disconnect();
    await elsewhere.close();
    assert.equal(got.length, 1, 'nothing reached the reader while it was away');

    server = await sqliteServer(port);
    await nextEvent(reader, 'status', (s) => s === 'connected');
    await until(reader, () => got.length === 1 + sentMeanwhile.length);
    const live = await server.core.publish(APP, PIPE, undefined, { n: 5 });
    await until(reader, () => got.length === 2 + sentMeanwhile.length);

    assert.deepEqual(markersOf(got), [first.marker, ...sentMeanwhile, live.marker]);
    assert.deepEqual(
      got.map((m) => (m.data as { n: number }).n),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(
      got.slice(1, 5).every((m) => m.server_info.history === true),
      'the missed ones came from history',
    );
    assert.equal(got[5].server_info.history, false);
  });

  test('a burst published while the client reconnects is neither lost nor duplicated', async () => {
    assert.ok(server);
    const reader = pool.make(server.url);
    await reader.subscribe(PIPE);
    reader.connect();
    await reader.ready();
    const got = recordMessages(reader);

    const away = nextEvent(reader, 'status', (s) => s === 'reconnecting');
    await server.close();
    server = null;
    await away;
    server = await sqliteServer(port);

    // Publish continuously from before the reader is back until well after it has re-subscribed,
    // so the burst straddles re-subscribe, catch-up and live delivery.
    const sent: number[] = [];
    while (reader.status !== 'connected' && sent.length < 60) {
      sent.push((await server.core.publish(APP, PIPE, undefined, { burst: sent.length })).marker);
      await tick(5);
    }
    for (let i = 0; i < 15; i++) {
      sent.push((await server.core.publish(APP, PIPE, undefined, { burst: sent.length })).marker);
      await tick(1);
    }
    await until(reader, () => got.length >= sent.length);

    const markers = markersOf(got);
    assertStrictlyIncreasing(markers);
    assert.deepEqual(markers, sent);
  });
});

describe("CometClient: a server's goaway (shutting down, reconnect elsewhere)", { timeout: 30_000 }, () => {
  const env = useServer();

  test('a pipe that was still empty when subscribed catches up after a dropped connection too', async () => {
    const { server, pool } = env;
    const reader = pool.make(server.url, { reconnectDelay: 1000 });
    await reader.subscribe('web_empty_at_first');
    reader.connect();
    await reader.ready();
    const got = recordMessages(reader);
    const away = nextEvent(reader, 'status', (s) => s === 'reconnecting');
    for (const socket of server.io.of('/').sockets.values()) socket.conn.close();
    await away;
    const missed = await server.core.publish(APP, 'web_empty_at_first', undefined, { text: 'while away' });
    await until(reader, () => got.length === 1);
    assert.deepEqual(markersOf(got), [missed.marker]);
  });

  test('moves at once rather than after its reconnect delay, holds requests meanwhile, and catches up', async () => {
    // A backoff of 60 s: reconnecting that way would take at least 30 s, past this suite's timeout, so the move can
    // only be back in time by not waiting for it (whatever the machine's load; its wall time is no measure).
    const { server, pool } = env;
    const mover = pool.make(server.url, { reconnectDelay: 60_000, reconnectDelayMax: 60_000 });
    await mover.subscribe('web_goaway');
    mover.connect();
    await mover.ready();
    const got = recordMessages(mover);
    const statuses: string[] = [];
    mover.on('status', (s) => statuses.push(s));

    const away = nextEvent(mover, 'status', (s) => s === 'reconnecting');
    const back = nextEvent(mover, 'ready');
    server.io.local.emit('goaway', { within: 300 });
    await away;
    // Away: a request made now waits for the new connection; what the backend publishes comes through catch-up.
    const during = mover.publish('web_goaway', { text: 'sent while moving' });
    const missed: number[] = [];
    for (let i = 0; i < 3; i++)
      missed.push((await server.core.publish(APP, 'web_goaway', undefined, { text: `missed ${i}` })).marker);
    await back;
    const report = await during;
    assert.equal(report.error, '');
    await until(mover, () => got.length >= missed.length);

    assert.deepEqual(markersOf(got), missed);
    assert.deepEqual(statuses, ['reconnecting', 'connected']);
  });
});

describe('CometClient: a server whose markers start again (memory store, restarted)', { timeout: 60_000 }, () => {
  const pool = new ClientPool();
  let server: CometServerHandle | null = null;
  after(async () => {
    pool.closeAll();
    await server?.close();
  });

  test('notices the new epoch, emits reset, and takes the new marker 1 instead of dropping it as seen', async () => {
    const port = await freePort();
    server = await startServer({ port });
    const reader = pool.make(server.url);
    await reader.subscribe(PIPE);
    const got = recordMessages(reader);
    reader.connect();
    await reader.ready();
    for (let n = 1; n <= 3; n++) await server.core.publish(APP, PIPE, undefined, { n });
    await until(reader, () => got.length === 3);

    const away = nextEvent(reader, 'status', (s) => s === 'reconnecting');
    await server.close();
    await away;
    const reset = nextEvent(reader, 'reset');
    server = await startServer({ port });
    const { epoch } = await reset;
    assert.equal(reader.auth?.epoch, epoch);
    await nextEvent(reader, 'ready');
    const again = await server.core.publish(APP, PIPE, undefined, { n: 4 });
    assert.equal(again.marker, 1, 'the restarted memory store counts from 1 again');
    await until(reader, () => got.length === 4);
    assert.deepEqual(
      got.map((m) => (m.data as { n: number }).n),
      [1, 2, 3, 4],
    );
  });
});

describe('CometClient: history answers cut by size', { timeout: 60_000 }, () => {
  const pool = new ClientPool();
  const dataDir = mkdtempSync(join(tmpdir(), 'comet-more-'));
  const servers: CometServerHandle[] = [];
  const small = (port: number) =>
    startServer({ port, memory: false, dataDir, limits: { maxReplyBytes: 3000 } }).then((s) => (servers.push(s), s));
  after(async () => {
    pool.closeAll();
    for (const s of servers) await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('history() says `more` when the server cut a page short, and catch-up pages on through such pages', async () => {
    const port = await freePort();
    let server = await small(port);
    const padded = (n: number) => ({ n, pad: 'p'.repeat(1000) });
    for (let n = 1; n <= 4; n++) await server.core.publish(APP, PIPE, undefined, padded(n));
    const reader = pool.make(server.url);
    await reader.subscribe(PIPE);
    const got = recordMessages(reader);
    reader.connect();
    await reader.ready();
    const page = await reader.history(PIPE, { limit: 10 });
    assert.deepEqual(
      page.map((m) => (m.data as { n: number }).n),
      [3, 4],
    );
    assert.equal(page.more, true);
    assert.equal((await reader.history(PIPE, { limit: 10, before: page[0].server_info.marker })).more, false);

    const away = nextEvent(reader, 'status', (s) => s === 'reconnecting');
    await server.close();
    await away;
    // While the reader is away another node on the same data takes six messages: three pages' worth.
    const elsewhere = await small(0);
    for (let n = 5; n <= 10; n++) await elsewhere.core.publish(APP, PIPE, undefined, padded(n));
    await elsewhere.close();
    server = await small(port);
    await until(reader, () => got.length === 6);
    assert.deepEqual(
      got.map((m) => (m.data as { n: number }).n),
      [5, 6, 7, 8, 9, 10],
    );
  });
});
