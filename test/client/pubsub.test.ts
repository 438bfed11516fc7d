import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CometClientError } from '../../src/client/errors.js';
import { APP, nextEvent, recordMessages, roundTrip, until, useServer } from './helpers.js';

describe('CometClient: pipes', { timeout: 30_000 }, () => {
  const env = useServer();

  test('publish reaches a subscriber with server_info, and the sender gets a delivery report', async () => {
    const alice = await env.pool.connected(env.server.url);
    const bob = await env.pool.connected(env.server.url);
    await bob.subscribe('web_pub_chat');
    const bobGot = recordMessages(bob);
    const aliceGot = recordMessages(alice);
    await alice.subscribe('web_pub_chat');
    const arrival = nextEvent(bob, 'message');
    const report = await alice.publish('web_pub_chat', { text: 'привет', name: 'A' });
    assert.equal(report.error, '');
    assert.equal(report.number_messages, 1, 'only bob: the sender does not count itself');
    assert.ok(typeof report.marker === 'number' && report.marker > 0);
    const msg = await arrival;
    assert.deepEqual(msg.data, { text: 'привет', name: 'A' });
    assert.equal(msg.server_info.pipe, 'web_pub_chat');
    assert.equal(msg.server_info.event, 'undefined');
    assert.equal(msg.server_info.user_id, 0);
    assert.equal(msg.server_info.history, false);
    assert.equal(msg.server_info.marker, report.marker);
    await roundTrip(alice);
    assert.equal(aliceGot.length, 0, 'the sender does not get its own message back');
    assert.equal(bobGot.length, 1);
  });

  test('an authorized sender is stamped by the server', async () => {
    await env.server.core.setUserKey(APP, 42, 'k42');
    const author = await env.pool.connected(env.server.url, { userId: 42, userKey: 'k42' });
    const reader = await env.pool.connected(env.server.url);
    await reader.subscribe('web_stamped');
    const arrival = nextEvent(reader, 'message');
    await author.publish('web_stamped', { text: 'hi', user_id: 1 });
    const msg = await arrival;
    assert.equal(msg.server_info.user_id, 42);
  });

  test('"pipe.event" receives only that event; "pipe" receives all', async () => {
    const sender = await env.pool.connected(env.server.url);
    const one = await env.pool.connected(env.server.url);
    const all = await env.pool.connected(env.server.url);
    await one.subscribe('web_events.login');
    await all.subscribe('web_events');
    const oneGot = recordMessages(one);
    const allGot = recordMessages(all);
    await sender.publish('web_events', { n: 1 }, 'logout');
    await sender.publish('web_events', { n: 2 }, 'login');
    await sender.publish('web_events', { n: 3 });
    await roundTrip(one);
    await roundTrip(all);
    assert.deepEqual(
      oneGot.map((m) => m.data),
      [{ n: 2 }],
    );
    assert.equal(oneGot[0].server_info.event, 'login');
    assert.deepEqual(
      allGot.map((m) => m.data),
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    );
  });

  test('backend publishes reach subscribers; browsers may not publish into non-web pipes', async () => {
    const client = await env.pool.connected(env.server.url);
    await client.subscribe('loginPipe.userLogin');
    const arrival = nextEvent(client, 'message');
    await env.server.core.publish(APP, 'loginPipe', 'userLogin', { name: 'Оля' });
    assert.deepEqual((await arrival).data, { name: 'Оля' });
    await assert.rejects(
      client.publish('loginPipe', { name: 'fake' }, 'userLogin'),
      (e: unknown) => e instanceof CometClientError && e.code === 'forbidden',
    );
  });

  test('unsubscribe stops delivery', async () => {
    const sender = await env.pool.connected(env.server.url);
    const reader = await env.pool.connected(env.server.url);
    await reader.subscribe('web_unsub');
    const got = recordMessages(reader);
    await sender.publish('web_unsub', 1);
    await roundTrip(reader);
    await reader.unsubscribe('web_unsub');
    const report = await sender.publish('web_unsub', 2);
    assert.equal(report.number_messages, 0);
    await roundTrip(reader);
    assert.deepEqual(
      got.map((m) => m.data),
      [1],
    );
    assert.deepEqual(reader.subscriptions, []);
  });

  test('history pages back with before and forward with after, oldest first, not emitted as events', async () => {
    const client = await env.pool.connected(env.server.url);
    const markers: number[] = [];
    for (let i = 1; i <= 7; i++) markers.push((await client.publish('web_hist', { i })).marker!);
    const got = recordMessages(client);
    const latest = await client.history('web_hist', { limit: 3 });
    assert.deepEqual(
      latest.map((m) => m.data),
      [{ i: 5 }, { i: 6 }, { i: 7 }],
    );
    assert.ok(latest.every((m) => m.server_info.history === true));
    const earlier = await client.history('web_hist', { limit: 3, before: latest[0].server_info.marker });
    assert.deepEqual(
      earlier.map((m) => m.data),
      [{ i: 2 }, { i: 3 }, { i: 4 }],
    );
    const next = await client.history('web_hist', { limit: 2, after: markers[1] });
    assert.deepEqual(
      next.map((m) => m.data),
      [{ i: 3 }, { i: 4 }],
    );
    const all = await client.history('web_hist');
    assert.deepEqual(
      all.map((m) => m.server_info.marker),
      markers,
    );
    assert.equal(got.length, 0);
  });

  test('presence counts who is in a pipe, with authorized user ids', async () => {
    await env.server.core.setUserKey(APP, 5, 'k5');
    const authed = await env.pool.connected(env.server.url, { userId: 5, userKey: 'k5' });
    const anon = await env.pool.connected(env.server.url);
    await authed.subscribe('web_room');
    await anon.subscribe('web_room');
    const p = await anon.presence('web_room');
    assert.equal(p.count, 2);
    assert.ok(p.users.some((u) => u.user_id === 5));
    assert.equal((await anon.presence('web_empty_room')).count, 0);
  });

  test('personal messages arrive without a subscription, including those queued while offline', async () => {
    await env.server.core.setUserKey(APP, 11, 'k11');
    const queued = await env.server.core.sendToUser(APP, 11, 'note', { text: 'while you were away' });
    assert.equal(queued.queued, true);
    const client = env.pool.make(env.server.url, { userId: 11, userKey: 'k11' });
    const got = recordMessages(client);
    client.connect();
    await client.ready();
    await until(client, () => got.length === 1);
    const live = nextEvent(client, 'message');
    await env.server.core.sendToUser(APP, 11, undefined, { text: 'now' });
    const msg = await live;
    assert.equal(msg.server_info.pipe, 'msg');
    assert.deepEqual(
      got.map((m) => m.data),
      [{ text: 'while you were away' }, { text: 'now' }],
    );
    assert.equal(got[0].server_info.event, 'note');
  });

  test('typing notices reach the other subscribers of the pipe', async () => {
    await env.server.core.setUserKey(APP, 9, 'k9', 'Nine');
    const typist = await env.pool.connected(env.server.url, { userId: 9, userKey: 'k9' });
    const watcher = await env.pool.connected(env.server.url);
    await typist.subscribe('web_typing');
    await watcher.subscribe('web_typing');
    const notice = nextEvent(watcher, 'typing');
    typist.typing('web_typing');
    const n = await notice;
    assert.equal(n.pipe, 'web_typing');
    assert.equal(n.user_id, 9);
    // An anonymous typist's own name travels apart from stamped names.
    const guest = await env.pool.connected(env.server.url);
    await guest.subscribe('web_typing');
    const fromGuest = nextEvent(watcher, 'typing');
    guest.typing('web_typing', 'Vera');
    assert.deepEqual(await fromGuest, { pipe: 'web_typing', user_id: 0, guest_name: 'Vera' });
  });
});

describe('CometClient: receipts', { timeout: 30_000 }, () => {
  const env = useServer({ apps: [{ id: 'receipts', origins: '*', receipts: true }] });

  test('every delivered message is acknowledged, so a receipt-counting app reports real receivers', async () => {
    const readers = [
      await env.pool.connected(env.server.url, { devId: 'receipts' }),
      await env.pool.connected(env.server.url, { devId: 'receipts' }),
    ];
    for (const r of readers) await r.subscribe('web_receipts');
    const sender = await env.pool.connected(env.server.url, { devId: 'receipts' });
    const report = await sender.publish('web_receipts', { text: 'counted' });
    assert.equal(report.error, '');
    assert.equal(report.number_messages, 2);
  });
});
