/**
 * Queued personal messages when connecting races with sending: a real core and socket front over a
 * memory store whose queue calls the test can hold, to force each interleaving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { AppRegistry } from '../../src/server/core/apps.js';
import { DEFAULT_LIMITS } from '../../src/server/core/limits.js';
import { Core } from '../../src/server/core/core.js';
import { attachSocketFront, type SocketFront } from '../../src/server/fronts/socket/index.js';
import type { CometIo } from '../../src/server/fronts/socket/types.js';
import { Metrics } from '../../src/server/metrics.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import type { StoredMessage } from '../../src/server/store/types.js';
import { connect, waitForMessage, type Client } from './socket-helpers.js';

/** A real memory store; a test may run something before the next enqueue or drain goes on. */
class HeldStore extends MemoryStore {
  beforeEnqueue: (() => Promise<void>) | undefined;
  beforeDrain: (() => Promise<void>) | undefined;
  drains = 0;
  override async enqueuePersonal(appId: string, userId: number, msg: StoredMessage, max: number): Promise<void> {
    const hold = this.beforeEnqueue;
    this.beforeEnqueue = undefined;
    await hold?.();
    return super.enqueuePersonal(appId, userId, msg, max);
  }
  override async drainPersonal(appId: string, userId: number): Promise<StoredMessage[]> {
    const hold = this.beforeDrain;
    this.beforeDrain = undefined;
    await hold?.();
    this.drains += 1;
    return super.drainPersonal(appId, userId);
  }
}

describe('personal message queue races', () => {
  const store = new HeldStore();
  const core = new Core({
    store,
    apps: new AppRegistry([{ id: '1', secret: 's', origins: '*', receipts: false, quota: DEFAULT_LIMITS.quota }]),
    metrics: new Metrics(),
  });
  const http = createServer();
  const io: CometIo = new Server(http);
  let front: SocketFront;
  const server = { url: '' };
  const clients: Client[] = [];
  const user = async (id: number) => {
    const c = await connect(server, { dev_id: '1', user_id: id, user_key: `key${id}` });
    clients.push(c);
    return c;
  };
  /** Resolves once `count` drains (one per authorized connection) have run. */
  const drained = async (count: number) => {
    while (store.drains < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  before(async () => {
    front = attachSocketFront(io, core, new Metrics());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    for (const id of [41, 42]) await core.setUserKey('1', id, `key${id}`);
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await io.close();
    await front.settle();
  });

  it('a user who connects between the failed delivery and the enqueue still gets the message', async () => {
    let arrived: Client | undefined;
    store.beforeEnqueue = async () => {
      const drainsBefore = store.drains;
      arrived = await user(41);
      await drained(drainsBefore + 1);
    };
    assert.deepEqual(await core.sendToUser('1', 41, 'late', 'hello'), { delivered: 1, queued: false });
    const got = await waitForMessage(arrived!, (m) => m.data === 'hello');
    assert.equal(got.server_info.pipe, 'msg');
  });

  it('queued messages reach every connection that is open when they are handed out', async () => {
    assert.deepEqual(await core.sendToUser('1', 42, 'queued', 'while away'), { delivered: 0, queued: true });
    const drainsBefore = store.drains;
    let second: Promise<Client> | undefined;
    // The first tab's drain waits until a second tab has connected (its own drain finds nothing).
    store.beforeDrain = async () => {
      second = user(42);
      await second;
    };
    const first = await user(42);
    await drained(drainsBefore + 2);
    const other = await second!;
    await core.sendToUser('1', 42, 'live', 'now');
    for (const c of [first, other]) {
      await waitForMessage(c, (m) => m.data === 'now');
      assert.deepEqual(
        c.messages.map((m) => m.data),
        ['while away', 'now'],
      );
    }
  });
});
