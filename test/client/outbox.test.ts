/**
 * The outbox and every message once, with real servers: a publish whose answer is lost (a proxy drops
 * the connection after the frame went through and before the answer) is sent again after the reconnect
 * and lands once; publishes made while the server is away wait and go out in order when it is back.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CometClientError } from '../../src/client/errors.js';
import { startLostAckProxy, type LostAckProxy } from '../fixtures/lost-ack-proxy.js';
import {
  APP,
  ClientPool,
  freePort,
  nextEvent,
  recordMessages,
  roundTrip,
  startServer,
  until,
  useServer,
  type CometServerHandle,
} from './helpers.js';

describe('CometClient: every message once through a lost answer', { timeout: 30_000 }, () => {
  const env = useServer();
  let proxy: LostAckProxy | undefined;
  after(() => proxy?.close());

  test('the publish is sent again after the reconnect: one copy in history and at every subscriber, one report for the sender', async () => {
    proxy = await startLostAckProxy(env.server.url, 1);
    const [a, b] = await Promise.all([env.pool.connected(env.server.url), env.pool.connected(env.server.url)]);
    await Promise.all([a.subscribe('web_lost'), b.subscribe('web_lost')]);
    const [gotA, gotB] = [recordMessages(a), recordMessages(b)];
    const sender = env.pool.make(proxy.url);
    await sender.subscribe('web_lost');
    const own = recordMessages(sender);
    sender.connect();
    await sender.ready();

    const reconnected = nextEvent(sender, 'status', (s) => s === 'reconnecting');
    const report = await sender.publish('web_lost', { text: 'once' });
    await reconnected;
    assert.equal(proxy.dropped, 1, 'the first answer was lost on the way');
    assert.equal(report.error, '');
    assert.equal(report.duplicate, true, 'the answer came from the retry, as a duplicate of the first');
    assert.equal(report.number_messages, 2);

    await sender.publish('web_lost', { text: 'next' });
    await until(a, () => gotA.length === 2);
    await until(b, () => gotB.length === 2);
    for (const got of [gotA, gotB])
      assert.deepEqual(
        got.map((m) => m.data),
        [{ text: 'once' }, { text: 'next' }],
      );
    assert.equal(gotA[0].server_info.marker, report.marker);
    const history = await env.server.core.history(APP, 'web_lost');
    assert.deepEqual(
      history.map((m) => m.data),
      [{ text: 'once' }, { text: 'next' }],
    );
    // The sender's catch-up after the reconnect did not hand it back its own message.
    await roundTrip(sender);
    assert.deepEqual(own, []);
    assert.equal(sender.pending, 0);
  });

  test('a refused publish rejects with its reason and leaves the outbox; the next ones still go', async () => {
    const sender = await env.pool.connected(env.server.url);
    const tooLarge = sender.publish('web_refused', { text: 'x'.repeat(70_000) });
    const forbidden = sender.publish('loginPipe', { text: 'no' });
    const fine = sender.publish('web_refused', { text: 'ok' });
    await assert.rejects(tooLarge, (e: unknown) => e instanceof CometClientError && e.code === 'too_large');
    await assert.rejects(forbidden, (e: unknown) => e instanceof CometClientError && e.code === 'forbidden');
    assert.equal((await fine).error, '');
    assert.equal(sender.pending, 0);
  });

  test('retrying with the id of an answered publish gets its report, not a copy', async () => {
    const sender = await env.pool.connected(env.server.url);
    const first = await sender.publish('web_retry', 'x', undefined, 'retry-id-0001');
    const again = await sender.publish('web_retry', 'x', undefined, 'retry-id-0001');
    assert.equal(again.marker, first.marker);
    assert.equal((await env.server.core.history(APP, 'web_retry')).length, 1);
    await assert.rejects(
      sender.publish('web_retry', 'x', undefined, 'bad id'),
      (e: unknown) => e instanceof CometClientError && e.code === 'invalid',
    );
  });
});

describe('CometClient: the outbox while the server is away', { timeout: 30_000 }, () => {
  const pool = new ClientPool();
  const dataDir = mkdtempSync(join(tmpdir(), 'comet-outbox-'));
  let server: CometServerHandle | null = null;
  after(async () => {
    pool.closeAll();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('publishes made while reconnecting wait, then go out in the order made; disconnect() fails what is left', async () => {
    const port = await freePort();
    server = await startServer({ memory: false, dataDir, port });
    const sender = await pool.connected(server.url);
    const away = nextEvent(sender, 'status', (s) => s === 'reconnecting');
    await server.close();
    server = null;
    await away;

    const reports = [1, 2, 3].map((n) => sender.publish('web_offline', { n }));
    assert.equal(sender.pending, 3);
    server = await startServer({ memory: false, dataDir, port });
    const done = await Promise.all(reports);
    assert.deepEqual(
      done.map((r) => r.error),
      ['', '', ''],
    );
    assert.ok(done[0].marker! < done[1].marker! && done[1].marker! < done[2].marker!);
    const history = await server.core.history(APP, 'web_offline');
    assert.deepEqual(
      history.map((m) => m.data),
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    );

    const gone = nextEvent(sender, 'status', (s) => s === 'reconnecting');
    await server.close();
    server = null;
    await gone;
    const left = sender.publish('web_offline', { n: 4 });
    sender.disconnect();
    await assert.rejects(left, (e: unknown) => e instanceof CometClientError && e.code === 'disconnected');
    assert.equal(sender.pending, 0);
  });
});
