import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'socket.io-client';
import { CometClientError } from '../../src/client/errors.js';
import type { ConnectionStatus } from '../../src/client/types.js';
import { APP, nextEvent, useServer } from './helpers.js';

describe('CometClient: connecting and authorization', { timeout: 30_000 }, () => {
  const env = useServer();

  test('an anonymous client connects, goes through the statuses and gets auth user 0', async () => {
    const client = env.pool.make(env.server.url);
    const statuses: ConnectionStatus[] = [];
    client.on('status', (s) => statuses.push(s));
    assert.equal(client.status, 'idle');
    const auth = nextEvent(client, 'auth');
    client.connect();
    const info = await auth;
    assert.equal(info.authorized, false);
    assert.equal(info.user_id, 0);
    assert.equal(info.reason, undefined);
    assert.equal(client.status, 'connected');
    assert.deepEqual(client.auth, info);
    assert.deepEqual(statuses, ['connecting', 'connected']);
    client.disconnect();
    assert.equal(client.status, 'disconnected');
    assert.deepEqual(statuses, ['connecting', 'connected', 'disconnected']);
  });

  test('speaks WebSocket by default, and reconnects with a capped, jittered backoff', async () => {
    const client = await env.pool.connected(env.server.url, { reconnectDelay: 250, reconnectDelayMax: 2000 });
    // White box: the socket.io manager behind the client carries the transport and the backoff.
    const manager = (client as unknown as { _socket: Socket })._socket.io;
    assert.equal(manager.engine.transport.name, 'websocket');
    assert.equal(manager.reconnectionDelay(), 250);
    assert.equal(manager.reconnectionDelayMax(), 2000);
    assert.equal(manager.randomizationFactor(), 0.5, 'each delay is spread ±50 %');
  });

  test('an auth listener sees status connected and may send requests at once', async () => {
    const client = env.pool.make(env.server.url);
    let statusAtAuth: ConnectionStatus | undefined;
    let answer: Promise<{ count: number }> | undefined;
    const auth = nextEvent(client, 'auth');
    client.on('auth', () => {
      statusAtAuth = client.status;
      answer = client.presence('web_auth_listener');
    });
    client.connect();
    await auth;
    assert.equal(statusAtAuth, 'connected');
    const presence = await answer!;
    assert.equal(presence.count, 0);
  });

  test('a user id + key registered by the backend authorizes the connection', async () => {
    await env.server.core.setUserKey(APP, 7, 'key7secret', 'Seven');
    const client = await env.pool.connected(env.server.url, { userId: 7, userKey: 'key7secret' });
    assert.equal(client.auth?.authorized, true);
    assert.equal(client.auth?.user_id, 7);
    assert.equal(client.auth?.user_name, 'Seven');
  });

  test('removing the user key drops the connection for good; connect() starts again', async () => {
    await env.server.core.setUserKey(APP, 12, 'k12');
    const client = await env.pool.connected(env.server.url, { userId: 12, userKey: 'k12' });
    const dropped = nextEvent(client, 'status', (s) => s === 'disconnected');
    await env.server.core.removeUserKey(APP, 12);
    await dropped;
    const back = client.ready();
    client.connect();
    const info = await back;
    assert.equal(info.authorized, false, 'the key is gone: anonymous now');
    assert.equal(info.reason, 'bad_key');
  });

  test('a wrong key connects as anonymous and says why', async () => {
    await env.server.core.setUserKey(APP, 8, 'rightkey');
    const client = await env.pool.connected(env.server.url, { userId: 8, userKey: 'wrongkey' });
    assert.equal(client.auth?.authorized, false);
    assert.equal(client.auth?.user_id, 0);
    assert.equal(client.auth?.reason, 'bad_key');
  });

  test('requests while not connected reject with "disconnected"; bad names are refused locally', async () => {
    const client = env.pool.make(env.server.url);
    await assert.rejects(
      client.publish('web_x_pipe', { text: 'hi' }),
      (e: unknown) => e instanceof CometClientError && e.code === 'disconnected',
    );
    await assert.rejects(
      client.history('web_x_pipe'),
      (e: unknown) => e instanceof CometClientError && e.code === 'disconnected',
    );
    await assert.rejects(
      client.publish('no', 1),
      (e: unknown) => e instanceof CometClientError && e.code === 'invalid_pipe',
    );
    await assert.rejects(
      client.publish('web_ok', 1, 'bad event'),
      (e: unknown) => e instanceof CometClientError && e.code === 'invalid_pipe',
    );
    await assert.rejects(
      client.subscribe('web chat'),
      (e: unknown) => e instanceof CometClientError && e.code === 'invalid_pipe',
    );
    await assert.rejects(
      client.presence('x'),
      (e: unknown) => e instanceof CometClientError && e.code === 'invalid_pipe',
    );
    assert.deepEqual(client.subscriptions, []);
  });

  test('an unknown app is refused in the handshake, and the client stops instead of promising a retry', async () => {
    const client = env.pool.make(env.server.url, { devId: 'no-such-app' });
    const statuses: ConnectionStatus[] = [];
    client.on('status', (s) => statuses.push(s));
    const refused = nextEvent(client, 'error');
    client.connect();
    assert.deepEqual(await refused, { error: 'disconnected', message: 'unknown_app' });
    // socket.io does not retry a handshake the server refused: the status says so at once.
    assert.deepEqual(statuses, ['connecting', 'disconnected']);
    assert.equal(client.auth, null);
    // connect() tries again (and is refused again).
    const again = nextEvent(client, 'error');
    client.connect();
    await again;
    assert.deepEqual(statuses, ['connecting', 'disconnected', 'connecting', 'disconnected']);
  });
});
