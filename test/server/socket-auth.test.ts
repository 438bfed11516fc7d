/** Who a connection is: user keys, tokens, revocation, origins, and what gets stamped on its messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { PacketType } from 'socket.io-parser';
import type { ConnectData } from '../../src/protocol/wire.js';
import { signToken, TOKEN_CLOCK_TOLERANCE_S } from '../../src/server/core/tokens.js';
import { testClock } from '../fixtures/test-clock.js';
import { disconnected, request, subscribe, useServer, waitForMessage } from './socket-helpers.js';

describe('authorization', () => {
  const env = useServer({
    apps: [
      { id: 'shop', origins: ['https://shop.example'] },
      { id: 'blog', origins: ['https://Blog.example:443/news/'] },
    ],
  });
  const { client } = env;

  it('stamps the registered user id and name; a forged user_id or server_info in the payload is ignored', async () => {
    await env.server.core.setUserKey('1', 7, 'key7', 'Anna');
    const [anna, reader] = await Promise.all([client({ dev_id: 1, user_id: '7', user_key: 'key7' }), client()]);
    assert.deepEqual(anna.auth, { authorized: true, user_id: 7, user_name: 'Anna' });
    await subscribe(reader, 'web_auth');
    const forged = { text: 'hello', user_id: 1, server_info: { user_id: 1, user_name: 'Admin', history: true } };
    const report = await request(anna, 'publish', {
      pipe: 'web_auth',
      data: forged,
      user_id: 1,
      server_info: { user_id: 1 },
    });
    assert.equal(report.error, '');
    const got = await waitForMessage(reader, () => true);
    assert.equal(got.server_info.user_id, 7);
    assert.equal(got.server_info.user_name, 'Anna');
    assert.equal(got.server_info.history, false);
    // The payload is carried as data, untouched, never read as server_info.
    assert.deepEqual(got.data, forged);
  });

  it('tells a client that asks who it is in the CONNECT packet, with no `auth` event; others get the event', async () => {
    await env.server.core.setUserKey('1', 9, 'key9', 'Nine');
    const subscribed = async (socket: ReturnType<typeof io>) =>
      ((await socket.timeout(5000).emitWithAck('subscribe', { pipes: ['web_x'] })) as { error: string }).error;
    const open = (asks: boolean) => {
      const socket = io(env.server.url, {
        transports: ['websocket'],
        auth: { dev_id: '1', user_id: 9, user_key: 'key9', ...(asks ? { auth_in_connect: true } : {}) },
        forceNew: true,
        reconnection: false,
      });
      const events: string[] = [];
      socket.onAny((event: string) => events.push(event));
      const connectData = new Promise<ConnectData>((resolve) =>
        socket.io.on('packet', (packet) => packet.type === PacketType.CONNECT && resolve(packet.data as ConnectData)),
      );
      return { socket, events, connectData };
    };
    const [asking, other] = [open(true), open(false)];
    try {
      const data = await asking.connectData;
      assert.equal(data.sid, asking.socket.id);
      const { authorized, user_id, user_name, reader, edit_window } = data.auth!;
      assert.deepEqual(
        { authorized, user_id, user_name, reader, edit_window },
        {
          authorized: true,
          user_id: 9,
          user_name: 'Nine',
          reader: 'u9',
          edit_window: 15 * 60,
        },
      );
      // An `auth` event would have come before the answer to anything asked after connecting.
      assert.equal(await subscribed(asking.socket), '');
      assert.deepEqual(asking.events, []);

      assert.equal((await other.connectData).auth, undefined);
      assert.equal(await subscribed(other.socket), '');
      assert.deepEqual(other.events, ['auth']);
    } finally {
      asking.socket.close();
      other.socket.close();
    }
  });

  it('a wrong key connects as anonymous with reason bad_key', async () => {
    await env.server.core.setUserKey('1', 8, 'right8');
    const wrong = await client({ dev_id: '1', user_id: 8, user_key: 'wrong' });
    assert.deepEqual(wrong.auth, { authorized: false, user_id: 0, reason: 'bad_key' });
    const malformed = await client({ dev_id: '1', user_id: 8, user_key: 'x'.repeat(40) });
    assert.deepEqual(malformed.auth, { authorized: false, user_id: 0, reason: 'bad_key' });
    const otherApp = await client({ dev_id: 'shop', user_id: 8, user_key: 'right8' });
    assert.equal(otherApp.auth.reason, 'bad_key');
  });

  it('handshake credentials of the wrong types connect as anonymous; an unreadable dev id is refused', async () => {
    const odd = (auth: Record<string, unknown>) => client(auth);
    assert.deepEqual((await odd({ dev_id: '1', user_id: { $gt: 0 }, user_key: ['key7'] })).auth, {
      authorized: false,
      user_id: 0,
      reason: 'bad_key',
    });
    assert.deepEqual((await odd({ dev_id: '1', user_id: 7 })).auth, {
      authorized: false,
      user_id: 0,
      reason: 'bad_key',
    });
    assert.deepEqual((await odd({ dev_id: '1', token: 42 })).auth, {
      authorized: false,
      user_id: 0,
      reason: 'bad_token',
    });
    assert.deepEqual((await odd({ dev_id: '1', token: 'a.b.c' })).auth, {
      authorized: false,
      user_id: 0,
      reason: 'bad_token',
    });
    await assert.rejects(odd({ dev_id: ['1'] }), /unknown_app/);
    await assert.rejects(odd({}), /unknown_app/);
  });

  it('webauth_ pipes take publishes only from authorized users', async () => {
    await env.server.core.setUserKey('1', 9, 'key9');
    const [anon, user] = await Promise.all([client(), client({ dev_id: '1', user_id: 9, user_key: 'key9' })]);
    assert.equal((await request(anon, 'publish', { pipe: 'webauth_x', data: 1 })).error, 'forbidden');
    assert.equal((await request(user, 'publish', { pipe: 'webauth_x', data: 1 })).error, '');
  });

  it('removing the key disconnects every connection of that user, and the key no longer works', async () => {
    await env.server.core.setUserKey('1', 10, 'key10');
    const [first, second, bystander] = await Promise.all([
      client({ dev_id: '1', user_id: 10, user_key: 'key10' }),
      client({ dev_id: '1', user_id: 10, user_key: 'key10' }),
      client(),
    ]);
    const gone = Promise.all([disconnected(first), disconnected(second)]);
    await env.server.core.removeUserKey('1', 10);
    assert.deepEqual(await gone, ['io server disconnect', 'io server disconnect']);
    assert.equal(bystander.socket.connected, true);
    const again = await client({ dev_id: '1', user_id: 10, user_key: 'key10' });
    assert.equal(again.auth.reason, 'bad_key');
  });

  it('accepts a valid token; refuses an expired, revoked or badly signed one', async () => {
    const { token } = await env.server.core.issueToken('1', { user_id: 11, name: 'Boris' });
    const ok = await client({ dev_id: '1', token });
    assert.deepEqual(ok.auth, { authorized: true, user_id: 11, user_name: 'Boris' });

    // Past its expiry by more than the clock tolerance between signer and server.
    const expired = signToken(env.server.app1Secret, { user_id: 11, exp: Math.floor(Date.now() / 1000) - 60 });
    assert.deepEqual((await client({ dev_id: '1', token: expired })).auth, {
      authorized: false,
      user_id: 0,
      reason: 'expired_token',
    });

    await env.server.core.revokeToken('1', token);
    assert.equal(await env.server.core.isTokenRevoked('1', token), true);
    assert.equal((await client({ dev_id: '1', token })).auth.reason, 'revoked_token');
    await env.server.core.unrevokeToken('1', token);
    assert.equal((await client({ dev_id: '1', token })).auth.authorized, true);

    const forged = signToken('not-the-secret', { user_id: 11, exp: Math.floor(Date.now() / 1000) + 60 });
    assert.equal((await client({ dev_id: '1', token: forged })).auth.reason, 'bad_token');
    // A token of app 1 means nothing to app shop (other secret).
    assert.equal((await client({ dev_id: 'shop', token })).auth.reason, 'bad_token');
  });

  it('checks the page origin against the app; app 1 takes any origin', async () => {
    await assert.rejects(client({ dev_id: 'shop' }, { origin: 'https://evil.example' }), /origin/);
    assert.equal((await client({ dev_id: 'shop' }, { origin: 'https://shop.example' })).socket.connected, true);
    assert.equal((await client({ dev_id: '1' }, { origin: 'https://anything.example' })).socket.connected, true);
    // A configured URL is compared as the origin a browser sends for it.
    assert.equal((await client({ dev_id: 'blog' }, { origin: 'https://blog.example' })).socket.connected, true);
    await assert.rejects(client({ dev_id: 'blog' }, { origin: 'http://blog.example' }), /origin/);
  });
});

describe('authorization by the server clock', () => {
  const clock = testClock();
  const env = useServer({ clock: clock.now });

  it('a token expires by the server clock, past the tolerance between signer and server', async () => {
    const { token, expires } = await env.server.core.issueToken('1', { user_id: 12, ttl_seconds: 60 });
    assert.equal(expires, Math.floor(clock.now() / 1000) + 60);
    assert.equal((await env.client({ dev_id: '1', token })).auth.authorized, true);
    clock.advance((60 + TOKEN_CLOCK_TOLERANCE_S - 1) * 1000);
    assert.equal((await env.client({ dev_id: '1', token })).auth.authorized, true);
    clock.advance(1000);
    assert.equal((await env.client({ dev_id: '1', token })).auth.reason, 'expired_token');
  });
});
