import { expect } from '@open-wc/testing';
import { command, connectedChat, freshPipe, serverInfo, texts, waitUntil } from './helpers.js';

describe('<comet-chat> across a server restart', () => {
  const name = 'sqlite';
  before(() => command('comet-server-start', { name, sqlite: true }));
  after(() => command('comet-server-stop', { name }));

  it('shows the messages sent while it was away once each, in order', async () => {
    const server = await serverInfo(name);
    const pipe = freshPipe();
    const ann = await connectedChat(server, { pipe, name: 'Ann' });
    const bob = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
    await ann.send('before 1');
    await ann.send('before 2');
    await waitUntil(() => texts(bob).length === 2, 'Bob has the first two');

    const caughtUp: boolean[] = [];
    bob.addEventListener(
      'comet-message',
      (e) => e.detail.message.text.startsWith('during') && caughtUp.push(e.detail.raw.server_info.history),
    );
    const statuses: string[] = [];
    bob.addEventListener('comet-disconnect', (e) => statuses.push(e.detail.status));
    bob.addEventListener('comet-connect', () => statuses.push('connect'));
    const during = [1, 2, 3].map((i) => ({ pipe, data: { text: `during ${i}`, name: 'Site' } }));
    // The backend publishes the moment the server is back up; the clients' first reconnect attempt comes
    // 500 ms or more after the drop (the client's backoff), so they can only learn of these by catching up.
    await command('comet-server-restart', { name, downMs: 100, publish: during });
    await waitUntil(
      () => ann.connectionStatus === 'connected' && bob.connectionStatus === 'connected',
      'both reconnect',
      { timeout: 15000 },
    );
    await waitUntil(() => texts(bob).length >= 5 && texts(ann).length >= 5, 'the missed messages arrive');

    await ann.send('after');
    const expected = ['before 1', 'before 2', 'during 1', 'during 2', 'during 3', 'after'];
    await waitUntil(() => texts(bob).length === expected.length, 'the message after the restart arrives');
    await new Promise((r) => setTimeout(r, 300)); // room for a late duplicate to show up
    expect(texts(bob)).to.deep.equal(expected);
    expect(texts(ann)).to.deep.equal(expected);
    const markers = bob.messages.map((m) => m.marker!);
    expect(markers).to.deep.equal([...markers].sort((a, b) => a - b));
    expect(new Set(markers).size).to.equal(markers.length);
    expect(statuses).to.deep.equal(['reconnecting', 'connect']);
    // They came through the client's catch-up (history after the last marker seen), not live.
    expect(caughtUp).to.deep.equal([true, true, true]);
  });
});
