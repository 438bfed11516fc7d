import { expect } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import { command, connectedChat, freshPipe, onlineCount, parts, serverInfo, texts, waitUntil } from './helpers.js';

const connections = (name: string) => command<number>('comet-connections', { name });

describe('<comet-chat> one connection per browser', () => {
  const name = 'shared';
  before(() => command('comet-server-start', { name }));
  after(() => command('comet-server-stop', { name }));

  it('elements that would connect as the same user share one connection: messages, the count, and what one sends shows in the others', async () => {
    const server = await serverInfo(name);
    const pipe = freshPipe();
    const before = await connections(name);
    const anns: CometChat[] = [];
    for (let i = 0; i < 5; i++) anns.push(await connectedChat(server, { pipe, name: 'Ann' }));
    expect(await connections(name), 'five elements, one connection').to.equal(before + 1);
    // A guest chatting under another name is someone else: a connection of its own.
    const bob = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
    expect(await connections(name)).to.equal(before + 2);
    await waitUntil(() => anns.every((a) => onlineCount(a) === 2), 'Ann counts once');

    const report = await anns[0].send('from the first');
    expect(report!.number_messages, 'the server handed it to Bob; the leader hands it to the other four').to.equal(1);
    for (const el of [...anns.slice(1), bob]) {
      await waitUntil(() => texts(el).includes('from the first'), 'every other element shows it');
    }
    await bob.send('from Bob');
    for (const el of anns) await waitUntil(() => texts(el).includes('from Bob'), 'every Ann gets Bob');
    await new Promise((r) => setTimeout(r, 300)); // room for a late duplicate to show up
    for (const el of anns) expect(texts(el)).to.deep.equal(['from the first', 'from Bob']);
    expect(texts(bob)).to.deep.equal(['from the first', 'from Bob']);
  });

  it('a reply sent from one element shows its quote in the elements sharing its connection', async () => {
    const server = await serverInfo(name);
    const pipe = freshPipe();
    const eves: CometChat[] = [];
    for (let i = 0; i < 3; i++) eves.push(await connectedChat(server, { pipe, name: 'Eve' }));
    const fay = await connectedChat(server, { pipe, name: 'Fay', online: 2 });
    await fay.send('a question?');
    await waitUntil(() => eves.every((el) => texts(el).includes('a question?')), 'every Eve has it');
    // Not the first element: its reply goes through the one holding the connection.
    await eves[1].reply(eves[1].messages[0].marker!);
    await eves[1].send('an answer');
    for (const el of [...eves, fay]) {
      await waitUntil(() => texts(el).includes('an answer'), 'everyone shows the answer');
      await el.updateComplete;
      const answer = parts(el, 'message').find((m) => m.querySelector('[part~="text"]')?.textContent === 'an answer');
      expect(answer!.querySelector('[part~="quote-text"]')?.textContent, 'with its quote').to.equal('a question?');
      expect(answer!.querySelector('[part~="quote-name"]')!.textContent).to.equal('Fay');
    }
  });

  it('when the element holding the connection goes, another takes over and catches up: nothing is lost', async () => {
    const server = await serverInfo(name);
    const pipe = freshPipe();
    const before = await connections(name);
    const anns: CometChat[] = [];
    for (let i = 0; i < 3; i++) anns.push(await connectedChat(server, { pipe, name: 'Cat' }));
    const bob = await connectedChat(server, { pipe, name: 'Dan', online: 2 });
    await anns[0].send('before');
    await waitUntil(() => texts(bob).length === 1, 'Dan has it');

    // The first element leads (it took the lock first); it leaves the page, and meanwhile the site publishes.
    anns[0].remove();
    await command('comet-publish', { name, pipe, data: { text: 'while taking over', name: 'Site' } });
    const rest = anns.slice(1);
    for (const el of rest) {
      await waitUntil(() => texts(el).includes('while taking over'), 'caught up after the takeover', {
        timeout: 15000,
      });
    }
    await rest[1].send('after');
    await waitUntil(
      () => texts(rest[0]).includes('after') && texts(bob).includes('after'),
      'the new leader carries it',
    );
    await waitUntil(async () => (await connections(name)) === before + 2, 'still one connection for Cat');
    for (const el of rest) expect(texts(el)).to.deep.equal(['before', 'while taking over', 'after']);
  });
});
