import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CometServerApi, resolveNode, type CompatMessage, type CompatReport } from '../../src/compat/index.js';
import { startServer, type CometServerHandle } from './facade-support.js';

/** Re-checks `check` every few ms until it holds (the test's own timeout bounds it). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe('CometServerApi facade (Node, real server)', { timeout: 30_000 }, () => {
  let server: CometServerHandle;
  const apis: CometServerApi[] = [];
  const started = async (options: Record<string, unknown> = {}) => {
    const api = new CometServerApi(server.url);
    apis.push(api);
    api.start({ dev_id: 1, ...options });
    await api.getClient()!.ready();
    return api;
  };
  const present = async (pipe: string, n: number) => {
    while ((await server.core.presence('1', pipe)).count < n) await new Promise((r) => setTimeout(r, 10));
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const api of apis) api.stop();
    await server.close();
  });

  test('"#pipe" gets the delivery report nested and flat; subscriptions made before start() work', async () => {
    const reader = new CometServerApi(server.url);
    apis.push(reader);
    const got: CompatMessage[] = [];
    reader.subscription('web_f_chat', (m) => got.push(m));
    reader.start({ dev_id: 1 });
    await present('web_f_chat', 1);

    const sender = await started();
    const reports: CompatReport[] = [];
    assert.ok(sender.subscription('#web_f_chat', (p) => reports.push(p as CompatReport)));
    assert.equal(sender.web_pipe_send('web_f_chat', { text: 'hi', name: 'A' }), true);
    await until(() => reports.length === 1 && got.length === 1);
    const [report] = reports;
    assert.deepEqual(report.data, { number_messages: 1, error: '' });
    assert.equal(report.number_messages, 1);
    assert.equal(report.error, '');
    assert.equal(report.server_info.pipe, '_answer_to_web_f_chat');
    assert.deepEqual(got[0].data, { text: 'hi', name: 'A' });
    assert.equal(got[0].server_info.pipe, 'web_f_chat');
    assert.equal(got[0].server_info.event, 'undefined');
    assert.equal(got[0].server_info.history, false);
  });

  test('a refused send reports its error code to "#pipe" (also spelled "_answer_to_pipe")', async () => {
    const sender = await started();
    const reports: CompatReport[] = [];
    sender.subscription('_answer_to_loginPipe', (p) => reports.push(p as CompatReport));
    sender.web_pipe_send('loginPipe', 'userLogin', { name: 'fake' });
    await until(() => reports.length === 1);
    assert.equal(reports[0].error, 'forbidden');
    assert.equal(reports[0].data.number_messages, 0);
  });

  test('"pipe.event" callbacks get only their event; "pipe" callbacks get all; unsubscription stops one', async () => {
    const reader = await started();
    const logins: unknown[] = [];
    const all: string[] = [];
    const gone: unknown[] = [];
    reader.subscription('web_f_login.userLogin', (m) => logins.push(m.data));
    reader.subscription('web_f_login', (m) => all.push(m.server_info.event));
    const goneId = reader.subscription('web_f_login', (m) => gone.push(m.data));
    assert.equal(typeof goneId, 'string');
    assert.equal(reader.unsubscription(goneId as string), true);
    assert.equal(reader.unsubscription(goneId as string), false);
    await present('web_f_login', 1);

    const sender = await started();
    let reports = 0;
    sender.subscription('#web_f_login', () => reports++);
    sender.web_pipe_send('web_f_login', 'userExit', { name: 'Оля' });
    sender.web_pipe_send('web_f_login.userLogin', { name: 'Катя' });
    await until(() => reports === 2);
    await server.core.publish('1', 'web_f_login', 'userLogin', { name: 'Маша' });
    await until(() => all.length === 3);
    assert.deepEqual(logins, [{ name: 'Катя' }, { name: 'Маша' }]);
    assert.deepEqual(all, ['userExit', 'userLogin', 'userLogin']);
    assert.deepEqual(gone, []);
  });

  test('get_pipe_log hands the stored messages to the pipe subscribers, oldest first, as history', async () => {
    for (let i = 1; i <= 3; i++) await server.core.publish('1', 'web_f_log', undefined, { i });
    const reader = await started();
    const got: CompatMessage[] = [];
    reader.subscription('web_f_log', (m) => got.push(m));
    assert.equal(reader.get_pipe_log('web_f_log'), true);
    await until(() => got.length === 3);
    assert.deepEqual(
      got.map((m) => m.data),
      [{ i: 1 }, { i: 2 }, { i: 3 }],
    );
    assert.ok(got.every((m) => m.server_info.history === true));
    assert.equal(reader.get_pipe_log('no'), false);
  });

  test('count_users_in_pipe answers {data: {user_in_pipe}}', async () => {
    const a = await started();
    const b = await started();
    a.subscription('web_f_count', () => {});
    b.subscription('web_f_count', () => {});
    await present('web_f_count', 2);
    const answers: number[] = [];
    a.count_users_in_pipe('web_f_count', (res) => answers.push(res.data.user_in_pipe));
    await until(() => answers.length === 1);
    assert.deepEqual(answers, [2]);
  });

  test('isAuthorized, onAuthSuccess and onAuthFalill follow the server', async () => {
    await server.core.setUserKey('1', 3, 'key3');
    const good = new CometServerApi(server.url);
    const bad = new CometServerApi(server.url);
    apis.push(good, bad);
    let ok = 0;
    let failed = 0;
    good.onAuthSuccess(() => ok++);
    bad.onAuthFalill(() => failed++);
    good.start({ dev_id: 1, user_id: '3', user_key: 'key3' });
    bad.start({ dev_id: 1, user_id: '3', user_key: 'wrong' });
    await until(() => ok === 1 && failed === 1);
    assert.equal(good.isAuthorized(), true);
    assert.equal(good.getUserId(), 3);
    assert.equal(bad.isAuthorized(), false);
  });

  test('"msg" gets personal messages; a send before start() reports "disconnected"', async () => {
    await server.core.setUserKey('1', 4, 'key4');
    const api = new CometServerApi(server.url);
    apis.push(api);
    const reports: CompatReport[] = [];
    api.subscription('#web_f_early', (p) => reports.push(p as CompatReport));
    api.web_pipe_send('web_f_early', { too: 'early' });
    await until(() => reports.length === 1);
    assert.equal(reports[0].error, 'disconnected');
    assert.equal(reports[0].number_messages, 0);

    const personal: CompatMessage[] = [];
    api.subscription('msg', (m) => personal.push(m));
    api.start({ dev_id: 1, user_id: 4, user_key: 'key4' });
    await api.getClient()!.ready();
    await server.core.sendToUser('1', 4, 'hello', { text: 'just for you' });
    await until(() => personal.length === 1);
    assert.deepEqual(personal[0].data, { text: 'just for you' });
    assert.equal(personal[0].server_info.event, 'hello');
  });

  test('node may be a URL, a bare host or an array', () => {
    assert.equal(resolveNode(undefined, 'http://fallback'), 'http://fallback');
    assert.equal(resolveNode('https://chat.example.com', 'x'), 'https://chat.example.com');
    assert.equal(resolveNode('wss://chat.example.com', 'x'), 'https://chat.example.com');
    assert.equal(resolveNode('chat.example.com:8080', 'x'), 'http://chat.example.com:8080');
    assert.equal(resolveNode(['a.example.com', 'b.example.com'], 'x'), 'http://a.example.com');
  });

  test('the package exports the facade as comet-chat/compat (built into lib/), without touching globals', async () => {
    const pkg = await import('comet-chat/compat');
    assert.equal(typeof pkg.CometServerApi, 'function');
    assert.equal(pkg.CometServer(), pkg.CometServer(), 'one shared object, as in the original');
    assert.equal('cometApi' in globalThis || 'CometServer' in globalThis, false);
  });
});
