import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import {
  backendPublish,
  connectedChat,
  freshPipe,
  onlineCount,
  part,
  parts,
  serverInfo,
  shadow,
  texts,
  waitUntil,
} from './helpers.js';

/** Types into the message field as a user would. */
async function type(el: CometChat, text: string): Promise<HTMLTextAreaElement> {
  const area = part(el, 'textarea') as HTMLTextAreaElement;
  area.value = text;
  area.dispatchEvent(new Event('input'));
  await el.updateComplete;
  return area;
}

describe('<comet-chat> connection lifecycle', () => {
  it('connects when its attributes are set only after it was put on the page', async () => {
    const server = await serverInfo();
    const host = await fixture<HTMLDivElement>(html`<div></div>`);
    const el = document.createElement('comet-chat');
    host.append(el);
    el.setAttribute('lang', 'en');
    el.setAttribute('server', server.url);
    el.setAttribute('dev-id', server.devId);
    el.setAttribute('pipe', freshPipe());
    await waitUntil(() => el.connectionStatus === 'connected', 'element should connect');
  });

  it('moves to another pipe cleanly: the old connection closes, no error, a fresh feed', async () => {
    const server = await serverInfo();
    const [a, b] = [freshPipe(), freshPipe()];
    await backendPublish(a, undefined, { text: 'in a', name: 'Site' });
    await backendPublish(b, undefined, { text: 'in b', name: 'Site' });
    const watcher = await connectedChat(server, { pipe: a, name: 'W' });
    const el = await fixture<CometChat>(
      html`<comet-chat lang="en" name="Ann" server=${server.url} dev-id=${server.devId} pipe=${a}></comet-chat>`,
    );
    const errors: string[] = [];
    el.addEventListener('comet-error', (e) => errors.push(`${e.detail.error}: ${e.detail.message}`));
    // Change the pipe while the first connection's subscriptions are still on their way.
    await oneEvent(el, 'comet-connect');
    el.pipe = b;
    await waitUntil(() => texts(el).includes('in b'), "the new pipe's history");
    expect(texts(el)).to.deep.equal(['in b']);
    await waitUntil(() => onlineCount(watcher) === 1, 'the old connection is closed');
    expect(errors).to.deep.equal([]);
  });

  it('disconnects when removed and reconnects when put back, without showing anything twice', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    await backendPublish(pipe, undefined, { text: 'one', name: 'Site' });
    const watcher = await connectedChat(server, { pipe, name: 'W' });
    const el = await connectedChat(server, { pipe, name: 'Ann', online: 2 });
    await waitUntil(() => texts(el).length === 1, 'history');
    const host = el.parentElement!;
    el.remove();
    expect(el.connectionStatus).to.equal('disconnected');
    await waitUntil(() => onlineCount(watcher) === 1, 'the watcher sees it leave');
    await backendPublish(pipe, undefined, { text: 'two', name: 'Site' });
    host.append(el);
    await waitUntil(() => texts(el).length === 2, 'what it missed');
    await waitUntil(() => onlineCount(watcher) === 2, 'back');
    expect(texts(el)).to.deep.equal(['one', 'two']);
  });

  it('starts a fresh feed when the pipe changed while it was off the page', async () => {
    const server = await serverInfo();
    const [a, b] = [freshPipe(), freshPipe()];
    await backendPublish(a, undefined, { text: 'in a', name: 'Site' });
    await backendPublish(b, undefined, { text: 'in b', name: 'Site' });
    const el = await connectedChat(server, { pipe: a, name: 'Ann' });
    await waitUntil(() => texts(el).length === 1, 'history of a');
    const host = el.parentElement!;
    el.remove();
    el.pipe = b;
    await el.updateComplete;
    host.append(el);
    await waitUntil(() => texts(el).includes('in b'), 'history of b');
    expect(texts(el)).to.deep.equal(['in b']);
  });

  it('leaves behind what the old connection brought and the feed had not taken in yet', async () => {
    const server = await serverInfo();
    const [a, b] = [freshPipe(), freshPipe()];
    await backendPublish(b, undefined, { text: 'in b', name: 'Site' });
    const el = await connectedChat(server, { pipe: a, name: 'Ann' });
    // The moment a join notice reaches the old connection (the feed takes messages in batches, a little later),
    // the element moves to another pipe.
    const arrived = new Promise<void>((resolve) =>
      el._connection._client!.on('message', (m) => {
        if (m.server_info.event !== 'userLogin') return;
        el.pipe = b;
        resolve();
      }),
    );
    await backendPublish('loginPipe', 'userLogin', { name: 'Ghost of a' });
    await arrived;
    await waitUntil(() => texts(el).includes('in b'), 'history of b');
    // A message of b taken in after it: the feed's batches come in order, so a stray notice would be in by then.
    await backendPublish(b, undefined, { text: 'b again', name: 'Site' });
    await waitUntil(() => texts(el).includes('b again'), 'the live message of b');
    expect(parts(el, 'notice').map((n) => n.textContent)).to.deep.equal([]);
    expect(el.messages.map((m) => m.kind)).to.deep.equal(['message', 'message']);
  });
});

