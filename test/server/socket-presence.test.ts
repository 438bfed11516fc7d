/** Presence: track_ pipes, the presence query, subscriber counts, typing notices. */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TYPING_INTERVAL_MS } from '../../src/protocol/limits.js';
import type { TypingNotice } from '../../src/protocol/wire.js';
import { testClock } from '../fixtures/test-clock.js';
import { nextEvent, request, subscribe, useServer, waitForMessage } from './socket-helpers.js';

describe('presence', () => {
  const clock = testClock();
  const env = useServer({ clock: clock.now });
  const { client } = env;

  before(async () => {
    await env.server.core.setUserKey('1', 21, 'k21', 'Vera');
    await env.server.core.setUserKey('1', 22, 'k22');
  });

  it('track_ pipes announce subscription and unsubscription (also on disconnect) with user id and name', async () => {
    const watcher = await client();
    await subscribe(watcher, 'track_room');
    const vera = await client({ dev_id: '1', user_id: 21, user_key: 'k21' });
    await subscribe(vera, 'track_room');
    const joined = await waitForMessage(watcher, (m) => m.server_info.event === 'subscription');
    assert.deepEqual(joined.data, { user_id: 21, user_name: 'Vera' });
    assert.equal(joined.server_info.pipe, 'track_room');
    assert.equal(joined.server_info.user_id, 21);

    await request(vera, 'unsubscribe', { pipes: ['track_room'] });
    const left = await waitForMessage(watcher, (m) => m.server_info.event === 'unsubscription');
    assert.deepEqual(left.data, { user_id: 21, user_name: 'Vera' });

    const anon = await client();
    await subscribe(anon, 'track_room.subscription');
    await waitForMessage(
      watcher,
      (m) => m.server_info.event === 'subscription' && (m.data as { user_id: number }).user_id === 0,
    );
    anon.close();
    await waitForMessage(
      watcher,
      (m) => m.server_info.event === 'unsubscription' && (m.data as { user_id: number }).user_id === 0,
    );
    // The subject itself is not told about its own arrival.
    assert.equal(vera.messages.length, 0);
  });

  it('presence lists distinct users (anonymous connections each as user 0) and pipeStats counts connections', async () => {
    const [a1, a2, b, anon] = await Promise.all([
      client({ dev_id: '1', user_id: 21, user_key: 'k21' }),
      client({ dev_id: '1', user_id: 21, user_key: 'k21' }),
      client({ dev_id: '1', user_id: 22, user_key: 'k22' }),
      client(),
    ]);
    await subscribe(a1, 'web_lobby');
    await subscribe(a2, 'web_lobby.chat');
    await subscribe(b, 'web_lobby');
    await subscribe(anon, 'web_lobby');
    const res = await request<{ error: string; count: number; users: unknown[] }>(anon, 'presence', {
      pipe: 'web_lobby',
    });
    assert.equal(res.error, '');
    assert.equal(res.count, 3);
    assert.deepEqual(
      [...res.users].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      [{ user_id: 0 }, { user_id: 21, user_name: 'Vera' }, { user_id: 22 }],
    );
    assert.deepEqual(await env.server.core.pipeStats('1', 'web_lobby'), { pipe: 'web_lobby', users: 4 });
    await request(b, 'unsubscribe', { pipes: ['web_lobby'] });
    assert.equal((await env.server.core.presence('1', 'web_lobby')).count, 2);
    assert.match(env.server.metrics.render(), /comet_pipe_subscribers\{app="1",pipe="web_lobby"\} 3/);
  });

  it('typing reaches the pipe subscribers but not the typist, is never stored, and is rate limited', async () => {
    const [typist, reader] = await Promise.all([client({ dev_id: '1', user_id: 21, user_key: 'k21' }), client()]);
    await subscribe(typist, 'web_typing');
    await subscribe(reader, 'web_typing');
    const notice = nextEvent<TypingNotice>(reader, 'typing');
    assert.equal((await request(typist, 'typing', { pipe: 'web_typing' })).error, '');
    assert.deepEqual(await notice, { pipe: 'web_typing', user_id: 21, user_name: 'Vera' });
    assert.equal((await request(typist, 'typing', { pipe: 'web_typing' })).error, 'rate_limited');
    assert.equal((await request(reader, 'typing', { pipe: 'loginPipe' })).error, 'forbidden');
    assert.deepEqual((await env.server.core.history('1', 'web_typing')).length, 0);
  });

  it("typing relays a guest's own name as guest_name, never as a stamped name, and ignores it for members", async () => {
    const [guest, member, reader] = await Promise.all([
      client(),
      client({ dev_id: '1', user_id: 21, user_key: 'k21' }),
      client(),
    ]);
    for (const s of [guest, member, reader]) await subscribe(s, 'web_typing_names');
    let notice = nextEvent<TypingNotice>(reader, 'typing');
    assert.equal((await request(guest, 'typing', { pipe: 'web_typing_names', name: '  Vera ' })).error, '');
    assert.deepEqual(await notice, { pipe: 'web_typing_names', user_id: 0, guest_name: 'Vera' });
    notice = nextEvent<TypingNotice>(reader, 'typing');
    assert.equal((await request(member, 'typing', { pipe: 'web_typing_names', name: 'Olga' })).error, '');
    assert.deepEqual(await notice, { pipe: 'web_typing_names', user_id: 21, user_name: 'Vera' });
    assert.equal((await request(guest, 'typing', { pipe: 'web_typing_names', name: 'x'.repeat(65) })).error, 'invalid');
  });

  it('typing into ever new pipes keeps only the notices that still limit', async () => {
    const opened = await env.server.core.openConnection('typist-without-socket', '1', {}, undefined);
    assert.ok(opened.ok);
    const { conn } = opened;
    try {
      for (let i = 0; i < 40; i++) assert.equal((await env.server.core.connTyping(conn, `web_t${i}`)).error, '');
      assert.equal(conn.typingAt?.size, 40);
      clock.advance(TYPING_INTERVAL_MS);
      assert.equal((await env.server.core.connTyping(conn, 'web_t_last')).error, '');
      assert.deepEqual([...(conn.typingAt?.keys() ?? [])], ['web_t_last']);
    } finally {
      await env.server.core.connectionClosed(conn);
    }
  });
});
