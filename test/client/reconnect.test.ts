import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as tick } from 'node:timers/promises';
import type { IncomingMessage } from '../../src/client/types.js';
import { APP, ClientPool, freePort, nextEvent, recordMessages, startServer, until, type CometServerHandle } from './helpers.js';

const PIPE = 'web_resume';

function markersOf(messages: IncomingMessage[]): number[] {
  return messages.map((m) => m.server_info.marker);
}

function assertStrictlyIncreasing(markers: number[]): void {
  for (let i = 1; i < markers.length; i++) {
    assert.ok(markers[i]! > markers[i - 1]!, `marker ${markers[i]} after ${markers[i - 1]} at ${i}: out of order or repeated`);
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
    assert.deepEqual(got.map((m) => (m.data as { n: number }).n), [0, 1, 2, 3, 4, 5]);
    assert.ok(got.slice(1, 5).every((m) => m.server_info.history === true), 'the missed ones came from history');
    assert.equal(got[5]!.server_info.history, false);
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
