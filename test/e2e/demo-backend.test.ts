/**
 * The demo site's backend over plain HTTP (no browser): the edges the browser tests don't reach.
 * It registers keys and publishes notices through the server's own /api/v1, so the core is the witness.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { io } from 'socket.io-client';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import type { CometServer } from '../../src/server/index.js';
import { startDemoServer } from './harness.js';

let server: CometServer;

before(async () => {
  server = await startDemoServer();
});
after(async () => {
  await server?.close();
});

async function logIn(login: string, pass = 'qwerty'): Promise<{ status: number; location: string | null; cookie?: string }> {
  const res = await fetch(`${server.url}/auth/login`, { method: 'POST', body: new URLSearchParams({ login, pass }), redirect: 'manual' });
  await res.arrayBuffer();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, location: res.headers.get('location'), ...(cookie ? { cookie } : {}) };
}

async function session(cookie?: string): Promise<{ user: null | { user_id: number; user_key: string; name: string; login: string } }> {
  const res = await fetch(`${server.url}/auth/session`, cookie ? { headers: { cookie } } : {});
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return res.json() as Promise<never>;
}

async function logOut(cookie?: string): Promise<Response> {
  const res = await fetch(`${server.url}/auth/logout`, { method: 'POST', redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
  await res.arrayBuffer();
  return res;
}

test('login registers the key through the API and announces the user in loginPipe; logout undoes both', async () => {
  // A widget's view of loginPipe: an anonymous subscriber.
  const watcher = io(server.url, { transports: ['websocket'], auth: { dev_id: '1' }, forceNew: true, reconnection: false });
  const notices: IncomingMessage[] = [];
  watcher.on('message', (m: IncomingMessage) => notices.push(m));
  const subscribed = await watcher.timeout(10_000).emitWithAck('subscribe', { pipes: ['loginPipe'] });
  assert.equal(subscribed.error, '');

  const dimon = await logIn('dimon');
  assert.equal(dimon.status, 303);
  assert.equal(dimon.location, '/auth/chat.html');
  const { user } = await session(dimon.cookie);
  assert.deepEqual({ ...user, user_key: undefined }, { user_id: 2, user_key: undefined, name: 'Димон', login: 'dimon' });
  assert.match(user!.user_key, /^[0-9a-f]{32}$/);
  assert.equal(await server.core.getUserKey('1', 2), user!.user_key);

  const out = await logOut(dimon.cookie);
  assert.equal(out.status, 303);
  assert.equal(out.headers.get('location'), '/auth/?bye=1');
  assert.match(out.headers.get('set-cookie') ?? '', /^demo_session=;.*Max-Age=0/);
  assert.equal(await server.core.getUserKey('1', 2), undefined);
  assert.deepEqual(await session(dimon.cookie), { user: null });

  for (let i = 0; i < 200 && notices.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  watcher.close();
  assert.deepEqual(
    notices.map((m) => [m.server_info.pipe, m.server_info.event, m.data]),
    [['loginPipe', 'userLogin', { name: 'Димон' }], ['loginPipe', 'userExit', { name: 'Димон' }]],
  );
});

test('two sessions of one user share the key until the last one logs out', async () => {
  const first = await logIn('kate');
  const second = await logIn('kate');
  const key = (await session(first.cookie)).user!.user_key;
  assert.equal((await session(second.cookie)).user!.user_key, key);
  await logOut(first.cookie);
  assert.equal(await server.core.getUserKey('1', 4), key);
  await logOut(second.cookie);
  assert.equal(await server.core.getUserKey('1', 4), undefined);
});

test('wrong credentials, unknown users and logouts without a session change nothing', async () => {
  for (const [login, pass] of [['masha', 'wrong'], ['nobody', 'qwerty'], ['', '']] as const) {
    const r = await logIn(login, pass);
    assert.equal(r.status, 303);
    assert.equal(r.location, '/auth/?error=1');
    assert.equal(r.cookie, undefined);
  }
  assert.equal(await server.core.getUserKey('1', 5), undefined);
  assert.equal((await logOut()).status, 303);
  assert.equal((await logOut('demo_session=forged')).status, 303);
});

test('oversized forms, wrong methods and the backend folder are refused', async () => {
  const big = await fetch(`${server.url}/auth/login`, { method: 'POST', body: `login=victor&pass=${'x'.repeat(10_000)}` });
  assert.equal(big.status, 413);
  await big.arrayBuffer();
  const get = await fetch(`${server.url}/auth/login`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  await get.arrayBuffer();
  const source = await fetch(`${server.url}/backend/index.js`);
  assert.equal(source.status, 404);
  await source.arrayBuffer();
});
