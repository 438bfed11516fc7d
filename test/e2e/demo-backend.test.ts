/**
 * The demo site's backend over plain HTTP (no browser): the edges the browser tests don't reach.
 * It registers keys and publishes notices through the server's own /api/v1, so the core is the witness.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { io } from 'socket.io-client';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import { useDemo } from './harness.js';

const demo = useDemo({ browser: false });

async function logIn(
  login: string,
  pass = 'qwerty',
  headers: Record<string, string> = {},
): Promise<{ status: number; location: string | null; cookie?: string }> {
  const res = await fetch(`${demo.server.url}/auth/login`, {
    method: 'POST',
    body: new URLSearchParams({ login, pass }),
    redirect: 'manual',
    headers,
  });
  await res.arrayBuffer();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, location: res.headers.get('location'), ...(cookie ? { cookie } : {}) };
}

async function session(
  cookie?: string,
): Promise<{ user: null | { user_id: number; user_key: string; name: string; login: string } }> {
  const res = await fetch(`${demo.server.url}/auth/session`, cookie ? { headers: { cookie } } : {});
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return res.json() as Promise<never>;
}

async function logOut(cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${demo.server.url}/auth/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, ...(cookie ? { cookie } : {}) },
  });
  await res.arrayBuffer();
  return res;
}

test('login registers the key through the API and announces the user in loginPipe; logout undoes both', async () => {
  // A widget's view of loginPipe: an anonymous subscriber.
  const watcher = io(demo.server.url, {
    transports: ['websocket'],
    auth: { dev_id: '1' },
    forceNew: true,
    reconnection: false,
  });
  const notices: IncomingMessage[] = [];
  watcher.on('message', (m: IncomingMessage) => notices.push(m));
  const subscribed = (await watcher.timeout(10_000).emitWithAck('subscribe', { pipes: ['loginPipe'] })) as {
    error: string;
  };
  assert.equal(subscribed.error, '');

  const dimon = await logIn('dimon');
  assert.equal(dimon.status, 303);
  assert.equal(dimon.location, '/auth/chat.html');
  const { user } = await session(dimon.cookie);
  assert.deepEqual(
    { ...user, user_key: undefined },
    { user_id: 2, user_key: undefined, name: 'Димон', login: 'dimon' },
  );
  assert.match(user!.user_key, /^[0-9a-f]{32}$/);
  assert.equal(await demo.server.core.getUserKey('1', 2), user!.user_key);

  const out = await logOut(dimon.cookie);
  assert.equal(out.status, 303);
  assert.equal(out.headers.get('location'), '/auth/?bye=1');
  assert.match(out.headers.get('set-cookie') ?? '', /^demo_session=;.*Max-Age=0/);
  assert.equal(await demo.server.core.getUserKey('1', 2), undefined);
  assert.deepEqual(await session(dimon.cookie), { user: null });

  for (let i = 0; i < 200 && notices.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  watcher.close();
  assert.deepEqual(
    notices.map((m) => [m.server_info.pipe, m.server_info.event, m.data]),
    [
      ['loginPipe', 'userLogin', { name: 'Димон' }],
      ['loginPipe', 'userExit', { name: 'Димон' }],
    ],
  );
});

test('two sessions of one user share the key until the last one logs out', async () => {
  const first = await logIn('kate');
  const second = await logIn('kate');
  const key = (await session(first.cookie)).user!.user_key;
  assert.equal((await session(second.cookie)).user!.user_key, key);
  await logOut(first.cookie);
  assert.equal(await demo.server.core.getUserKey('1', 4), key);
  await logOut(second.cookie);
  assert.equal(await demo.server.core.getUserKey('1', 4), undefined);
});

test('wrong credentials, unknown users and logouts without a session change nothing', async () => {
  for (const [login, pass] of [
    ['masha', 'wrong'],
    ['nobody', 'qwerty'],
    ['', ''],
  ] as const) {
    const r = await logIn(login, pass);
    assert.equal(r.status, 303);
    assert.equal(r.location, '/auth/?error=1');
    assert.equal(r.cookie, undefined);
  }
  assert.equal(await demo.server.core.getUserKey('1', 5), undefined);
  assert.equal((await logOut()).status, 303);
  assert.equal((await logOut('demo_session=forged')).status, 303);
});

test('oversized forms, wrong methods and the backend folder are refused', async () => {
  const big = await fetch(`${demo.server.url}/auth/login`, {
    method: 'POST',
    body: `login=victor&pass=${'x'.repeat(10_000)}`,
  });
  assert.equal(big.status, 413);
  await big.arrayBuffer();
  const get = await fetch(`${demo.server.url}/auth/login`);
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  await get.arrayBuffer();
  const source = await fetch(`${demo.server.url}/backend/index.js`);
  assert.equal(source.status, 404);
  await source.arrayBuffer();
});

test('a login over a live session ends that session, so its key does not outlive the last logout', async () => {
  const kate = await logIn('kate');
  const kateKey = (await session(kate.cookie)).user!.user_key;
  const victor = await logIn('victor', 'qwerty', { cookie: kate.cookie! });
  assert.deepEqual(await session(kate.cookie), { user: null }, 'the old session id is dead');
  assert.equal(await demo.server.core.getUserKey('1', 4), undefined, "kate's key went with her only session");
  assert.notEqual((await session(victor.cookie)).user!.user_key, kateKey);
  await logOut(victor.cookie);
  assert.equal(await demo.server.core.getUserKey('1', 1), undefined);
});

test('logins and logouts posted by a page of another origin are refused', async () => {
  const foreign = { origin: 'https://evil.example' };
  const forced = await logIn('masha', 'qwerty', foreign);
  assert.equal(forced.status, 403);
  assert.equal(forced.cookie, undefined);
  assert.equal(await demo.server.core.getUserKey('1', 5), undefined);
  assert.equal((await logIn('masha', 'qwerty', { origin: 'null' })).status, 403);

  const masha = await logIn('masha', 'qwerty', { origin: demo.server.url });
  assert.equal(masha.status, 303, 'a form on the demo site itself is fine');
  assert.equal((await logOut(masha.cookie, foreign)).status, 403);
  assert.equal((await session(masha.cookie)).user?.login, 'masha', 'still logged in');
  // Behind a proxy that rewrites Host, the browser's host arrives as X-Forwarded-Host.
  const proxied = { origin: 'https://chat.example.com', 'x-forwarded-host': 'chat.example.com' };
  assert.equal((await logOut(masha.cookie, proxied)).status, 303);
  assert.equal(await demo.server.core.getUserKey('1', 5), undefined);
});

test('past its session limit the backend logs the oldest session out, key included', async () => {
  // The demo's own backend module on a site server of its own, talking to the chat server's /api/v1.
  const { createDemoBackend } = (await import(new URL('../../demo/backend/index.js', import.meta.url).href)) as {
    createDemoBackend: (o: {
      secret: string;
      apiUrl: string;
      maxSessions: number;
    }) => (req: unknown, res: unknown) => Promise<boolean>;
  };
  const backend = createDemoBackend({ secret: demo.server.app1Secret, apiUrl: demo.server.url, maxSessions: 2 });
  const site = createServer((req, res) => void backend(req, res));
  await new Promise<void>((done) => site.listen(0, '127.0.0.1', done));
  const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const logInAt = async (login: string): Promise<string> => {
    const res = await fetch(`${siteUrl}/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ login, pass: 'qwerty' }),
      redirect: 'manual',
    });
    await res.arrayBuffer();
    return res.headers.get('set-cookie')!.split(';')[0];
  };
  try {
    await logInAt('dimon');
    await logInAt('kate');
    assert.ok(await demo.server.core.getUserKey('1', 2));
    await logInAt('olga');
    assert.equal(
      await demo.server.core.getUserKey('1', 2),
      undefined,
      "dimon's session was dropped, and his key with it",
    );
    assert.ok(await demo.server.core.getUserKey('1', 4));
    assert.ok(await demo.server.core.getUserKey('1', 3));
  } finally {
    site.closeAllConnections();
    await new Promise((done) => site.close(done));
  }
});
