/**
 * Settings the publish path caches (a pipe's history length, the webhook URL): a change made
 * through one node holds on the next publish through another.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { WebhookBody } from '../../src/server/core/webhook.js';
import { listen } from '../server/http-helpers.js';
import { nextEvent, request, subscribe, waitForMessage } from '../server/socket-helpers.js';
import { startCluster, type Cluster } from './cluster-helpers.js';
import { REDIS_URL } from './redis-keys.js';

describe('cluster: cached settings', { timeout: 60_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    // The test's webhook receiver is on loopback, which app 1 must be allowed explicitly.
    cluster = await startCluster(2, { apps: [{ id: '1', allowPrivateWebhooks: true }] });
  });
  after(async () => {
    await cluster.close();
  });

  it("a pipe length set through node A applies to node B's next publish", async () => {
    const [A, B] = cluster.nodes;
    const sender = await cluster.client(B);
    // B reads (and caches) the default length.
    await request(sender, 'publish', { pipe: 'web_len', data: 0 });
    assert.equal((await cluster.api(A, 'PUT', '/pipes/web_len/settings', { length: 1 })).status, 200);
    for (const i of [1, 2, 3]) await request(sender, 'publish', { pipe: 'web_len', data: i });
    assert.deepEqual(
      (await B.core.history('1', 'web_len')).map((m) => m.data),
      [3],
    );
  });

  it("a webhook set through node A receives node B's next publish", async () => {
    const [A, B] = cluster.nodes;
    const bodies: WebhookBody[] = [];
    let received: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (received = resolve));
    const hook = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WebhookBody);
        res.end();
        received();
      });
    });
    try {
      // B reads (and caches) "no webhook".
      await B.core.publish('1', 'web_hooked', undefined, 'before');
      assert.equal((await cluster.api(A, 'PUT', '/webhook', { url: hook.url })).status, 200);
      await B.core.publish('1', 'web_hooked', undefined, 'after');
      await arrived;
      assert.deepEqual(
        bodies.map((b) => (b.type === 'message.published' ? b.message.data : b.type)),
        ['after'],
      );
    } finally {
      await cluster.api(A, 'DELETE', '/webhook');
      await hook.close();
    }
  });
  it('markers started again under a new epoch reach every node, when a node that never read the old one draws the first', async () => {
    const [A] = cluster.nodes;
    const reader = await cluster.client(A);
    const old = reader.epoch;
    // A node that has read nothing of app 1 yet: a backend's publishes may land there first.
    const fresh = await cluster.addNode();
    // Redis lost app 1's marker counter (a flush, a failover without persistence): the next marker starts a new epoch.
    const redis = new Redis(REDIS_URL);
    await redis.del(`${cluster.prefix}:1:marker`);
    redis.disconnect();
    const told = nextEvent<{ epoch: string }>(reader, 'epoch');
    await fresh.core.publish('1', 'web_epoch', undefined, 'after the flush');
    const { epoch } = await Promise.race([
      told,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no epoch notice reached node A')), 5000)),
    ]);
    assert.notEqual(epoch, old);
    assert.equal((await cluster.client(A)).epoch, epoch);
  });

  it('publishes through nodes that have not read the epoch tell clients nothing when it did not change', async () => {
    const [A, B] = cluster.nodes;
    const watcher = await cluster.client(A);
    await subscribe(watcher, 'web_quiet');
    let notices = 0;
    watcher.socket.on('epoch', () => notices++);
    // A node just started publishes first (a backend's publish may land there), then the others in turn: each
    // publish used to find its node's epoch forgotten through the last node's notice, and say it again.
    const fresh = await cluster.addNode();
    await fresh.core.publish('1', 'web_quiet', undefined, 'from a fresh node');
    for (let i = 0; i < 10; i++) await [A, B, fresh][i % 3].core.publish('1', 'web_quiet', undefined, `m${i}`);
    // Each node's last publish reaches the watcher after any notice that node sent before it.
    const last = [A, B, fresh].map((node, i) => {
      const text = `last from node ${i}`;
      const seen = waitForMessage(watcher, (m) => m.data === text);
      return node.core.publish('1', 'web_quiet', undefined, text).then(() => seen);
    });
    await Promise.all(last);
    assert.equal(notices, 0);
  });
});
