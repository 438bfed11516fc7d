/** Moderation (bans by user, per pipe, by connection; deleting a message) and personal messages. */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeleteNotice, IncomingMessage } from '../../src/protocol/wire.js';
import { testClock } from '../fixtures/test-clock.js';
import { disconnected, nextEvent, request, subscribe, useServer, waitForMessage } from './socket-helpers.js';

describe('moderation and personal messages', () => {
  const clock = testClock();
  const env = useServer({ clock: clock.now });
  const { client } = env;
  const user = (id: number) => client({ dev_id: '1', user_id: id, user_key: `key${id}` });

  before(async () => {
    for (const id of [31, 32, 33, 34, 35, 36]) await env.server.core.setUserKey('1', id, `key${id}`);
  });

  it('an app-wide user ban refuses every publish of that user (all connections) until unbanned', async () => {
    const [first, second, other] = await Promise.all([user(31), user(31), user(32)]);
    await env.server.core.ban('1', { user_id: 31 });
    for (const c of [first, second]) {
      const res = await request(c, 'publish', { pipe: 'web_a', data: 1 });
      assert.equal(res.error, 'banned');
      assert.equal(res.number_messages, 0);
    }
    assert.equal((await request(first, 'typing', { pipe: 'web_a' })).error, 'banned');
    assert.equal((await request(other, 'publish', { pipe: 'web_a', data: 1 })).error, '');
    await env.server.core.unban('1', { user_id: 31 });
    assert.equal((await request(first, 'publish', { pipe: 'web_a', data: 2 })).error, '');
  });

  it('a pipe ban holds only in that pipe; a timed ban ends by itself', async () => {
    const u = await user(33);
    await env.server.core.ban('1', { user_id: 33, pipe: 'web_quiet' });
    assert.equal((await request(u, 'publish', { pipe: 'web_quiet', data: 1 })).error, 'banned');
    assert.equal((await request(u, 'publish', { pipe: 'web_loud', data: 1 })).error, '');
    await env.server.core.unban('1', { user_id: 33, pipe: 'web_quiet' });
    await env.server.core.ban('1', { user_id: 33, seconds: 60 });
    assert.equal((await request(u, 'publish', { pipe: 'web_loud', data: 2 })).error, 'banned');
    clock.advance(59_999);
    assert.equal((await request(u, 'publish', { pipe: 'web_loud', data: 2 })).error, 'banned');
    clock.advance(1);
    assert.equal((await request(u, 'publish', { pipe: 'web_loud', data: 3 })).error, '');
  });

  it('a connection ban hits that connection only, anonymous or not', async () => {
    const [anon, anon2] = await Promise.all([client(), client()]);
    await env.server.core.ban('1', { conn_id: anon.socket.id! });
    assert.equal((await request(anon, 'publish', { pipe: 'web_b', data: 1 })).error, 'banned');
    assert.equal((await request(anon2, 'publish', { pipe: 'web_b', data: 1 })).error, '');
    await assert.rejects(env.server.core.ban('1', {}), { code: 'invalid' });
    await assert.rejects(env.server.core.ban('1', { user_id: 1, conn_id: 'x' }), { code: 'invalid' });
  });

  it('deleting a message tells every subscriber and drops it from history', async () => {
    const [sender, reader, eventOnly] = await Promise.all([client(), client(), client()]);
    await subscribe(reader, 'web_del');
    await subscribe(eventOnly, 'web_del.chat');
    const kept = await request(sender, 'publish', { pipe: 'web_del', event: 'chat', data: 'kept' });
    const bad = await request(sender, 'publish', { pipe: 'web_del', event: 'chat', data: 'bad' });
    const notices = [nextEvent<DeleteNotice>(reader, 'delete'), nextEvent<DeleteNotice>(eventOnly, 'delete')];
    assert.equal(await env.server.core.deleteMessage('1', 'web_del', bad.marker as number), true);
    for (const n of await Promise.all(notices)) assert.deepEqual(n, { pipe: 'web_del', marker: bad.marker });
    const history = await request<{ messages: IncomingMessage[] }>(reader, 'history', { pipe: 'web_del' });
    assert.deepEqual(
      history.messages.map((m) => [m.data, m.server_info.marker]),
      [['kept', kept.marker]],
    );
    assert.equal(await env.server.core.deleteMessage('1', 'web_del', bad.marker as number), false);
  });

  it('a personal message reaches every connection of the user and nobody else, without subscribing', async () => {
    const [a, b, other] = await Promise.all([user(34), user(34), user(35)]);
    const result = await env.server.core.sendToUser('1', 34, 'note', { text: 'for you' });
    assert.deepEqual(result, { delivered: 2, queued: false });
    for (const c of [a, b]) {
      const got = await waitForMessage(c, (m) => m.server_info.pipe === 'msg');
      assert.equal(got.server_info.event, 'note');
      assert.deepEqual(got.data, { text: 'for you' });
    }
    await env.server.core.sendToUser('1', 35, undefined, 'yours');
    await waitForMessage(other, (m) => m.data === 'yours');
    assert.equal(other.messages.length, 1);
    assert.equal(await env.server.core.userTime('1', 34), 0);
  });

  it('queues personal messages while the user is offline and delivers them, in order, on connect', async () => {
    const first = await user(36);
    const gone = disconnected(first);
    first.close();
    await gone;
    // The server sees the disconnect a moment later; wait until the user is offline there.
    while ((await env.server.core.userTime('1', 36)) === 0) await new Promise((r) => setTimeout(r, 10));
    const lastSeen = await env.server.core.userTime('1', 36);
    assert.ok(lastSeen > 1_600_000_000);
    assert.deepEqual(await env.server.core.sendToUser('1', 36, 'a', 1), { delivered: 0, queued: true });
    await env.server.core.sendToUser('1', 36, 'b', 2);
    const back = await user(36);
    await waitForMessage(back, (m) => m.data === 2);
    assert.deepEqual(
      back.messages.map((m) => [m.server_info.pipe, m.server_info.event, m.data]),
      [
        ['msg', 'a', 1],
        ['msg', 'b', 2],
      ],
    );
    // Drained: another connection does not get them again.
    const again = await user(36);
    await env.server.core.sendToUser('1', 36, 'c', 3);
    await waitForMessage(again, (m) => m.data === 3);
    assert.deepEqual(
      again.messages.map((m) => m.data),
      [3],
    );
    assert.equal(await env.server.core.userTime('1', 999), -1);
  });
});
