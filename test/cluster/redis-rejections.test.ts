/**
 * What Socket.IO's Redis adapter sends without looking at the outcome: while Redis cannot take commands,
 * its publishes and its node-count reads fail, and neither may become an unhandled rejection (which
 * ends a Node process). The Redis connections are closed under a live Socket.IO server to make them fail.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createRedisParts } from '../../src/server/store/redis-parts.js';
import { REDIS_URL, deleteKeysUnder, randomPrefix } from './redis-keys.js';

describe('a Redis outage under the adapter', { timeout: 20_000 }, () => {
  const prefix = randomPrefix();
  after(() => deleteKeysUnder(prefix));

  it('reports failed broadcasts and node counts instead of leaving them unhandled', async () => {
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    const reported: Error[] = [];
    const parts = await createRedisParts(REDIS_URL, prefix, { onError: (err) => reported.push(err) });
    const io = new Server(createServer());
    io.adapter(parts.adapterFactory);
    try {
      assert.equal(await io.of('/').adapter.serverCount(), 1);
      await parts.close();
      // A plain broadcast publishes; an acknowledged one also reads the node count: both fail now.
      io.emit('notice', { x: 1 });
      // With no clients anywhere it ends at once; what matters is that it ends, and nothing is left unhandled.
      await new Promise<unknown>((resolve) => io.timeout(200).emit('ask', resolve));
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(unhandled, []);
      assert.ok(reported.length >= 2, `${reported.length} failures reported`);
      // Closing unsubscribes, which fails too.
      await io.close();
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', note);
    }
  });
});
