/** Publishing and delivery over real sockets: who gets what, the delivery report, app isolation. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import { connect, request, subscribe, useServer, waitForMessage } from './socket-helpers.js';

const withData = (value: unknown) => (m: IncomingMessage) => JSON.stringify(m.data) === JSON.stringify(value);

describe('publish and delivery', () => {
  const env = useServer({ apps: [{ id: 'other' }] });
  const { client } = env;

  it('an anonymous web_ publish reaches every subscriber but not the sender, and the report counts them', async () => {
    const [sender, a, b, c] = await Promise.all([client(), client(), client(), client()]);
    await Promise.all([sender, a, b].map((x) => subscribe(x, 'web_room')));
    await subscribe(c, 'web_room.chat');

    const report = await request(sender, 'publish', { pipe: 'web_room', event: 'chat', data: { text: 'hi' } });
    assert.equal(report.error, '');
    assert.equal(report.number_messages, 3);
    assert.equal(typeof report.marker, 'number');

    for (const x of [a, b, c]) {
      const got = await waitForMessage(x, withData({ text: 'hi' }));
      assert.deepEqual(got.server_info.pipe, 'web_room');
      assert.equal(got.server_info.event, 'chat');
      assert.equal(got.server_info.user_id, 0);
      assert.equal(got.server_info.history, false);
      assert.equal(got.server_info.marker, report.marker);
    }
    // Someone else's later message reaches the sender; its own message never came before it.
    await request(a, 'publish', { pipe: 'web_room', data: 'second' });
    await waitForMessage(sender, withData('second'));
    assert.deepEqual(
      sender.messages.map((m) => m.data),
      ['second'],
    );
  });

  it('a socket subscribed to both the pipe and pipe.event gets one copy; the default event is "undefined"', async () => {
    const [sender, both] = await Promise.all([client(), client()]);
    await subscribe(both, 'web_dup', 'web_dup.undefined');
    const report = await request(sender, 'publish', { pipe: 'web_dup', data: 1 });
    assert.equal(report.number_messages, 1);
    await request(sender, 'publish', { pipe: 'web_dup', data: 2 });
    await waitForMessage(both, withData(2));
    assert.deepEqual(
      both.messages.map((m) => [m.data, m.server_info.event]),
      [
        [1, 'undefined'],
        [2, 'undefined'],
      ],
    );
  });

  it('refuses a browser publish into loginPipe; the backend publish reaches loginPipe and loginPipe.userLogin, not loginPipe.userExit', async () => {
    const [browser, whole, login, exit] = await Promise.all([client(), client(), client(), client()]);
    await subscribe(whole, 'loginPipe');
    await subscribe(login, 'loginPipe.userLogin');
    await subscribe(exit, 'loginPipe.userExit');

    const refused = await request(browser, 'publish', { pipe: 'loginPipe', event: 'userLogin', data: { name: 'x' } });
    assert.equal(refused.error, 'forbidden');
    assert.equal(refused.number_messages, 0);

    const result = await env.server.core.publish('1', 'loginPipe', 'userLogin', { name: 'Victor' });
    assert.equal(result.number_messages, 2);
    for (const x of [whole, login]) {
      const got = await waitForMessage(x, withData({ name: 'Victor' }));
      assert.equal(got.server_info.event, 'userLogin');
      assert.equal(got.server_info.user_id, 0);
    }
    await env.server.core.publish('1', 'loginPipe', 'userExit', { name: 'Victor' });
    await waitForMessage(exit, (m) => m.server_info.event === 'userExit');
    await waitForMessage(whole, (m) => m.server_info.event === 'userExit');
    assert.deepEqual(
      exit.messages.map((m) => m.server_info.event),
      ['userExit'],
    );
    assert.equal(browser.messages.length, 0);
  });

  it('two apps never see each other: same pipe name, separate subscribers, counts and history', async () => {
    const [one, other, otherSender] = await Promise.all([
      client({ dev_id: '1' }),
      client({ dev_id: 'other' }),
      client({ dev_id: 'other' }),
    ]);
    await subscribe(one, 'web_shared');
    await subscribe(other, 'web_shared');
    const report = await request(otherSender, 'publish', { pipe: 'web_shared', data: 'for other' });
    assert.equal(report.number_messages, 1);
    await waitForMessage(other, withData('for other'));
    await env.server.core.publish('1', 'web_shared', undefined, 'for one');
    await waitForMessage(one, withData('for one'));
    assert.deepEqual(
      one.messages.map((m) => m.data),
      ['for one'],
    );
    assert.deepEqual(
      other.messages.map((m) => m.data),
      ['for other'],
    );
    const history = await request<{ messages: IncomingMessage[] }>(one, 'history', { pipe: 'web_shared' });
    assert.deepEqual(
      history.messages.map((m) => m.data),
      ['for one'],
    );
    assert.equal((await env.server.core.pipeStats('other', 'web_shared')).users, 1);
  });

  it('refuses connections to an unknown app', async () => {
    await assert.rejects(connect(env.server, { dev_id: 'nope' }), /unknown_app/);
  });
});
