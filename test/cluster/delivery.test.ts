/**
 * Three nodes over one Redis: messages, delivery counts, presence, history and deletes are
 * cluster-wide. Each test uses its own pipe so they do not see each other's traffic.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import type { DeliveryReport, IncomingMessage, PresenceUser } from '../../src/protocol/wire.js';
import { nextEvent, request, subscribe, waitForMessage } from '../server/socket-helpers.js';
import { startCluster, type Cluster } from './cluster-helpers.js';
import { keysUnder } from './redis-keys.js';

const hasMarker = (marker: number) => (m: IncomingMessage) => m.server_info.marker === marker;

describe('cluster: delivery across nodes', { timeout: 120_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(3, { apps: [{ id: 'receipts', receipts: true }] });
  });
  after(async () => {
    const prefix = cluster.prefix;
    await cluster.close();
    assert.deepEqual(await keysUnder(prefix), [], 'every Redis key of the cluster is gone');
  });

  it('gives every node the same app 1 secret', () => {
    const [a, b, c] = cluster.nodes;
    assert.ok(a.app1Secret.length > 20);
    assert.equal(b.app1Secret, a.app1Secret);
    assert.equal(c.app1Secret, a.app1Secret);
  });

  it('delivers a web_ message published on node A to subscribers on A and B, and counts them all', async () => {
    const [A, B] = cluster.nodes;
    const onA = await cluster.client(A);
    const onB1 = await cluster.client(B);
    const onB2 = await cluster.client(B);
    for (const c of [onA, onB1, onB2]) await subscribe(c, 'web_fanout');
    const sender = await cluster.client(A);

    const report = await request<DeliveryReport>(sender, 'publish', {
      pipe: 'web_fanout',
      data: { text: 'hello nodes' },
    });
    assert.equal(report.error, '');
    assert.equal(report.number_messages, 3, '1 subscriber on A + 2 on B');

    for (const c of [onA, onB1, onB2]) {
      const got = await waitForMessage(c, hasMarker(report.marker!));
      assert.deepEqual(got.data, { text: 'hello nodes' });
      assert.equal(got.server_info.pipe, 'web_fanout');
      assert.equal(got.server_info.history, false);
    }
    assert.equal(sender.messages.length, 0, 'the sender was not subscribed and gets nothing');
  });

  it('counts pipe.event subscribers on other nodes once each, and a backend publish via node C too', async () => {
    const [A, B, C] = cluster.nodes;
    const whole = await cluster.client(A);
    const oneEvent = await cluster.client(B);
    const both = await cluster.client(B);
    const otherEvent = await cluster.client(C);
    await subscribe(whole, 'web_events');
    await subscribe(oneEvent, 'web_events.say');
    await subscribe(both, 'web_events', 'web_events.say');
    await subscribe(otherEvent, 'web_events.shout');

    const res = await cluster.api(C, 'POST', '/pipes/web_events/messages', { event: 'say', data: 'from the backend' });
    assert.equal(res.status, 200);
    assert.equal(res.body.number_messages, 3);
    const marker = res.body.marker as number;
    for (const c of [whole, oneEvent, both]) await waitForMessage(c, hasMarker(marker));
    // One copy per connection, even when subscribed to the pipe and to the event.
    await request(both, 'presence', { pipe: 'web_events' });
    assert.equal(both.messages.filter(hasMarker(marker)).length, 1);
    assert.equal(otherEvent.messages.filter(hasMarker(marker)).length, 0);
  });

  it('counts, in receipts mode, the subscribers on every node that acknowledged the message', async () => {
    const [A, B, C] = cluster.nodes;
    const app = { dev_id: 'receipts' };
    const acking = [await cluster.client(A, app), await cluster.client(B, app), await cluster.client(C, app)];
    for (const c of acking) await subscribe(c, 'web_receipts');
    // A subscriber on B that takes the message but never acknowledges it.
    const silent = io(B.url, { transports: ['websocket'], auth: app, forceNew: true, reconnection: false });
    try {
      let silentGot = 0;
      silent.on('message', () => silentGot++);
      await silent.timeout(5000).emitWithAck('subscribe', { pipes: ['web_receipts'] });
      const sender = await cluster.client(A, app);

      const report = await request<DeliveryReport>(sender, 'publish', { pipe: 'web_receipts', data: 'ack me' });
      assert.equal(report.error, '');
      assert.equal(report.number_messages, 3, 'four were handed the message, three acknowledged it');
      assert.equal(silentGot, 1);
    } finally {
      silent.close();
    }
  });

  it('hands out unique, increasing markers whichever node publishes', async () => {
    const [A, B, C] = cluster.nodes;
    const publishes = [A, B, C, A, B, C].map((node, i) =>
      cluster.api(node, 'POST', '/pipes/markers_pipe/messages', { data: i }).then((r) => r.body.marker as number),
    );
    const markers = await Promise.all(publishes);
    assert.equal(new Set(markers).size, markers.length);
    const next = (await cluster.api(B, 'POST', '/pipes/markers_pipe/messages', { data: 'last' })).body.marker as number;
    assert.ok(markers.every((m) => m < next));
  });

  it('reads on node B the history written through node A', async () => {
    const [A, B] = cluster.nodes;
    const sender = await cluster.client(A);
    const markers: number[] = [];
    for (const text of ['one', 'two', 'three']) {
      const report = await request<DeliveryReport>(sender, 'publish', { pipe: 'web_history', data: { text } });
      markers.push(report.marker!);
    }
    const reader = await cluster.client(B);
    const res = await request<{ error: string; messages: IncomingMessage[] }>(reader, 'history', {
      pipe: 'web_history',
    });
    assert.equal(res.error, '');
    assert.deepEqual(
      res.messages.map((m) => m.server_info.marker),
      markers,
    );
    assert.deepEqual(
      res.messages.map((m) => m.data),
      [{ text: 'one' }, { text: 'two' }, { text: 'three' }],
    );
    assert.ok(res.messages.every((m) => m.server_info.history));

    const page = await cluster.api(cluster.nodes[2], 'GET', `/pipes/web_history/messages?after=${markers[0]}`);
    assert.deepEqual(
      (page.body.messages as IncomingMessage[]).map((m) => m.server_info.marker),
      markers.slice(1),
    );
  });

  it('deletes a message through node A from history and from screens on node B', async () => {
    const [A, B] = cluster.nodes;
    const watcher = await cluster.client(B);
    await subscribe(watcher, 'web_deletes');
    const sent = await cluster.api(A, 'POST', '/pipes/web_deletes/messages', { data: 'oops' });
    const marker = sent.body.marker as number;
    await waitForMessage(watcher, hasMarker(marker));

    const notice = nextEvent<{ pipe: string; marker: number }>(watcher, 'delete');
    const del = await cluster.api(A, 'DELETE', `/pipes/web_deletes/messages/${marker}`);
    assert.equal(del.body.stored, true);
    assert.deepEqual(await notice, { pipe: 'web_deletes', marker });
    const left = await cluster.api(B, 'GET', '/pipes/web_deletes/messages');
    assert.deepEqual(left.body.messages, []);
  });

  it('shares presence and track_ notices across nodes', async () => {
    const [A, B, C] = cluster.nodes;
    await cluster.api(A, 'PUT', '/users/101/key', { key: 'key101', name: 'Anna' });
    await cluster.api(A, 'PUT', '/users/102/key', { key: 'key102', name: 'Boris' });
    const watcher = await cluster.client(A);
    await subscribe(watcher, 'track_room');

    const anna = await cluster.client(B, { dev_id: '1', user_id: 101, user_key: 'key101' });
    const boris = await cluster.client(C, { dev_id: '1', user_id: 102, user_key: 'key102' });
    assert.equal(anna.auth.authorized, true);
    assert.equal(boris.auth.authorized, true);
    await subscribe(anna, 'track_room');
    const joined = await waitForMessage(
      watcher,
      (m) => m.server_info.event === 'subscription' && m.server_info.user_id === 101,
    );
    assert.equal(joined.server_info.pipe, 'track_room');
    await subscribe(boris, 'track_room');
    await waitForMessage(watcher, (m) => m.server_info.event === 'subscription' && m.server_info.user_id === 102);

    const seen = await request<{ error: string; count: number; users: PresenceUser[] }>(anna, 'presence', {
      pipe: 'track_room',
    });
    assert.equal(seen.error, '');
    assert.equal(seen.count, 3, 'the anonymous watcher on A, Anna on B, Boris on C');
    assert.deepEqual(
      seen.users.filter((u) => u.user_id > 0).sort((x, y) => x.user_id - y.user_id),
      [
        { user_id: 101, user_name: 'Anna' },
        { user_id: 102, user_name: 'Boris' },
      ],
    );
    const stats = await cluster.api(A, 'GET', '/pipes/track_room');
    assert.equal(stats.body.users, 3);

    boris.close();
    const left = await waitForMessage(
      watcher,
      (m) => m.server_info.event === 'unsubscription' && m.server_info.user_id === 102,
    );
    assert.equal(left.server_info.pipe, 'track_room');
    const after = await cluster.api(B, 'GET', '/pipes/track_room/presence');
    assert.equal(after.body.count, 2);
  });

  it('stops counting the subscribers of a node that leaves the cluster', async () => {
    const [A] = cluster.nodes;
    const D = await cluster.addNode();
    const onA = await cluster.client(A);
    const onD = await cluster.client(D);
    await subscribe(onA, 'web_leaving');
    await subscribe(onD, 'web_leaving');
    const before = await cluster.api(A, 'POST', '/pipes/web_leaving/messages', { data: 1 });
    assert.equal(before.body.number_messages, 2);
    assert.equal((await cluster.api(A, 'GET', '/pipes/web_leaving')).body.users, 2);

    await D.close();
    const afterLeave = await cluster.api(A, 'POST', '/pipes/web_leaving/messages', { data: 2 });
    assert.equal(afterLeave.body.number_messages, 1);
    assert.equal((await cluster.api(A, 'GET', '/pipes/web_leaving')).body.users, 1);
  });
});