describe('<comet-chat> composer', () => {
  it('takes the typed name when the field changes or the message goes out, not at every keystroke', async () => {
    const el = await connectedChat(await serverInfo(), { pipe: freshPipe() });
    let renders = 0;
    const render = (el as unknown as { render: () => unknown }).render;
    (el as unknown as { render(): unknown }).render = function (this: CometChat) {
      renders++;
      return render.call(this);
    };
    const field = part(el, 'name-input') as HTMLInputElement;
    for (const typed of ['G', 'Gu', 'Gue', 'Gues', 'Guest']) {
      field.value = typed;
      field.dispatchEvent(new Event('input'));
      await el.updateComplete;
    }
    expect(renders).to.equal(0);
    expect(el.name).to.equal('');
    field.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(el.name).to.equal('Guest');
    expect(renders).to.equal(1);

    // Typed, then sent without leaving the field: the message goes out under the typed name.
    field.value = 'Guest 2';
    field.dispatchEvent(new Event('input'));
    const area = await type(el, 'hello');
    const sent = oneEvent<CustomEvent<{ data: unknown }>>(el, 'comet-send');
    area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    expect((await sent).detail.data).to.deep.equal({ text: 'hello', name: 'Guest 2' });
    expect(el.name).to.equal('Guest 2');
  });

  it('keeps the keyboard in the message field after the send button is used', async () => {
    const el = await connectedChat(await serverInfo(), { pipe: freshPipe(), name: 'Ann' });
    const area = await type(el, 'by button');
    const delivered = oneEvent(el, 'comet-delivery');
    (part(el, 'send-button') as HTMLButtonElement).click();
    await delivered;
    expect(area.value).to.equal('');
    expect(shadow(el).activeElement === area, 'focus is in the message field').to.equal(true);
  });

  it('gives the text back to the field when a comet-send listener cancels the send', async () => {
    const el = await connectedChat(await serverInfo(), { pipe: freshPipe(), name: 'Ann' });
    el.addEventListener('comet-send', (e) => e.preventDefault());
    const area = await type(el, 'not yet');
    const sending = oneEvent(el, 'comet-send');
    area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    await sending;
    await waitUntil(() => area.value === 'not yet', 'the text back in the field');
    expect(el.messages.length).to.equal(0);
  });

  it("shows each message's time, and why my last message was not delivered", async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_offline" name="Ann"></comet-chat>`);
    const time = Date.UTC(2026, 0, 2, 3, 4, 5);
    el.receive({
      data: { text: 'hi', name: 'Bob' },
      server_info: { pipe: 'web_offline', event: 'undefined', user_id: 0, history: false, marker: 1, time },
    });
    await el.updateComplete;
    const stamp = part(el, 'time')!;
    expect(stamp.getAttribute('datetime')).to.equal('2026-01-02T03:04:05.000Z');
    expect(stamp.textContent).to.equal(new Date(time).toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit' }));

    let error = '';
    await el.send('lost').catch((e: Error) => (error = e.message));
    await el.updateComplete;
    expect(error).to.equal('not connected to the comet server');
    expect(part(el, 'delivery')!.textContent).to.equal('Not delivered: not connected to the comet server');
    expect(part(el, 'delivery')!.hasAttribute('data-error')).to.equal(true);
    expect(part(el, 'failed')!.querySelector('[part~="text"]')!.textContent).to.equal('lost');
  });
});
