/** Presence: track_ pipes, the presence query, subscriber counts, typing notices. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CometServer } from '../../src/server/index.js';
import type { TypingNotice } from '../../src/protocol/wire.js';
import { connect, nextEvent, request, startServer, subscribe, waitForMessage, type Client } from './socket-helpers.js';

describe('presence', () => {
  let server: CometServer;
  const clients: Client[] = [];
  const client = async (auth: Parameters<typeof connect>[1] = { dev_id: '1' }) => {
    const c = await connect(server, auth);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer();
    await server.core.setUserKey('1', 21, 'k21', 'Vera');
    await server.core.setUserKey('1', 22, 'k22');
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await server.close();
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
    await waitForMessage(watcher, (m) => m.server_info.event === 'subscription' && (m.data as { user_id: number }).user_id === 0);
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
    const res = await request<{ error: string; count: number; users: unknown[] }>(anon, 'presence', { pipe: 'web_lobby' });
    assert.equal(res.error, '');
    assert.equal(res.count, 3);
    assert.deepEqual(
      [...res.users].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      [{ user_id: 0 }, { user_id: 21, user_name: 'Vera' }, { user_id: 22 }],
    );
    assert.deepEqual(await server.core.pipeStats('1', 'web_lobby'), { pipe: 'web_lobby', users: 4 });
    await request(b, 'unsubscribe', { pipes: ['web_lobby'] });
    assert.equal((await server.core.presence('1', 'web_lobby')).count, 2);
    assert.match(server.metrics.render(), /comet_pipe_subscribers\{app="1",pipe="web_lobby"\} 3/);
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
    assert.deepEqual((await server.core.history('1', 'web_typing')).length, 0);
  });
});
