/**
 * Every message once across nodes: a publish whose answer was lost on node A, sent again through node B
 * (the client reconnected through the balancer), is answered with A's report and delivered once.
 * The ids live in Redis within the app's bound and expire there too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { DeliveryReport } from '../../src/protocol/wire.js';
import { request, subscribe, waitForMessage } from '../server/socket-helpers.js';
import { startCluster, type Cluster } from './cluster-helpers.js';
import { REDIS_URL } from './redis-keys.js';

describe('cluster: every message once', { timeout: 60_000 }, () => {
  let cluster: Cluster;
  const redis = new Redis(REDIS_URL);

  before(async () => {
    cluster = await startCluster(2, {
      limits: { publish: { burst: 100, perSecond: 10 }, publishIds: { windowMs: 30_000, perApp: 50 } },
    });
  });
  after(async () => {
    await cluster.close();
    redis.disconnect();
  });

  it('a publish retried on another node is answered with the first report; every subscriber and history have one copy', async () => {
    const [A, B] = cluster.nodes;
    const [onA, onB] = await Promise.all([cluster.client(A), cluster.client(B)]);
    await Promise.all([subscribe(onA, 'web_once'), subscribe(onB, 'web_once')]);
    const lost = await cluster.client(A);
    const id = 'c1a2b3c4-0000-4000-8000-000000000001';
    // The answer comes and goes unread, as if the connection had dropped on its way. Node B hands the message out
    // before A has counted it and written down its report: a retry then would be answered as still under way
    // (a count of 0), so the answer's arrival is the sign that A is done.
    const answered = new Promise((resolve) =>
      lost.socket.emit('publish', { pipe: 'web_once', data: 'once', id }, resolve),
    );
    const got = await waitForMessage(onB, (m) => m.data === 'once');
    await answered;
    lost.close();

    const retry = await cluster.client(B);
    const report = await request<DeliveryReport>(retry, 'publish', { pipe: 'web_once', data: 'once', id });
    assert.deepEqual(report, { error: '', number_messages: 2, marker: got.server_info.marker, duplicate: true });
    await request(retry, 'publish', { pipe: 'web_once', data: 'next', id: 'c1a2b3c4-0000-4000-8000-000000000002' });
    for (const c of [onA, onB]) {
      await waitForMessage(c, (m) => m.data === 'next');
      assert.deepEqual(
        c.messages.map((m) => m.data),
        ['once', 'next'],
      );
    }
    const history = await cluster.nodes[0].core.history('1', 'web_once');
    assert.deepEqual(
      history.map((m) => m.data),
      ['once', 'next'],
    );
  });

  it('keeps the app’s ids within its bound in Redis, and lets them expire there', async () => {
    const sender = await cluster.client(cluster.nodes[1]);
    for (let i = 0; i < 60; i++) await request(sender, 'publish', { pipe: 'web_bound', data: i, id: `bound-id-${i}` });
    const ids = `${cluster.prefix}:1:pubids`;
    const receipts = `${cluster.prefix}:1:pubrec`;
    assert.equal(await redis.zcard(ids), 50);
    assert.equal(await redis.hlen(receipts), 50);
    for (const key of [ids, receipts]) {
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= 30_000, `${key} expires (pttl ${ttl})`);
    }
  });
});
