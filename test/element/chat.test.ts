import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import {
  backendPublish,
  command,
  connectedChat,
  registerUserKey,
  freshPipe,
  onlineCount,
  part,
  parts,
  serverInfo,
  texts,
  typeAndSend,
  waitUntil,
} from './helpers.js';

describe('<comet-chat> two connections chatting', () => {
  it('shows one element\'s message in the other, join/leave notices in both, and "delivered to 1" to the sender', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const noticesPipe = freshPipe('login');
    const ann = await connectedChat(server, { pipe, noticesPipe, name: 'Ann' });
    const bob = await connectedChat(server, { pipe, noticesPipe, name: 'Bob', online: 2 });

    const messages: string[] = [];
    bob.addEventListener('comet-message', (e) => messages.push(e.detail.message.text));

    const report = await typeAndSend(ann, 'Hello, Bob!\nSecond line');
    expect(report?.number_messages).to.equal(1);
    await ann.updateComplete;
    expect(part(ann, 'delivery')!.textContent).to.equal('Delivered to 1');
    expect((part(ann, 'textarea') as HTMLTextAreaElement).value).to.equal('');

    await waitUntil(() => texts(bob).includes('Hello, Bob!\nSecond line'), 'Bob should get the message');
    expect(messages).to.deep.equal(['Hello, Bob!\nSecond line']);
    const received = parts(bob, 'message').at(-1)!;
    expect(received.querySelector('[part~="name"]')!.textContent).to.equal('Ann');
    expect(received.getAttribute('part')).to.not.include('mine');
    // Ann's own copy is the local echo (the server does not send it back), marked as hers.
    expect(texts(ann)).to.deep.equal(['Hello, Bob!\nSecond line']);
    expect(parts(ann, 'message')[0].getAttribute('part')).to.include('mine');
    expect(ann.messages[0].marker).to.equal(bob.messages[0].marker);

    const reply = await bob.send('Hi Ann');
    expect(reply?.number_messages).to.equal(1);
    await waitUntil(() => texts(ann).includes('Hi Ann'), 'Ann should get the reply');
    await bob.updateComplete;
    expect(part(bob, 'delivery')!.textContent).to.equal('Delivered to 1');

    await backendPublish(noticesPipe, 'userLogin', { name: 'Carol' });
    // Names in notices are bidi-isolated (U+2068 … U+2069), so their own direction cannot reorder the sentence.
    for (const el of [ann, bob])
      await waitUntil(
        () => parts(el, 'notice').some((n) => n.textContent === '\u2068Carol\u2069 joined the chat'),
        'join notice',
      );
    await backendPublish(noticesPipe, 'userExit', { name: 'Carol' });
    for (const el of [ann, bob])
      await waitUntil(
        () => parts(el, 'notice').some((n) => n.textContent === '\u2068Carol\u2069 left the chat'),
        'leave notice',
      );
    expect(parts(ann, 'notice').map((n) => n.textContent)).to.deep.equal([
      '\u2068Carol\u2069 joined the chat',
      '\u2068Carol\u2069 left the chat',
    ]);
  });

  it('keeps the online count fresh as others join and leave the pipe', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const ann = await connectedChat(server, { pipe, name: 'Ann' });
    const bob = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
    // Ann counted before Bob came; nobody sends anything, yet her count follows.
    await waitUntil(() => onlineCount(ann) === 2 && onlineCount(bob) === 2, 'both show 2 online');
    bob.remove();
    await waitUntil(() => onlineCount(ann) === 1, 'Ann shows 1 online once Bob left');
  });

  it("shows who is typing, a guest's name marked, and announces only the newest message", async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const ann = await connectedChat(server, { pipe, name: 'Ann' });
    const bob = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
    const area = part(ann, 'textarea') as HTMLTextAreaElement;
    area.value = 'h';
    area.dispatchEvent(new Event('input'));
    await waitUntil(() => part(bob, 'typing')!.textContent !== '', 'Bob should see that someone types');
    // Ann is a guest: her typed name comes with "~", isolated like every name in a sentence.
    expect(part(bob, 'typing')!.textContent).to.equal('\u2068~Ann\u2069 is typing…');

    await ann.send('first');
    await ann.send('second');
    await waitUntil(() => texts(bob).length === 2, 'both messages');
    const live = bob.shadowRoot!.querySelector('[role="status"]')!;
    await waitUntil(() => live.textContent === 'Ann: second', 'announcer holds only the newest message');
    expect(part(bob, 'feed')!.getAttribute('role')).to.equal('log');
  });

  it('uses the stamped name of an authorized user, never the data.name it sends', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const key = `k${Date.now()}`;
    await registerUserKey(7001, key, 'Viktor');
    const viktor = await connectedChat(server, { pipe, userId: 7001, userKey: key });
    const reader = await connectedChat(server, { pipe, name: 'Reader', online: 2 });
    expect(part(viktor, 'name-input')).to.equal(null);
    viktor.addEventListener('comet-send', (e) => (e.detail.data.name = 'Olga'));
    await viktor.send('from Viktor');
    await waitUntil(() => texts(reader).includes('from Viktor'), 'message arrives');
    expect(parts(reader, 'name').at(-1)!.textContent).to.equal('Viktor');
    expect(reader.messages.at(-1)!.userId).to.equal(7001);
  });

  it('lets a comet-send listener cancel a message', async () => {
    const server = await serverInfo();
    const el = await connectedChat(server, { pipe: freshPipe(), name: 'Ann' });
    el.addEventListener('comet-send', (e) => e.preventDefault());
    expect(await el.send('never')).to.equal(undefined);
    expect(el.messages.length).to.equal(0);
  });
});

describe('<comet-chat> identity and moderation', () => {
  it('connects with a signed user-token and shows the name stamped from it', async () => {
    const server = await serverInfo();
    const pipe = freshPipe('webauth_t');
    const { token } = await command<{ token: string }>('comet-token', { userId: 7002, userName: 'Masha' });
    const el = await fixture<CometChat>(
      html`<comet-chat lang="en" server=${server.url} dev-id=${server.devId} pipe=${pipe} user-token=${token}></comet-chat>`,
    );
    const connected = await oneEvent<CustomEvent<{ auth: object }>>(el, 'comet-connect');
    expect(connected.detail.auth).to.include({ authorized: true, user_id: 7002 });
    await waitUntil(
      () => !(part(el, 'textarea') as HTMLTextAreaElement).disabled,
      'a webauth_ pipe is open to an authorized user',
    );
    expect(part(el, 'name-input')).to.equal(null);
    const reader = await connectedChat(server, { pipe, name: 'R', online: 2 });
    await el.send('signed');
    await waitUntil(() => texts(reader).includes('signed'), 'arrives');
    expect(parts(reader, 'name').at(-1)!.textContent).to.equal('Masha');
    // The anonymous reader may not publish into a webauth_ pipe, and is told why.
    expect(part(reader, 'reason')!.textContent).to.equal('Only the site can post in this channel.');
  });

  it('removes a message the backend deletes', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const el = await connectedChat(server, { pipe, name: 'Ann' });
    const a = await backendPublish(pipe, undefined, { text: 'keep', name: 'Site' });
    const b = await backendPublish(pipe, undefined, { text: 'spam', name: 'Site' });
    await waitUntil(() => texts(el).length === 2, 'both arrive');
    await command('comet-delete', { pipe, marker: b.marker });
    await waitUntil(() => texts(el).length === 1, 'the deleted one goes');
    expect(texts(el)).to.deep.equal(['keep']);
    expect(el.messages.map((m) => m.marker)).to.deep.equal([a.marker]);
  });
});
