/** The publish path's cached settings: one store read per setting and lifetime, not one per message. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { AppRegistry } from '../../src/server/core/apps.js';
import { DEFAULT_LIMITS } from '../../src/server/core/limits.js';
import { Core } from '../../src/server/core/core.js';
import { SettingsCache } from '../../src/server/core/settings-cache.js';
import { attachSocketFront } from '../../src/server/fronts/socket/index.js';
import type { CometIo } from '../../src/server/fronts/socket/types.js';
import { Metrics } from '../../src/server/metrics.js';
import { MemoryStore } from '../../src/server/store/memory.js';

/** A real memory store that counts the reads the publish path makes. */
class CountingStore extends MemoryStore {
  reads = { webhook: 0, pipeLength: 0 };
  override async getWebhook(appId: string): Promise<string | null> {
    this.reads.webhook += 1;
    return super.getWebhook(appId);
  }
  override async getPipeLength(appId: string, pipe: string): Promise<number | undefined> {
    this.reads.pipeLength += 1;
    return super.getPipeLength(appId, pipe);
  }
}

describe('settings cache', () => {
  // A real Socket.IO server (nobody connects) gives the core its transport.
  const io: CometIo = new Server(createServer());
  const store = new CountingStore();
  const core = new Core({
    store,
    apps: new AppRegistry([{ id: '1', secret: 's', origins: '*', receipts: false, quota: DEFAULT_LIMITS.quota }]),
    metrics: new Metrics(),
  });
  const front = attachSocketFront(io, core, new Metrics());
  after(async () => {
    await io.close();
    await front.settle();
  });

  it('publishing reads the webhook and the pipe length once, and a change is seen at once', async () => {
    for (let i = 0; i < 5; i++) await core.publish('1', 'web_cached', undefined, i);
    assert.deepEqual(store.reads, { webhook: 1, pipeLength: 1 });
    await core.setPipeSettings('1', 'web_cached', { length: 2 });
    await core.setWebhook('1', 'https://hooks.example/comet');
    for (let i = 5; i < 8; i++) await core.publish('1', 'web_cached', undefined, i);
    assert.deepEqual(
      (await core.history('1', 'web_cached')).map((m) => m.data),
      [6, 7],
    );
    assert.deepEqual(store.reads, { webhook: 2, pipeLength: 2 });
    await core.setWebhook('1', null);
  });

  it('keeps a value for its lifetime, shares a load in flight and forgets a failed one', async () => {
    const cache = new SettingsCache<number>(100);
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cache.get('k', load, 0), cache.get('k', load, 0)]);
    assert.deepEqual([a, b, loads], [1, 1, 1]);
    assert.equal(await cache.get('k', load, 99), 1);
    assert.equal(await cache.get('k', load, 100), 2);
    cache.forget('k');
    assert.equal(await cache.get('k', load, 100), 3);
    await assert.rejects(cache.get('bad', () => Promise.reject(new Error('down')), 0));
    assert.equal(await cache.get('bad', load, 0), 4);
  });
});
