/**
 * Message lifecycles across two nodes over one Redis: an edit made on node A and a reaction made on
 * node B reach subscribers on both; history, reactions and read positions give the same answer everywhere.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EditNotice, IncomingMessage, ReactionNotice, ReadNotice } from '../../src/protocol/wire.js';
import { nextEvent, request, subscribe } from '../server/socket-helpers.js';
import { startCluster, type Cluster } from './cluster-helpers.js';

describe('cluster: message lifecycle', { timeout: 120_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    // Many clients of one machine: the contention test opens hundreds.
    cluster = await startCluster(2, {
      limits: { connectionsPerAddress: 1000, handshakes: { burst: 1000, perSecond: 1000 } },
    });
    for (const node of cluster.nodes) await node.core.setUserKey('1', 5, 'key5', 'Vera');
  });
  after(async () => {
    await cluster.close();
  });

  it('an edit on node A and a reaction on node B reach subscribers on both nodes', async () => {
    const [A, B] = cluster.nodes;
    const author = await cluster.client(A, { dev_id: '1', user_id: 5, user_key: 'key5' });
    const authorOnB = await cluster.client(B, { dev_id: '1', user_id: 5, user_key: 'key5' });
    const [onA, onB] = [await cluster.client(A), await cluster.client(B)];
    for (const c of [onA, onB]) await subscribe(c, 'web_life');
    const { marker } = await request<{ marker: number }>(author, 'publish', { pipe: 'web_life', data: { text: 'v1' } });

    const edits = [onA, onB].map((c) => nextEvent<EditNotice>(c, 'edit'));
    const res = await request<{ error: string; edited: number }>(author, 'edit', {
      pipe: 'web_life',
      marker,
      data: { text: 'v2' },
    });
    assert.equal(res.error, '');
    for (const notice of await Promise.all(edits)) {
      assert.deepEqual(notice, { pipe: 'web_life', marker, data: { text: 'v2' }, edited: res.edited });
    }

    const reactions = [onA, onB].map((c) => nextEvent<ReactionNotice>(c, 'reaction'));
    assert.deepEqual(await request(onB, 'react', { pipe: 'web_life', marker, emoji: '👍', on: true }), {
      error: '',
      count: 1,
    });
    for (const notice of await Promise.all(reactions)) assert.equal(notice.count, 1);
    // The same user reacting again on the other node: still one.
    assert.deepEqual(await request(author, 'react', { pipe: 'web_life', marker, emoji: '👍', on: true }), {
      error: '',
      count: 2,
    });
    assert.deepEqual(await request(authorOnB, 'react', { pipe: 'web_life', marker, emoji: '👍', on: true }), {
      error: '',
      count: 2,
    });

    // Both nodes read the same history; the author may edit from either.
    for (const c of [onA, onB]) {
      const { messages } = await request<{ messages: IncomingMessage[] }>(c, 'history', { pipe: 'web_life' });
      assert.deepEqual(messages[0].data, { text: 'v2' });
      assert.equal(messages[0].server_info.edited, res.edited);
      assert.deepEqual(messages[0].server_info.reactions, { '👍': 2 });
    }
    assert.equal((await request(authorOnB, 'edit', { pipe: 'web_life', marker, data: 'v3' })).error, '');
    assert.equal((await request(onB, 'edit', { pipe: 'web_life', marker, data: 'not mine' })).error, 'forbidden');
  });

  it('counts reactions made at once on both nodes without losing any', async () => {
    const [A, B] = cluster.nodes;
    const author = await cluster.client(A);
    const { marker } = await request<{ marker: number }>(author, 'publish', { pipe: 'web_race', data: 'race' });
    const fans = await Promise.all([A, B, A, B, A, B].map((node) => cluster.client(node)));
    await Promise.all(fans.map((c) => request(c, 'react', { pipe: 'web_race', marker, emoji: '❤️', on: true })));
    const answer = await cluster.api(B, 'GET', `/pipes/web_race/messages/${marker}/reactors`);
    assert.deepEqual(answer.body.reactions, { '❤️': 6 });
  });

  it('answers every reaction and edit of a popular message made at once on both nodes, counts exact', async () => {
    const [A, B] = cluster.nodes;
    const author = await cluster.client(A);
    const { marker } = await request<{ marker: number }>(author, 'publish', { pipe: 'web_crowd', data: 'v0' });
    const fans = await Promise.all(Array.from({ length: 150 }, (_, i) => cluster.client(i % 2 ? A : B)));
    // The edits come from the backend through both nodes: a connection's own edits sent together are held to its
    // reply bytes (each may read the pipe to requote replies), which test/server/socket-lifecycle.test.ts shows.
    const [answers, edits] = await Promise.all([
      Promise.all([
        ...fans.map((c) => request(c, 'react', { pipe: 'web_crowd', marker, emoji: '👍', on: true })),
        ...fans.map((c) => request(c, 'react', { pipe: 'web_crowd', marker, emoji: '❤️', on: true })),
      ]),
      Promise.all(
        Array.from({ length: 10 }, (_, k) =>
          cluster.api(k % 2 ? A : B, 'PATCH', `/pipes/web_crowd/messages/${marker}`, { data: `v${k}` }),
        ),
      ),
    ]);
    assert.deepEqual(new Set(answers.map((a) => a.error)), new Set(['']));
    assert.deepEqual(new Set(edits.map((e) => e.status)), new Set([200]));
    const answer = await cluster.api(B, 'GET', `/pipes/web_crowd/messages/${marker}/reactors`);
    assert.deepEqual(answer.body.reactions, { '👍': 150, '❤️': 150 });
  });

  it('moves read positions forward whichever node is told, and tells readers on both', async () => {
    const [A, B] = cluster.nodes;
    const reader = await cluster.client(A, { dev_id: '1', user_id: 5, user_key: 'key5' });
    const readerOnB = await cluster.client(B, { dev_id: '1', user_id: 5, user_key: 'key5' });
    const watcher = await cluster.client(B);
    for (const c of [reader, readerOnB, watcher]) await subscribe(c, 'web_seen');
    const first = (await request<{ marker: number }>(watcher, 'publish', { pipe: 'web_seen', data: 1 })).marker;
    const second = (await request<{ marker: number }>(watcher, 'publish', { pipe: 'web_seen', data: 2 })).marker;
    const told = nextEvent<ReadNotice>(watcher, 'read');
    assert.equal((await request(reader, 'read', { pipe: 'web_seen', marker: second })).error, '');
    assert.deepEqual(await told, { pipe: 'web_seen', reader: 'u5', user_id: 5, user_name: 'Vera', marker: second });
    assert.equal((await request(readerOnB, 'read', { pipe: 'web_seen', marker: first })).error, '');
    const { readers } = await request<{ readers: unknown[] }>(watcher, 'readers', { pipe: 'web_seen' });
    assert.deepEqual(readers, [{ reader: 'u5', user_id: 5, user_name: 'Vera', marker: second }]);
  });
});
