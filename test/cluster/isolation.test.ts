/**
 * Starting a node over Redis: a wrong URL fails the start at once, and two clusters with
 * different prefixes on one Redis never see each other's messages, history or secrets.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryReport, IncomingMessage } from '../../src/protocol/wire.js';
import { startServer } from '../fixtures/server.js';
import { request, subscribe, waitForMessage } from '../server/socket-helpers.js';
import { startCluster, type Cluster } from './cluster-helpers.js';

describe('cluster: start-up and isolation', { timeout: 60_000 }, () => {
  let red: Cluster;
  let blue: Cluster;

  before(async () => {
    red = await startCluster(1);
    blue = await startCluster(1);
  });
  after(async () => {
    await red.close();
    await blue.close();
  });

  it('refuses to start when Redis cannot be reached, saying so', async () => {
    await assert.rejects(
      startServer({ redisUrl: 'redis://127.0.0.1:1' }),
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
  });

  it('keeps clusters with different prefixes apart on one Redis', async () => {
    const [redNode] = red.nodes;
    const [blueNode] = blue.nodes;
    assert.notEqual(redNode.app1Secret, blueNode.app1Secret);

    const redListener = await red.client(redNode);
    const blueListener = await blue.client(blueNode);
    await subscribe(redListener, 'web_same_name');
    await subscribe(blueListener, 'web_same_name');
    const sender = await red.client(redNode);
    const report = await request<DeliveryReport>(sender, 'publish', { pipe: 'web_same_name', data: 'red only' });
    assert.equal(report.number_messages, 1);
    await waitForMessage(redListener, (m) => m.server_info.marker === report.marker);

    const blueHistory = await request<{ messages: IncomingMessage[] }>(blueListener, 'history', {
      pipe: 'web_same_name',
    });
    assert.deepEqual(blueHistory.messages, []);
    assert.equal(blueListener.messages.length, 0);
  });
});
