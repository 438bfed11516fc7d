/**
 * Graceful shutdown of one node (close() with drainMs; the CLI's SIGTERM is in cli.test.ts): it stops
 * taking connections, asks its clients to move (`goaway`), waits for them within a bound, answers what
 * it accepted, delivers pending webhooks, then closes. The client side of `goaway` is in
 * test/client/reconnect.test.ts; moving through nginx to another node is in test/deploy/.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryReport, GoAwayNotice } from '../../src/protocol/wire.js';
import { apiClient, listen } from './http-helpers.js';
import { startServer } from '../fixtures/server.js';
import { connect, disconnected, nextEvent, request } from './socket-helpers.js';

describe('graceful shutdown', { timeout: 60_000 }, () => {
  it('stops listening, sends goaway, still serves its clients, and ends as soon as they have left', async () => {
    // A drain deadline past the suite's timeout: the close can only end in time by seeing the last client go
    // (whatever the machine's load; the wall time it takes is no measure).
    const server = await startServer({ drainMs: 120_000 });
    const client = await connect(server);
    const notice = nextEvent<GoAwayNotice>(client, 'goaway');
    const closing = server.close();
    assert.deepEqual(await notice, { within: 60_000 });

    await assert.rejects(fetch(`${server.url}/healthz`), 'no new connections');
    const report = await request<DeliveryReport>(client, 'publish', { pipe: 'web_drain', data: 'still here' });
    assert.equal(report.error, '');

    client.close();
    await closing;
  });

  it('closes clients that do not move once the drain time is over', async () => {
    const server = await startServer({ drainMs: 600 });
    const stubborn = await connect(server);
    const started = Date.now();
    const dropped = disconnected(stubborn);
    await server.close();
    assert.ok(Date.now() - started >= 550, `drained for ${Date.now() - started} ms`);
    assert.equal(await dropped, 'transport close');
  });

  it('delivers the webhooks it still owes, retries included, before it stops', async () => {
    const attempts = new Map<string, number>();
    const delivered = new Set<string>();
    // Every message is refused once (503), so each needs a retry after the node was told to stop.
    const hook = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const text = (JSON.parse(body) as { message: { data: string } }).message.data;
        const n = (attempts.get(text) ?? 0) + 1;
        attempts.set(text, n);
        if (n > 1) delivered.add(text);
        res.statusCode = n === 1 ? 503 : 200;
        res.end();
      });
    });
    const server = await startServer({ drainMs: 1000, apps: [{ id: '1', allowPrivateWebhooks: true }] });
    try {
      assert.equal((await apiClient(server.url, server.app1Secret)('PUT', '/webhook', { url: hook.url })).status, 200);
      const client = await connect(server);
      const texts = ['one', 'two', 'three'];
      for (const data of texts)
        assert.equal((await request<DeliveryReport>(client, 'publish', { pipe: 'web_hooked', data })).error, '');
      client.close();
      await server.close();
      assert.deepEqual([...delivered].sort(), [...texts].sort());
    } finally {
      await server.close();
      await hook.close();
    }
  });
});
