/**
 * Two nodes over one Redis: what a backend does to users through one node holds on every node —
 * user keys, their removal, personal messages (live and queued), token revocation, bans.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryReport } from '../../src/protocol/wire.js';
import { disconnected, request, subscribe, waitForMessage } from '../server/socket-helpers.js';
import { startCluster, type Cluster } from './cluster-helpers.js';

describe('cluster: users across nodes', { timeout: 120_000 }, () => {
  let cluster: Cluster;

  before(async () => {
    cluster = await startCluster(2);
  });
  after(async () => {
    await cluster.close();
  });

  it('authorizes on node B with a key registered through node A, and refuses a wrong one', async () => {
    const [A, B] = cluster.nodes;
    const put = await cluster.api(A, 'PUT', '/users/7/key', { key: 'Key7+/=_abc', name: 'Victor' });
    assert.equal(put.status, 200);
    const good = await cluster.client(B, { dev_id: '1', user_id: 7, user_key: 'Key7+/=_abc' });
    assert.deepEqual(good.auth, { authorized: true, user_id: 7, user_name: 'Victor' });
    const bad = await cluster.client(B, { dev_id: '1', user_id: 7, user_key: 'wrong' });
    assert.equal(bad.auth.authorized, false);
    assert.equal(bad.auth.reason, 'bad_key');
    assert.equal((await cluster.api(B, 'GET', '/users/7/key')).body.key, 'Key7+/=_abc');
  });

  it('disconnects the user on every node when the key is removed through one', async () => {
    const [A, B] = cluster.nodes;
    await cluster.api(B, 'PUT', '/users/8/key', { key: 'key8' });
    const onA = await cluster.client(A, { dev_id: '1', user_id: 8, user_key: 'key8' });
    const onB = await cluster.client(B, { dev_id: '1', user_id: 8, user_key: 'key8' });
    const bystander = await cluster.client(B, { dev_id: '1', user_id: 7, user_key: 'Key7+/=_abc' });
    assert.ok(onA.auth.authorized && onB.auth.authorized && bystander.auth.authorized);

    const gone = Promise.all([disconnected(onA), disconnected(onB)]);
    assert.equal((await cluster.api(A, 'DELETE', '/users/8/key')).status, 200);
    assert.deepEqual(await gone, ['io server disconnect', 'io server disconnect']);
    assert.equal(bystander.socket.connected, true);
    const again = await cluster.client(A, { dev_id: '1', user_id: 8, user_key: 'key8' });
    assert.equal(again.auth.authorized, false);
  });

  it("delivers a personal message sent through node A's API to the user's connections on node B", async () => {
    const [A, B] = cluster.nodes;
    await cluster.api(A, 'PUT', '/users/21/key', { key: 'key21' });
    const first = await cluster.client(B, { dev_id: '1', user_id: 21, user_key: 'key21' });
    const second = await cluster.client(B, { dev_id: '1', user_id: 21, user_key: 'key21' });

    const sent = await cluster.api(A, 'POST', '/users/21/messages', { event: 'note', data: { text: 'for you' } });
    assert.deepEqual(sent.body, { delivered: 2, queued: false });
    for (const c of [first, second]) {
      const got = await waitForMessage(c, (m) => m.server_info.pipe === 'msg');
      assert.equal(got.server_info.event, 'note');
      assert.deepEqual(got.data, { text: 'for you' });
    }
    assert.equal(
      (await cluster.api(A, 'GET', '/users/21/time')).body.time,
      0,
      'online (on another node) counts as online',
    );
  });

  it('queues a personal message sent through node A while the user is offline, and hands it over on node B', async () => {
    const [A, B] = cluster.nodes;
    await cluster.api(A, 'PUT', '/users/22/key', { key: 'key22' });
    const sent = await cluster.api(A, 'POST', '/users/22/messages', { data: 'while you were away' });
    assert.deepEqual(sent.body, { delivered: 0, queued: true });

    const user = await cluster.client(B, { dev_id: '1', user_id: 22, user_key: 'key22' });
    const got = await waitForMessage(user, (m) => m.server_info.pipe === 'msg');
    assert.equal(got.data, 'while you were away');
    // Node B's hand-over reaches node A over Redis, where a connection opening at that moment would
    // rightly get it too; a later message from B arriving on A proves A has seen the hand-over.
    const fence = await cluster.client(A);
    await subscribe(fence, 'web_fence');
    const mark = await request<DeliveryReport>(user, 'publish', { pipe: 'web_fence', data: 'after' });
    await waitForMessage(fence, (m) => m.server_info.marker === mark.marker);
    // Drained: a second connection, on the other node, does not get it again.
    const later = await cluster.client(A, { dev_id: '1', user_id: 22, user_key: 'key22' });
    await request(later, 'presence', { pipe: 'web_any' });
    assert.equal(later.messages.length, 0);
  });

  it('refuses on node B a token revoked through node A', async () => {
    const [A, B] = cluster.nodes;
    const issued = await cluster.api(A, 'POST', '/tokens', { user_id: 31, name: 'Tanya', ttl_seconds: 600 });
    const token = issued.body.token as string;
    const ok = await cluster.client(B, { dev_id: '1', token });
    assert.deepEqual(ok.auth, { authorized: true, user_id: 31, user_name: 'Tanya' });
    await cluster.api(A, 'POST', '/tokens/revoke', { token });
    const refused = await cluster.client(B, { dev_id: '1', token });
    assert.equal(refused.auth.authorized, false);
    assert.equal(refused.auth.reason, 'revoked_token');
  });

  it('applies a ban made through node A to a user publishing on node B, until lifted', async () => {
    const [A, B] = cluster.nodes;
    await cluster.api(A, 'PUT', '/users/41/key', { key: 'key41' });
    const user = await cluster.client(B, { dev_id: '1', user_id: 41, user_key: 'key41' });
    const listener = await cluster.client(A);
    await subscribe(listener, 'web_banned');

    await cluster.api(A, 'POST', '/bans', { user_id: 41, pipe: 'web_banned' });
    const refused = await request<DeliveryReport>(user, 'publish', { pipe: 'web_banned', data: 'spam' });
    assert.equal(refused.error, 'banned');
    const elsewhere = await request<DeliveryReport>(user, 'publish', { pipe: 'web_elsewhere', data: 'fine' });
    assert.equal(elsewhere.error, '');

    await cluster.api(B, 'POST', '/bans/lift', { user_id: 41, pipe: 'web_banned' });
    const allowed = await request<DeliveryReport>(user, 'publish', { pipe: 'web_banned', data: 'sorry' });
    assert.equal(allowed.error, '');
    assert.equal(allowed.number_messages, 1);
    const got = await waitForMessage(listener, (m) => m.server_info.marker === allowed.marker);
    assert.equal(got.server_info.user_id, 41);
  });
});
