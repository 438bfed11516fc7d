import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CometClientError } from '../../src/client/errors.js';
import { nextEvent, useServer } from './helpers.js';

describe('CometClient: messages with a lifecycle', { timeout: 30_000 }, () => {
  const env = useServer();

  test('a reply carries its quote; the author edits and deletes, the others get edit and delete events', async () => {
    const alice = await env.pool.connected(env.server.url);
    const bob = await env.pool.connected(env.server.url);
    await alice.subscribe('web_life_a');
    await bob.subscribe('web_life_a');
    const asked = await alice.publish('web_life_a', { text: 'lunch?', name: 'A' });

    // The old signature still works next to the options object.
    const arrival = nextEvent(alice, 'message');
    const answer = await bob.publish('web_life_a', { text: 'yes', name: 'B' }, { replyTo: asked.marker });
    const reply = await arrival;
    assert.equal(reply.server_info.marker, answer.marker);
    assert.deepEqual(reply.server_info.reply, {
      marker: asked.marker,
      user_id: 0,
      guest_name: 'A',
      excerpt: 'lunch?',
    });
    assert.deepEqual(answer.reply, reply.server_info.reply, 'the sender gets the quote the others got');

    const edited = nextEvent(bob, 'edit');
    const at = await alice.edit('web_life_a', asked.marker!, { text: 'lunch at 1?', name: 'A' });
    assert.equal(typeof at, 'number');
    assert.deepEqual(await edited, {
      pipe: 'web_life_a',
      marker: asked.marker,
      data: { text: 'lunch at 1?', name: 'A' },
      edited: at,
    });
    await assert.rejects(bob.edit('web_life_a', asked.marker!, { text: 'mine now' }), (err: CometClientError) => {
      assert.equal(err.code, 'forbidden');
      return true;
    });

    const deleted = nextEvent(bob, 'delete');
    await alice.deleteMessage('web_life_a', asked.marker!);
    assert.equal((await deleted).marker, asked.marker);
  });

  test('reactions toggle with live counts, and reactors names who', async () => {
    await env.server.core.setUserKey('1', 7, 'k7', 'Seven');
    const alice = await env.pool.connected(env.server.url, { userId: 7, userKey: 'k7' });
    const bob = await env.pool.connected(env.server.url);
    await alice.subscribe('web_life_r');
    await bob.subscribe('web_life_r');
    const { marker } = await bob.publish('web_life_r', { text: 'react to me', name: 'B' });

    const seen = nextEvent(bob, 'reaction');
    assert.equal(await alice.react('web_life_r', marker!, '👍', true), 1);
    assert.deepEqual(await seen, {
      pipe: 'web_life_r',
      marker,
      emoji: '👍',
      count: 1,
      on: true,
      user_id: 7,
      user_name: 'Seven',
    });
    const who = await alice.reactors('web_life_r', marker!);
    assert.deepEqual(who.reactions, { '👍': 1 });
    assert.deepEqual(who.reactors['👍'], [{ user_id: 7, user_name: 'Seven' }]);
    assert.equal(await alice.react('web_life_r', marker!, '👍', false), 0);
  });

  test('markRead moves the reader forward for the others, and readers lists the positions', async () => {
    const alice = await env.pool.connected(env.server.url);
    const bob = await env.pool.connected(env.server.url);
    await alice.subscribe('web_life_s');
    await bob.subscribe('web_life_s');
    const { marker } = await alice.publish('web_life_s', { text: 'seen?', name: 'A' });
    const read = nextEvent(alice, 'read');
    await bob.markRead('web_life_s', marker!);
    const notice = await read;
    assert.equal(notice.reader, bob.auth!.reader);
    assert.equal(notice.marker, marker);
    const readers = await alice.readers('web_life_s');
    assert.deepEqual(
      readers.map((r) => [r.reader, r.marker]),
      [[bob.auth!.reader, marker]],
    );
  });
});
