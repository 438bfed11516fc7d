import { expect } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import {
  command,
  connectedChat,
  freshPipe,
  part,
  parts,
  serverInfo,
  shadow,
  texts,
  typeAndSend,
  waitUntil,
} from './helpers.js';

/** My bubbles' parts and state texts, in feed order. */
const bubbles = (el: CometChat) =>
  parts(el, 'mine').map((b) => ({
    text: b.querySelector('[part~=text]')!.textContent,
    part: b.getAttribute('part'),
    state: b.querySelector('[part~=state]')?.textContent ?? '',
    retry: b.querySelector('[part~=retry]')?.textContent ?? null,
  }));

/** Types a message and presses Enter without waiting for its delivery. */
async function write(el: CometChat, text: string): Promise<void> {
  void typeAndSend(el, text);
  await el.updateComplete;
}

describe('<comet-chat> outbox: pending while offline, failed with the reason, retry', () => {
  const name = 'outbox';
  before(() => command('comet-server-start', { name, sqlite: true }));
  after(() => command('comet-server-stop', { name }));

  it('shows messages written while reconnecting as pending, then sends them in order once the server is back', async () => {
    const server = await serverInfo(name);
    const pipe = freshPipe();
    const ann = await connectedChat(server, { pipe, name: 'Ann' });
    const bob = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
    await command('comet-server-pause', { name });
    await waitUntil(() => ann.connectionStatus === 'reconnecting', 'Ann notices the drop');
    expect((part(ann, 'textarea') as HTMLTextAreaElement).disabled, 'she may write meanwhile').to.equal(false);

    await write(ann, 'offline 1');
    await write(ann, 'offline 2');
    expect(bubbles(ann)).to.deep.equal([
      { text: 'offline 1', part: 'message mine pending', state: 'Not sent yet', retry: null },
      { text: 'offline 2', part: 'message mine pending', state: 'Not sent yet', retry: null },
    ]);

    await command('comet-server-resume', { name });
    await waitUntil(() => parts(ann, 'pending').length === 0, 'the outbox is sent', { timeout: 15000 });
    expect(bubbles(ann).map((b) => [b.text, b.part, b.state])).to.deep.equal([
      ['offline 1', 'message mine', ''],
      ['offline 2', 'message mine', ''],
    ]);
    expect(ann.messages.every((m) => m.marker !== undefined)).to.equal(true);
    await waitUntil(() => texts(bob).length === 2, 'Bob gets both');
    await new Promise((r) => setTimeout(r, 300)); // room for a late duplicate to show up
    expect(texts(bob)).to.deep.equal(['offline 1', 'offline 2']);
    expect(texts(ann)).to.deep.equal(['offline 1', 'offline 2']);
  });

  it('marks a refused message failed with the reason; one refused for a passing reason has a retry button that sends it', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const ann = await connectedChat(server, { pipe, name: 'Ann' });
    await ann.send('x'.repeat(70_000)).catch(() => undefined);
    await ann.updateComplete;
    // English shows the server's own words; a translation may name each refusal (Russian does, below).
    expect(bubbles(ann)[0]).to.include({ part: 'message mine failed', retry: null });
    expect(bubbles(ann)[0].state).to.match(/^Not delivered: data is \d+ bytes; the limit is 65536$/);

    // Past the publish burst (20) the server refuses with rate_limited: a passing reason.
    const sends = Array.from({ length: 26 }, (_, i) => ann.send(`burst ${i}`).catch(() => undefined));
    await Promise.all(sends);
    await ann.updateComplete;
    const limited = bubbles(ann).filter((b) => b.state === 'Not delivered: too many messages; slow down');
    expect(limited.length).to.be.greaterThan(0);
    expect(limited.every((b) => b.retry === 'Retry' && b.part === 'message mine failed')).to.equal(true);

    await command('comet-clock-advance', { ms: 1000 }); // the bucket refills
    const first = parts(ann, 'retry')[0];
    const text = first.parentElement!.querySelector('[part~=text]')!.textContent;
    first.click();
    await waitUntil(
      () => bubbles(ann).find((b) => b.text === text)?.part === 'message mine',
      'the retried message goes',
    );
    const history = await command<{ data: { text: string } }[]>('comet-history', { name: 'main', pipe });
    expect(history.filter((m) => m.data.text === text).length).to.equal(1);
  });

  it('a message whose answer was lost is sent again after the reconnect: one confirmed bubble, one copy at Bob and in history', async () => {
    const main = await serverInfo();
    const proxy = await command<{ url: string; devId: string }>('comet-lost-ack-proxy', { drops: 1 });
    const pipe = freshPipe();
    const bob = await connectedChat(main, { pipe, name: 'Bob' });
    const ann = await connectedChat(proxy, { pipe, name: 'Ann', online: 2 });
    const statuses: string[] = [];
    ann.addEventListener('comet-disconnect', (e) => statuses.push(e.detail.status));
    const report = await ann.send('only once');
    expect(statuses, 'the connection dropped before the answer').to.deep.equal(['reconnecting']);
    expect(report).to.include({ error: '', duplicate: true });
    await ann.updateComplete;
    expect(bubbles(ann)).to.deep.equal([{ text: 'only once', part: 'message mine', state: '', retry: null }]);
    expect(ann.messages.map((m) => [m.text, m.marker, m.state])).to.deep.equal([['only once', report!.marker, 'sent']]);
    await ann.send('and then');
    await waitUntil(() => texts(bob).length === 2, 'Bob gets both');
    expect(texts(bob)).to.deep.equal(['only once', 'and then']);
    expect(texts(ann)).to.deep.equal(['only once', 'and then']);
    const history = await command<{ data: { text: string } }[]>('comet-history', { pipe });
    expect(history.map((m) => m.data.text)).to.deep.equal(['only once', 'and then']);
  });

  it('says it in Russian', async () => {
    const server = await serverInfo(name);
    const pipe = freshPipe();
    const ann = await connectedChat(server, { pipe, name: 'Аня', lang: 'ru' });
    await ann.send('x'.repeat(70_000)).catch(() => undefined);
    await command('comet-server-pause', { name });
    await waitUntil(() => ann.connectionStatus === 'reconnecting', 'Аня notices the drop');
    await write(ann, 'жду связи');
    await ann.updateComplete;
    expect(bubbles(ann).map((b) => b.state)).to.deep.equal(['Не доставлено: слишком длинное', 'Ещё не отправлено']);
    await command('comet-server-resume', { name });
    await waitUntil(() => parts(ann, 'pending').length === 0, 'sent', { timeout: 15000 });
    expect(shadow(ann).querySelector('[part~=delivery]')!.textContent).to.match(/^Доставлено/);
  });
});
