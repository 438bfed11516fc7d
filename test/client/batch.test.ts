import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import { recordMessages, until, useServer } from './helpers.js';

describe('CometClient: a busy pipe', { timeout: 30_000 }, () => {
  // A long window: the burst below surely falls within it, so nothing here depends on timing.
  const env = useServer({ coalesceMs: 300 });

  test('messages that come in batches are emitted one by one, in order, each once', async () => {
    const reader = await env.pool.connected(env.server.url);
    await reader.subscribe('web_busy_client');
    const got = recordMessages(reader);
    let batches = 0;
    (reader as unknown as { _socket: Socket })._socket.on('batch', () => (batches += 1));
    // Several senders at once: a busy pipe.
    const senders = await Promise.all([0, 1, 2].map(() => env.pool.connected(env.server.url)));
    const reports = await Promise.all(
      Array.from({ length: 30 }, (_, i) => senders[i % 3].publish('web_busy_client', { i })),
    );
    await until(reader, () => got.length >= 30);
    assert.ok(batches > 0, 'the server sent batches');
    // In marker order (the order they were published in), each once.
    assert.deepEqual(
      got.map((m) => m.server_info.marker),
      reports.map((r) => r.marker!).sort((a, b) => a - b),
    );
    assert.equal(new Set(got.map((m) => JSON.stringify(m.data))).size, 30);
  });
});
