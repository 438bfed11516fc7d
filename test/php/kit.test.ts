/**
 * The PHP kit (integrations/php) run by php-cli against a real server: every call, checked from
 * the other side by real socket.io clients; and the failures a backend meets: a wrong secret, an
 * unknown app, a server that is down or never answers, a peer that is not the server.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { DeleteNotice } from '../../src/protocol/wire.js';
import { verifyToken } from '../../src/server/core/tokens.js';
import { nextEvent, request, subscribe, useServer, waitForMessage, disconnected } from '../server/socket-helpers.js';

const DRIVER = fileURLToPath(new URL('./fixtures/kit-calls.php', import.meta.url));
const APP2_SECRET = 'second-app-secret-for-the-php-kit';

type Outcome = {
  ok?: unknown;
  error?: { status: number; error: string; message: string; class: string };
  seconds: number;
};

/** Runs calls through the kit in one php-cli process; one outcome per call. */
function php(job: {
  server: string;
  devId?: string;
  secret: string;
  timeout?: number;
  calls: [string, unknown[]][];
}): Promise<Outcome[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('php', [DRIVER], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`php failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as Outcome[]);
      } catch {
        reject(new Error(`php printed no JSON: ${stdout}\n${stderr}`));
      }
    });
    child.stdin!.end(JSON.stringify({ devId: '1', ...job }));
  });
}

async function one(job: Parameters<typeof php>[0]): Promise<Outcome> {
  const [outcome] = await php(job);
  return outcome;
}

function ok<T>(outcome: Outcome): T {
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  return outcome.ok as T;
}

describe('the PHP kit against a real server', () => {
  const env = useServer({ apps: [{ id: '2', secret: APP2_SECRET, origins: '*' }] });
  const kit = (calls: [string, unknown[]][]) => php({ server: env.server.url, secret: env.server.app1Secret, calls });

  it('check() answers the app id; wrong secret and unknown app are one 401 that never shows the secret', async () => {
    assert.equal(ok(await one({ server: env.server.url, secret: env.server.app1Secret, calls: [['check', []]] })), '1');
    for (const job of [
      { secret: 'not-the-secret-0123', devId: '1' },
      { secret: APP2_SECRET, devId: '1' },
      { secret: env.server.app1Secret, devId: 'nosuchapp' },
    ]) {
      const { error } = await one({
        server: env.server.url,
        ...job,
        calls: [['publish', ['web_x', null, { text: 'hi' }]]],
      });
      assert.equal(error?.class, 'CometChat\\CometChatException');
      assert.equal(error?.status, 401);
      assert.equal(error?.error, 'unauthorized');
      assert.ok(!error.message.includes(job.secret), 'the secret is not in the message');
    }
  });

  it('publish() reaches subscribers with the event and data; history() and presence() read the pipe', async () => {
    const reader = await env.client();
    await subscribe(reader, 'web_kit');
    const [sent, plain, history, presence] = await kit([
      ['publish', ['web_kit', 'chat', { text: 'Привет from PHP', n: 1.0 }]],
      ['publish', ['web_kit', null, { text: 'second' }]],
      ['history', ['web_kit', 10]],
      ['presence', ['web_kit']],
    ]);
    const report = ok<{ marker: number; number_messages: number }>(sent);
    assert.equal(report.number_messages, 1);
    const live = await waitForMessage(reader, (m) => m.server_info.marker === report.marker);
    assert.deepEqual(live.data, { text: 'Привет from PHP', n: 1.0 });
    assert.equal(live.server_info.event, 'chat');
    assert.equal(live.server_info.user_id, 0);
    const second = await waitForMessage(reader, (m) => m.server_info.marker === ok<{ marker: number }>(plain).marker);
    assert.equal(second.server_info.event, 'undefined', 'no event: the seed\'s "undefined"');

    const stored = ok<{ data: unknown; server_info: { marker: number; history: boolean } }[]>(history);
    assert.deepEqual(
      stored.map((m) => m.data),
      [{ text: 'Привет from PHP', n: 1.0 }, { text: 'second' }],
    );
    assert.ok(stored.every((m) => m.server_info.history));
    assert.deepEqual(ok(presence), { count: 1, users: [{ user_id: 0 }] });

    const [older] = await kit([['history', ['web_kit', 10, stored[1].server_info.marker]]]);
    assert.deepEqual(
      ok<{ data: unknown }[]>(older).map((m) => m.data),
      [{ text: 'Привет from PHP', n: 1.0 }],
    );
  });

  it("userToken() is signed in PHP with the server's claims: it authorizes a browser, stamped with the name", async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = ok<string>(
      await one({
        server: env.server.url,
        secret: env.server.app1Secret,
        calls: [['userToken', [42, 'Ольга «admin»', 600]]],
      }),
    );
    const check = await verifyToken(env.server.app1Secret, token, before);
    assert.ok(check.ok);
    assert.equal(check.claims.user_id, 42);
    assert.equal(check.claims.name, 'Ольга «admin»');
    assert.ok(check.claims.exp >= before + 600 && check.claims.exp <= before + 602);
    assert.equal((await verifyToken(APP2_SECRET, token, before)).ok, false, "another app's secret does not verify it");

    const olga = await env.client({ dev_id: '1', token });
    assert.deepEqual(olga.auth, { authorized: true, user_id: 42, user_name: 'Ольга «admin»' });
    const reader = await env.client();
    await subscribe(reader, 'web_tok');
    const report = await request<{ marker: number }>(olga, 'publish', {
      pipe: 'web_tok',
      data: { text: 'hi', name: 'Someone else' },
    });
    const seen = await waitForMessage(reader, (m) => m.server_info.marker === report.marker);
    assert.equal(seen.server_info.user_id, 42);
    assert.equal(seen.server_info.user_name, 'Ольга «admin»');

    const forged = ok<string>(
      await one({
        server: env.server.url,
        secret: APP2_SECRET,
        devId: '2',
        calls: [['userToken', [42, 'Ольга «admin»', 600]]],
      }),
    );
    const impostor = await env.client({ dev_id: '1', token: forged });
    assert.deepEqual([impostor.auth.authorized, impostor.auth.user_id], [false, 0]);
  });

  it('setUserKey() authorizes user-id + user-key with a name; removeUserKey() closes their connections', async () => {
    ok(
      await one({
        server: env.server.url,
        secret: env.server.app1Secret,
        calls: [['setUserKey', [7, 'b5c9a2f0d4e1', 'Victor']]],
      }),
    );
    const victor = await env.client({ dev_id: '1', user_id: 7, user_key: 'b5c9a2f0d4e1' });
    assert.deepEqual(victor.auth, { authorized: true, user_id: 7, user_name: 'Victor' });
    const gone = disconnected(victor);
    ok(await one({ server: env.server.url, secret: env.server.app1Secret, calls: [['removeUserKey', [7]]] }));
    await gone;
    const again = await env.client({ dev_id: '1', user_id: 7, user_key: 'b5c9a2f0d4e1' });
    assert.equal(again.auth.authorized, false);
  });

  it('sendToUser() delivers a personal message, and queues it while the user is offline', async () => {
    ok(
      await one({
        server: env.server.url,
        secret: env.server.app1Secret,
        calls: [['setUserKey', [8, 'key8', 'Kate']]],
      }),
    );
    const kate = await env.client({ dev_id: '1', user_id: 8, user_key: 'key8' });
    const [online] = await kit([['sendToUser', [8, 'notice', { text: 'order shipped' }]]]);
    assert.deepEqual(ok(online), { delivered: 1, queued: false });
    const got = await waitForMessage(kate, (m) => m.server_info.pipe === 'msg');
    assert.deepEqual([got.server_info.event, got.data], ['notice', { text: 'order shipped' }]);
    kate.close();
    const [offline] = await kit([['sendToUser', [9, null, { text: 'later' }]]]);
    assert.deepEqual(ok(offline), { delivered: 0, queued: true });
  });

  it("ban() refuses a user's messages in that pipe until unban(); deleteMessage() removes one live", async () => {
    const token = ok<string>(
      await one({ server: env.server.url, secret: env.server.app1Secret, calls: [['userToken', [55, 'Troll']]] }),
    );
    const troll = await env.client({ dev_id: '1', token });
    const reader = await env.client();
    await subscribe(reader, 'web_mod');
    ok((await kit([['ban', [55, 'web_mod', 600]]]))[0]);
    const refused = await request<{ error: string }>(troll, 'publish', { pipe: 'web_mod', data: { text: 'spam' } });
    assert.equal(refused.error, 'banned');
    const elsewhere = await request<{ error: string }>(troll, 'publish', { pipe: 'web_other', data: { text: 'fine' } });
    assert.equal(elsewhere.error, '', 'a pipe ban stays in its pipe');
    ok((await kit([['unban', [55, 'web_mod']]]))[0]);
    const report = await request<{ error: string; marker: number }>(troll, 'publish', {
      pipe: 'web_mod',
      data: { text: 'sorry' },
    });
    assert.equal(report.error, '');

    const deleted = nextEvent<DeleteNotice>(reader, 'delete');
    const [removed, removedAgain, history] = await kit([
      ['deleteMessage', ['web_mod', report.marker]],
      ['deleteMessage', ['web_mod', report.marker]],
      ['history', ['web_mod']],
    ]);
    assert.equal(ok(removed), true);
    assert.equal(ok(removedAgain), false, 'history no longer had it');
    assert.deepEqual(await deleted, { pipe: 'web_mod', marker: report.marker });
    assert.deepEqual(ok(history), []);

    const appWide = await kit([
      ['ban', [55]],
      ['unban', [55]],
    ]);
    appWide.forEach((o) => ok(o));
  });

  it('request() reaches the calls without a method; server refusals carry status and error code', async () => {
    const [setHook, getHook, intoMsg, tooLarge, unknownField] = await kit([
      ['request', ['PUT', '/webhook', { url: 'https://example.com/hook' }]],
      ['request', ['GET', '/webhook']],
      ['publish', ['msg', null, { text: 'x' }]],
      ['publish', ['web_big', null, { text: 'x'.repeat(70 * 1024) }]],
      ['request', ['PUT', '/pipes/web_kit/settings', { lenght: 5 }]],
    ]);
    assert.deepEqual(ok(setHook), { url: 'https://example.com/hook' });
    assert.deepEqual(ok(getHook), { url: 'https://example.com/hook' });
    assert.deepEqual([intoMsg.error?.status, intoMsg.error?.error], [400, 'invalid_pipe']);
    assert.deepEqual([tooLarge.error?.status, tooLarge.error?.error], [413, 'too_large']);
    assert.deepEqual([unknownField.error?.status, unknownField.error?.error], [400, 'invalid']);
    assert.match(unknownField.error!.message, /^comet-chat: 400 invalid: /);
  });

  it('refuses bad arguments before sending anything (status 0, "invalid")', async () => {
    const outcomes = await kit([
      ['publish', ['no spaces', null, 1]],
      ['publish', ['web_x', 'bad event!', 1]],
      ['userToken', [0, 'x']],
      ['userToken', [1, ' padded ']],
      ['userToken', [1, 'x', 0]],
      ['setUserKey', [1, 'not a key!']],
      ['history', ['web_x', 500]],
      ['ban', [1, null, 0]],
    ]);
    for (const o of outcomes) assert.deepEqual([o.error?.status, o.error?.error], [0, 'invalid'], JSON.stringify(o));
    const bad = await one({ server: 'ftp://example.com', secret: 's', calls: [['check', []]] });
    assert.deepEqual([bad.error?.status, bad.error?.error], [0, 'invalid']);
  });

  it('fitName() makes any display name one the server takes', async () => {
    const outcomes = await kit([
      ['fitName', ['  Olga\u202Eevil\u0007 ']],
      ['fitName', ['x'.repeat(80)]],
      ['fitName', ['😀'.repeat(40)]],
      ['fitName', ['\u200c\u0645\u200c']],
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.ok),
      ['Olgaevil', 'x'.repeat(64), '😀'.repeat(32), '\u200c\u0645\u200c'],
    );
  });
});

describe('the PHP kit when the server is not there', () => {
  let silent: Server;
  let notComet: ReturnType<typeof createHttpServer>;
  const held: Socket[] = [];
  const portOf = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;

  before(async () => {
    // Accepts connections and never answers: a hung server.
    silent = createTcpServer((socket) => held.push(socket));
    notComet = createHttpServer((_req, res) =>
      res.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>Bad gateway</h1>'),
    );
    await Promise.all([
      new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)),
      new Promise<void>((r) => notComet.listen(0, '127.0.0.1', r)),
    ]);
  });
  after(async () => {
    held.forEach((s) => s.destroy());
    await Promise.all([new Promise((r) => silent.close(r)), new Promise((r) => notComet.close(r))]);
  });

  it('a closed port fails at once with status 0 "unreachable"', async () => {
    const port = await freePort();
    const o = await one({ server: `http://127.0.0.1:${port}`, secret: 'secret', timeout: 3, calls: [['check', []]] });
    assert.deepEqual([o.error?.status, o.error?.error], [0, 'unreachable']);
    assert.ok(o.seconds < 2, `took ${o.seconds} s`);
  });

  it('a server that never answers fails within the timeout with "timeout", every call of a run', async () => {
    const outcomes = await php({
      server: `http://127.0.0.1:${portOf(silent)}`,
      secret: 'secret',
      timeout: 0.6,
      calls: [
        ['check', []],
        ['publish', ['loginPipe', 'userLogin', { name: 'x' }]],
      ],
    });
    for (const o of outcomes) {
      assert.deepEqual([o.error?.status, o.error?.error], [0, 'timeout']);
      assert.ok(o.seconds >= 0.5 && o.seconds < 1.5, `took ${o.seconds} s`);
    }
  });

  it('an answer that is not the server\'s JSON is "bad_response" with its status', async () => {
    const o = await one({ server: `http://127.0.0.1:${portOf(notComet)}`, secret: 'secret', calls: [['check', []]] });
    assert.deepEqual([o.error?.status, o.error?.error], [502, 'bad_response']);
  });
});

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
