/**
 * The backend API end to end: a real server (createCometServer on a loopback port), real
 * socket.io clients as browsers, fetch as the backend.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import {
  APP2_SECRET,
  apiClient,
  type Client,
  type Comet,
  connect,
  next,
  startServer,
  subscribe,
} from './http-helpers.js';

let comet: Comet;
let api: ReturnType<typeof apiClient>;
const sockets: Client[] = [];

before(async () => {
  comet = await startServer();
  api = apiClient(comet.url, comet.app1Secret);
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});

after(async () => {
  await comet.close();
});

const anon = () => connect(comet.url, { dev_id: '1' }, sockets);

test('a backend publish reaches subscribers of the pipe and of pipe.event', async () => {
  const whole = await anon();
  const login = await anon();
  const exit = await anon();
  await subscribe(whole.socket, ['loginPipe']);
  await subscribe(login.socket, ['loginPipe.userLogin']);
  await subscribe(exit.socket, ['loginPipe.userExit']);
  const gotWhole = next(whole.socket, 'message');
  const gotLogin = next(login.socket, 'message');
  const gotExit = next(exit.socket, 'message');

  const res = await api('POST', '/pipes/loginPipe/messages', { event: 'userLogin', data: { name: 'Victor' } });
  assert.equal(res.status, 200);
  assert.equal(res.body.number_messages, 2);
  assert.ok(Number.isInteger(res.body.marker) && (res.body.marker as number) > 0);

  for (const msg of [await gotWhole, await gotLogin]) {
    assert.deepEqual(msg.data, { name: 'Victor' });
    assert.equal(msg.server_info.pipe, 'loginPipe');
    assert.equal(msg.server_info.event, 'userLogin');
    assert.equal(msg.server_info.user_id, 0);
    assert.equal(msg.server_info.history, false);
    assert.equal(msg.server_info.marker, res.body.marker);
  }
  // The userExit subscriber skipped userLogin: the first thing it gets is the userExit that follows.
  const second = await api('POST', '/pipes/loginPipe/messages', { event: 'userExit', data: { name: 'Victor' } });
  const exitMsg = await gotExit;
  assert.equal(exitMsg.server_info.event, 'userExit');
  assert.equal(exitMsg.server_info.marker, second.body.marker);
  assert.equal(second.body.number_messages, 2);

  // Without an event, it is `undefined` as in the seed; null is a valid payload.
  const plain = next(whole.socket, 'message');
  assert.equal((await api('POST', '/pipes/loginPipe/messages', { data: null })).status, 200);
  const plainMsg = await plain;
  assert.equal(plainMsg.server_info.event, 'undefined');
  assert.equal(plainMsg.data, null);
});

test('the backend may publish where browsers may not, but not into msg', async () => {
  const res = await api('POST', '/pipes/msg/messages', { data: 1 });
  assert.equal(res.status, 400);
  assert.equal(res.body.error, 'invalid_pipe');
  const big = await api('POST', '/pipes/web_big/messages', { data: 'x'.repeat(70 * 1024) });
  assert.equal(big.status, 413);
  assert.equal(big.body.error, 'too_large');
});

test('a user key registered over HTTP authorizes; removing it disconnects the user', async () => {
  assert.equal((await api('PUT', '/users/41/key', { key: 'key41abc', name: 'Alice' })).status, 200);
  assert.deepEqual((await api('GET', '/users/41/key')).body, { user_id: 41, key: 'key41abc' });

  const alice = await connect(comet.url, { dev_id: '1', user_id: 41, user_key: 'key41abc' }, sockets);
  assert.equal(alice.auth.authorized, true);
  assert.equal(alice.auth.user_id, 41);
  assert.equal(alice.auth.user_name, 'Alice');
  const wrong = await connect(comet.url, { dev_id: '1', user_id: 41, user_key: 'nope' }, sockets);
  assert.equal(wrong.auth.authorized, false);
  assert.equal(wrong.auth.reason, 'bad_key');

  assert.deepEqual((await api('GET', '/users/41/time')).body, { user_id: 41, time: 0 });

  const gone = new Promise<string>((resolve) => alice.socket.once('disconnect', resolve));
  assert.deepEqual((await api('DELETE', '/users/41/key')).body, { ok: true });
  assert.equal(await gone, 'io server disconnect');
  assert.equal((await api('GET', '/users/41/key')).status, 404);
  const again = await connect(comet.url, { dev_id: '1', user_id: 41, user_key: 'key41abc' }, sockets);
  assert.equal(again.auth.authorized, false);
});

test('a token issued over HTTP authorizes; revoked it is refused; unrevoked it works again', async () => {
  const issued = await api('POST', '/tokens', { user_id: 52, name: 'Bob', ttl_seconds: 600 });
  assert.equal(issued.status, 200);
  const token = issued.body.token as string;
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.ok((issued.body.expires as number) > Date.now() / 1000);

  const bob = await connect(comet.url, { dev_id: '1', token }, sockets);
  assert.deepEqual([bob.auth.authorized, bob.auth.user_id, bob.auth.user_name], [true, 52, 'Bob']);

  assert.deepEqual((await api('POST', '/tokens/revoke', { token })).body, { ok: true });
  assert.deepEqual((await api('POST', '/tokens/check', { token })).body, { revoked: true });
  const refused = await connect(comet.url, { dev_id: '1', token }, sockets);
  assert.equal(refused.auth.authorized, false);
  assert.equal(refused.auth.reason, 'revoked_token');

  await api('POST', '/tokens/unrevoke', { token });
  assert.deepEqual((await api('POST', '/tokens/check', { token })).body, { revoked: false });
  assert.equal((await connect(comet.url, { dev_id: '1', token }, sockets)).auth.authorized, true);

  // A token issued by app 2 is not one of app 1's.
  const foreign = await apiClient(comet.url, APP2_SECRET, '2')('POST', '/tokens', { user_id: 52 });
  const cross = await connect(comet.url, { dev_id: '1', token: foreign.body.token as string }, sockets);
  assert.equal(cross.auth.authorized, false);
});

test('GET /api/v1/apps/:app answers the app id for its secret and 401 for anything else, touching nothing', async () => {
  assert.deepEqual(await api('GET', ''), { status: 200, body: { app: '1' } });
  assert.deepEqual(await api('GET', '/'), { status: 200, body: { app: '1' } });
  assert.equal((await api('GET', '', undefined, 'wrong')).status, 401);
  assert.equal((await api('GET', '', undefined, APP2_SECRET)).status, 401);
  assert.equal((await apiClient(comet.url, comet.app1Secret, 'nope')('GET', '')).status, 401);
  assert.equal((await api('POST', '')).status, 405);
});

test("secrets: wrong → 401, another app's secret cannot act on this app", async () => {
  assert.equal((await api('POST', '/pipes/web_chat/messages', { data: 1 }, 'wrong')).status, 401);
  assert.equal((await api('POST', '/pipes/web_chat/messages', { data: 1 }, APP2_SECRET)).status, 401);
  assert.equal((await api('PUT', '/users/1/key', { key: 'abc' }, APP2_SECRET)).status, 401);
  const app2 = apiClient(comet.url, APP2_SECRET, '2');
  assert.equal((await app2('GET', '/webhook', undefined, comet.app1Secret)).status, 401);
  assert.equal((await app2('GET', '/webhook')).status, 200);
});

test('history pages back with before, catches up with after', async () => {
  const markers: number[] = [];
  for (let i = 1; i <= 5; i++) {
    markers.push((await api('POST', '/pipes/web_hist/messages', { data: { i } })).body.marker as number);
  }
  const page = async (query: string): Promise<IncomingMessage[]> => {
    const res = await api('GET', `/pipes/web_hist/messages${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.messages as IncomingMessage[];
  };
  const all = await page('');
  assert.deepEqual(
    all.map((m) => m.server_info.marker),
    markers,
  );
  assert.ok(all.every((m) => m.server_info.history));
  const last2 = await page('?limit=2');
  assert.deepEqual(
    last2.map((m) => (m.data as { i: number }).i),
    [4, 5],
  );
  const earlier = await page(`?limit=2&before=${markers[3]}`);
  assert.deepEqual(
    earlier.map((m) => (m.data as { i: number }).i),
    [2, 3],
  );
  const newer = await page(`?after=${markers[2]}`);
  assert.deepEqual(
    newer.map((m) => (m.data as { i: number }).i),
    [4, 5],
  );
});

test('pipe settings: length set, applied, reset', async () => {
  assert.deepEqual((await api('GET', '/pipes/web_set/settings')).body, { pipe: 'web_set', length: 100 });
  assert.deepEqual((await api('GET', '/pipes/backendOnly/settings')).body, { pipe: 'backendOnly', length: 0 });
  assert.deepEqual((await api('PUT', '/pipes/web_set/settings', { length: 3 })).body, { pipe: 'web_set', length: 3 });
  for (let i = 1; i <= 5; i++) await api('POST', '/pipes/web_set/messages', { data: i });
  const kept = (await api('GET', '/pipes/web_set/messages')).body.messages as IncomingMessage[];
  assert.deepEqual(
    kept.map((m) => m.data),
    [3, 4, 5],
  );
  assert.equal((await api('PUT', '/pipes/web_set/settings', { length: 1001 })).status, 400);
  assert.deepEqual((await api('DELETE', '/pipes/web_set/settings')).body, { pipe: 'web_set', length: 100 });
  assert.deepEqual((await api('GET', '/pipes/web_set/messages')).body.messages, []);
});

test('a ban makes browser publishes fail with banned, until lifted', async () => {
  await api('PUT', '/users/61/key', { key: 'key61' });
  const carol = await connect(comet.url, { dev_id: '1', user_id: 61, user_key: 'key61' }, sockets);
  assert.equal(carol.auth.authorized, true);
  const publish = (pipe: string) => carol.socket.emitWithAck('publish', { pipe, data: { text: 'hi' } });
  assert.equal((await publish('web_ban')).error, '');

  assert.deepEqual((await api('POST', '/bans', { user_id: 61 })).body, { ok: true });
  assert.equal((await publish('web_ban')).error, 'banned');
  assert.equal((await publish('web_other')).error, 'banned');
  await api('POST', '/bans/lift', { user_id: 61 });
  assert.equal((await publish('web_ban')).error, '');

  await api('POST', '/bans', { user_id: 61, pipe: 'web_ban' });
  assert.equal((await publish('web_ban')).error, 'banned');
  assert.equal((await publish('web_other')).error, '');
  await api('POST', '/bans/lift', { user_id: 61, pipe: 'web_ban' });
  assert.equal((await publish('web_ban')).error, '');

  // One connection, by its id.
  const anonSocket = (await anon()).socket;
  await api('POST', '/bans', { conn_id: anonSocket.id });
  assert.equal((await anonSocket.emitWithAck('publish', { pipe: 'web_ban', data: 1 })).error, 'banned');
});

test('delete removes a message from history and tells subscribers', async () => {
  const viewer = await anon();
  await subscribe(viewer.socket, ['web_del']);
  const got = next(viewer.socket, 'message');
  const { marker } = (await api('POST', '/pipes/web_del/messages', { data: 'oops' })).body as { marker: number };
  await got;
  const notice = next(viewer.socket, 'delete');
  assert.deepEqual((await api('DELETE', `/pipes/web_del/messages/${marker}`)).body, {
    pipe: 'web_del',
    marker,
    stored: true,
  });
  assert.deepEqual(await notice, { pipe: 'web_del', marker });
  assert.deepEqual((await api('GET', '/pipes/web_del/messages')).body.messages, []);
  assert.equal((await api('DELETE', `/pipes/web_del/messages/${marker}`)).body.stored, false);
});

test('a backend edits any message, and reads who reacted and how far readers have seen a pipe', async () => {
  const author = await anon();
  const viewer = await anon();
  await subscribe(viewer.socket, ['web_life']);
  await subscribe(author.socket, ['web_life']);
  const report = await author.socket.emitWithAck('publish', { pipe: 'web_life', data: { text: 'typo' } });
  const marker = report.marker!;
  const edited = next(viewer.socket, 'edit');
  const res = await api('PATCH', `/pipes/web_life/messages/${marker}`, { data: { text: 'fixed' } });
  assert.equal(res.status, 200);
  const when = res.body.edited as number;
  assert.deepEqual(res.body, { pipe: 'web_life', marker, edited: when });
  assert.deepEqual(await edited, { pipe: 'web_life', marker, data: { text: 'fixed' }, edited: when });
  const [kept] = (await api('GET', '/pipes/web_life/messages')).body.messages as IncomingMessage[];
  assert.deepEqual(kept.data, { text: 'fixed' });
  assert.equal(kept.server_info.edited, when);

  assert.equal(
    (await viewer.socket.emitWithAck('react', { pipe: 'web_life', marker, emoji: '😂', on: true })).error,
    '',
  );
  assert.deepEqual((await api('GET', `/pipes/web_life/messages/${marker}/reactors`)).body, {
    reactors: { '😂': [{ user_id: 0 }] },
    reactions: { '😂': 1 },
  });
  const read = (await viewer.socket.emitWithAck('read', { pipe: 'web_life', marker })) as { error: string };
  assert.equal(read.error, '');
  assert.deepEqual((await api('GET', '/pipes/web_life/readers')).body, {
    readers: [{ reader: viewer.auth.reader, user_id: 0, marker }],
  });

  assert.equal((await api('PATCH', '/pipes/web_life/messages/999999', { data: 1 })).status, 404);
  assert.equal((await api('GET', '/pipes/web_life/messages/999999/reactors')).status, 404);
  assert.equal((await api('PATCH', `/pipes/web_life/messages/${marker}`, {})).status, 400);
  assert.equal((await api('PATCH', `/pipes/web_life/messages/${marker}`, { data: 1, extra: 2 })).status, 400);
});

test('personal messages reach every connection of the user, or wait for them', async () => {
  await api('PUT', '/users/71/key', { key: 'key71' });
  const tabs = [
    await connect(comet.url, { dev_id: '1', user_id: 71, user_key: 'key71' }, sockets),
    await connect(comet.url, { dev_id: '1', user_id: 71, user_key: 'key71' }, sockets),
  ];
  const got = tabs.map((t) => next(t.socket, 'message'));
  const res = await api('POST', '/users/71/messages', { event: 'notice', data: { text: 'shipped' } });
  assert.deepEqual(res.body, { delivered: 2, queued: false });
  for (const msg of await Promise.all(got)) {
    assert.equal(msg.server_info.pipe, 'msg');
    assert.equal(msg.server_info.event, 'notice');
    assert.deepEqual(msg.data, { text: 'shipped' });
  }
  assert.equal((await api('GET', '/users/72/time')).body.time, -1);
  assert.deepEqual((await api('POST', '/users/72/messages', { data: 'later' })).body, { delivered: 0, queued: true });
});

test('pipe stats and presence', async () => {
  await api('PUT', '/users/81/key', { key: 'key81', name: 'Dan' });
  const dan = await connect(comet.url, { dev_id: '1', user_id: 81, user_key: 'key81' }, sockets);
  const stranger = await anon();
  await subscribe(dan.socket, ['web_room']);
  await subscribe(stranger.socket, ['web_room.typing']);
  assert.deepEqual((await api('GET', '/pipes/web_room')).body, { pipe: 'web_room', users: 2 });
  const presence = (await api('GET', '/pipes/web_room/presence')).body as { count: number; users: unknown[] };
  assert.equal(presence.count, 2);
  assert.deepEqual(
    [...presence.users].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [{ user_id: 0 }, { user_id: 81, user_name: 'Dan' }],
  );
});

test('webhook URL get / set / delete', async () => {
  assert.deepEqual((await api('GET', '/webhook')).body, { url: null });
  // A reserved name: nothing is ever sent there.
  assert.deepEqual((await api('PUT', '/webhook', { url: 'https://hooks.example/comet' })).body, {
    url: 'https://hooks.example/comet',
  });
  assert.deepEqual((await api('GET', '/webhook')).body, { url: 'https://hooks.example/comet' });
  assert.deepEqual((await api('DELETE', '/webhook')).body, { url: null });
  assert.deepEqual((await api('GET', '/webhook')).body, { url: null });
});

test('/healthz and /metrics after traffic', async () => {
  const health = await fetch(`${comet.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok', store: 'ok' });
  const viewer = await anon();
  await subscribe(viewer.socket, ['web_metrics']);
  await api('POST', '/pipes/web_metrics/messages', { data: 1 });
  const res = await fetch(`${comet.url}/metrics`);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const value = (series: string): number =>
    Number(/\s(\d+)$/.exec(text.split('\n').find((l) => l.startsWith(series + ' ')) ?? '')?.[1]);
  assert.ok(value('comet_connections') >= 1);
  assert.ok(value('comet_messages_in_total{app="1"}') >= 1);
  assert.ok(value('comet_messages_out_total') >= 1);
  assert.equal(value('comet_pipe_subscribers{app="1",pipe="web_metrics"}'), 1);
  assert.ok(value('comet_errors_total{code="banned"}') >= 1);
});

test('the PHP client of docs/http-api.md works against the server', async () => {
  const doc = readFileSync(new URL('../../docs/http-api.md', import.meta.url), 'utf8');
  const block = /From PHP, no extension[\s\S]*?```php\n<\?php\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'the PHP example is in the doc');
  const viewer = await anon();
  await subscribe(viewer.socket, ['loginPipe.userLogin']);
  const got = next(viewer.socket, 'message');
  const ok = await php(block, { COMET_URL: comet.url, COMET_SECRET: comet.app1Secret });
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.equal(ok.stdout, '1');
  const msg = await got;
  assert.deepEqual(msg.data, { name: 'Victor' });
  assert.equal(msg.server_info.event, 'userLogin');
  assert.deepEqual((await api('GET', '/users/7/key')).body, { user_id: 7, key: 'b5c9a2f0d4e1' });
  const refused = await php(block, { COMET_URL: comet.url, COMET_SECRET: 'wrong' });
  assert.notEqual(refused.status, 0);
  assert.match(refused.stdout + refused.stderr, /comet: 401 unauthorized: unknown app or wrong secret/);
});

/** Runs PHP code asynchronously (the server under test lives in this process, so never spawnSync). */
function php(
  code: string,
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('php', ['-r', code], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
