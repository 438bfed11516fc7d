/**
 * Every message once, over real sockets: a publish sent again with its id (its answer was lost) is
 * answered with the first report and neither stored nor delivered twice; ids are the sender's, expire
 * with the server's clock, and an app remembers a bounded number of them. Memory and SQLite stores.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeliveryReport, IncomingMessage } from '../../src/protocol/wire.js';
import type { CometServer } from '../../src/server/index.js';
import { startServer } from '../fixtures/server.js';
import { connect, request, subscribe, waitForMessage, type Client } from './socket-helpers.js';

const WINDOW_MS = 60_000;

for (const storage of ['memory', 'sqlite'] as const) {
  describe(`publish ids (${storage} store)`, () => {
    let t = Date.now();
    let server: CometServer;
    let dir: string | undefined;
    const clients: Client[] = [];
    before(async () => {
      if (storage === 'sqlite') dir = mkdtempSync(join(tmpdir(), 'comet-once-'));
      server = await startServer({
        ...(dir ? { memory: false, dataDir: dir } : {}),
        apps: [{ id: 'other' }],
        clock: () => t,
        // The clock only moves by hand: enough publishes for the whole suite without refills.
        limits: { publish: { burst: 500, perSecond: 1 }, publishIds: { windowMs: WINDOW_MS, perApp: 3 } },
      });
      await server.core.setUserKey('1', 7, 'key7', 'Anna');
      await server.core.setUserKey('1', 8, 'key8');
    });
    after(async () => {
      clients.forEach((c) => c.close());
      await server.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const client = async (auth: Record<string, unknown> = { dev_id: '1' }) => {
      const c = await connect(server, auth);
      clients.push(c);
      return c;
    };
    const publish = (c: Client, payload: object) => request<DeliveryReport>(c, 'publish', payload);
    const history = async (pipe: string, app = '1') =>
      (await server.core.history(app, pipe, { limit: 200 })).map((m) => m.data);
    let seq = 0;
    const newId = () => `test-id-${++seq}-${storage}`;

    it('a guest publish sent again over a new connection is answered with the first report, stored and delivered once', async () => {
      const [sender, reader] = await Promise.all([client(), client()]);
      await subscribe(reader, 'web_once');
      const id = newId();
      // The frame arrives (the reader gets it) but the sender never reads the answer: its connection drops.
      sender.socket.emit('publish', { pipe: 'web_once', data: 'hello', id }, () => undefined);
      const got = await waitForMessage(reader, (m) => m.data === 'hello');
      sender.close();
      const again = await client();
      const second = await publish(again, { pipe: 'web_once', data: 'hello', id });
      assert.deepEqual(second, { error: '', number_messages: 1, marker: got.server_info.marker, duplicate: true });
      // Something after it shows the duplicate did not reach the reader.
      await publish(again, { pipe: 'web_once', data: 'after', id: newId() });
      await waitForMessage(reader, (m) => m.data === 'after');
      assert.deepEqual(
        reader.messages.map((m: IncomingMessage) => m.data),
        ['hello', 'after'],
      );
      assert.deepEqual(await history('web_once'), ['hello', 'after']);
    });

    it('ids are the sender’s: another user with the same id publishes; the same user in another tab is answered as a duplicate', async () => {
      const [anna, annaTab, bob] = await Promise.all([
        client({ dev_id: '1', user_id: '7', user_key: 'key7' }),
        client({ dev_id: '1', user_id: '7', user_key: 'key7' }),
        client({ dev_id: '1', user_id: '8', user_key: 'key8' }),
      ]);
      const id = newId();
      const first = await publish(anna, { pipe: 'web_users', data: 'anna', id });
      assert.equal(first.duplicate, undefined);
      const fromTab = await publish(annaTab, { pipe: 'web_users', data: 'anna', id });
      assert.deepEqual(fromTab, { ...first, duplicate: true });
      const fromBob = await publish(bob, { pipe: 'web_users', data: 'bob', id });
      assert.equal(fromBob.error, '');
      assert.notEqual(fromBob.marker, first.marker);
      assert.deepEqual(await history('web_users'), ['anna', 'bob']);
    });

    it('an id is remembered for the window of the server’s clock, then it is a new message', async () => {
      const sender = await client();
      const id = newId();
      const first = await publish(sender, { pipe: 'web_window', data: 'x', id });
      t += WINDOW_MS - 1;
      assert.equal((await publish(sender, { pipe: 'web_window', data: 'x', id })).marker, first.marker);
      t += 1;
      const late = await publish(sender, { pipe: 'web_window', data: 'x', id });
      assert.equal(late.duplicate, undefined);
      assert.ok(late.marker! > first.marker!);
      assert.deepEqual(await history('web_window'), ['x', 'x']);
    });

    it('an app remembers at most its bound of ids (the oldest go), and another app’s ids are its own', async () => {
      t += WINDOW_MS; // the earlier tests' ids expire
      const [sender, other] = await Promise.all([client(), client({ dev_id: 'other' })]);
      const ids = [newId(), newId(), newId(), newId()];
      await publish(other, { pipe: 'web_bound', data: 'other', id: ids[0] });
      for (const [i, id] of ids.entries()) await publish(sender, { pipe: 'web_bound', data: i, id });
      // perApp is 3: the first id was pushed out, the last three are still known.
      for (const id of ids.slice(1))
        assert.equal((await publish(sender, { pipe: 'web_bound', data: 'again', id })).duplicate, true);
      assert.equal((await publish(sender, { pipe: 'web_bound', data: 'again', id: ids[0] })).duplicate, undefined);
      assert.equal((await publish(other, { pipe: 'web_bound', data: 'other', id: ids[0] })).duplicate, true);
      assert.deepEqual(await history('web_bound'), [0, 1, 2, 3, 'again']);
      assert.deepEqual(await history('web_bound', 'other'), ['other']);
    });

    it('refuses malformed ids; a refused publish leaves its id free', async () => {
      const sender = await client();
      for (const id of ['short', 'x'.repeat(65), 'has space!', 42]) {
        assert.equal((await publish(sender, { pipe: 'web_bad', data: 1, id })).error, 'invalid');
      }
      const id = newId();
      assert.equal((await publish(sender, { pipe: 'loginPipe', data: 1, id })).error, 'forbidden');
      const ok = await publish(sender, { pipe: 'web_bad', data: 1, id });
      assert.equal(ok.error, '');
      assert.equal(ok.duplicate, undefined);
    });
  });
}
