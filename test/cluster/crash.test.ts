/**
 * A node that dies without closing (SIGKILL) leaves nothing behind: the cluster's counts,
 * presence and deliveries go on with the nodes that are left, without waiting for the dead one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DeliveryReport } from '../../src/protocol/wire.js';
import { connect, disconnected, request, subscribe, waitForMessage, type Client } from '../server/socket-helpers.js';
import { nodesSubscribed, startCluster, type Cluster } from './cluster-helpers.js';
import { REDIS_URL } from './redis-keys.js';

function startNodeProcess(prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const entry = fileURLToPath(new URL('./node-process.ts', import.meta.url));
  const child = fork(entry, [REDIS_URL, prefix], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (msg) => resolve({ child, url: (msg as { url: string }).url }));
    child.once('exit', (code) => reject(new Error(`node process exited early (${code})`)));
  });
}

describe('cluster: a crashed node', { timeout: 60_000 }, () => {
  let cluster: Cluster;
  let child: ChildProcess | undefined;
  let onDead: Client | undefined;

  before(async () => {
    cluster = await startCluster(1);
  });
  after(async () => {
    onDead?.close();
    child?.kill('SIGKILL');
    await cluster.close();
  });

  it('drops out of counts and presence as soon as it is killed', async () => {
    const [A] = cluster.nodes;
    const spawned = await startNodeProcess(cluster.prefix);
    child = spawned.child;
    const onA = await cluster.client(A);
    onDead = await connect({ url: spawned.url });
    await subscribe(onA, 'web_crash');
    await subscribe(onDead, 'web_crash');
    const sender = await cluster.client(A);
    await nodesSubscribed(cluster.prefix, 2);

    const before = await request<DeliveryReport>(sender, 'publish', { pipe: 'web_crash', data: 'both' });
    assert.equal(before.number_messages, 2);
    await waitForMessage(onDead, (m) => m.server_info.marker === before.marker);
    assert.equal((await cluster.api(A, 'GET', '/pipes/web_crash/presence')).body.count, 2);

    const exited = new Promise((resolve) => child!.once('exit', resolve));
    const lost = disconnected(onDead);
    child.kill('SIGKILL');
    await Promise.all([exited, lost]);
    // Redis learns of the dead connection from the kernel, on its own schedule: wait for that,
    // then everything must work on without the dead node.
    await nodesSubscribed(cluster.prefix, 1);

    const afterCrash = await request<DeliveryReport>(sender, 'publish', { pipe: 'web_crash', data: 'one left' });
    assert.equal(afterCrash.error, '');
    assert.equal(afterCrash.number_messages, 1);
    await waitForMessage(onA, (m) => m.server_info.marker === afterCrash.marker);
    const presence = await cluster.api(A, 'GET', '/pipes/web_crash/presence');
    assert.equal(presence.status, 200);
    assert.equal(presence.body.count, 1);
  });
});
