/** What the client does when the server holds it to its limits: told why, it waits, then comes back by itself. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientPool, nextEvent, startServer, type CometServerHandle } from './helpers.js';

describe('CometClient: closed for flooding', { timeout: 30_000 }, () => {
  const pool = new ClientPool();
  let server: CometServerHandle | undefined;
  after(async () => {
    pool.closeAll();
    await server?.close();
  });

  test('hears the reason, waits as long as the server asked, and reconnects on its own', async () => {
    server = await startServer({ limits: { strikes: 20, penaltyMs: 400 } });
    const client = await pool.connected(server.url);
    const closing = nextEvent(client, 'closing');
    const away = nextEvent(client, 'status', (s) => s === 'reconnecting');
    const refused = Array.from({ length: 100 }, (_, i) =>
      client.publish('web_spam', { i }).catch((e: { code: string }) => e.code),
    );
    assert.deepEqual(await closing, { reason: 'flood', retry_after_ms: 400 });
    await away;
    const back = Date.now();
    // What the outbox still held when the connection was closed goes once it is back.
    assert.ok(client.pending > 0);
    await nextEvent(client, 'ready');
    assert.ok(Date.now() - back >= 350, `came back after ${Date.now() - back} ms`);
    const codes = await Promise.all(refused);
    assert.ok(codes.includes('rate_limited'), 'it was refused before it was closed');
    const sent = codes.filter((c) => typeof c === 'object').length;
    assert.ok(sent > 25, `${sent} went out: the first connection's burst and more after the reconnect`);
  });
});
