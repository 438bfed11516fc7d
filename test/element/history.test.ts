import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { MAX_MESSAGES, PAGE_SIZE, RENDER_LIMIT, type CometChat } from '../../src/element/index.js';
import { command, connectedChat, freshPipe, part, parts, serverInfo, shadow, texts, waitUntil } from './helpers.js';

const range = (from: number, to: number, prefix: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

describe('<comet-chat> history and long feeds', () => {
  it('"load earlier" pages back through history by marker, without duplicates', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    await command('comet-pipe-length', { pipe, length: 300 });
    await command('comet-publish-many', { pipe, count: 130, prefix: 'h' });
    const el = await connectedChat(server, { pipe, name: 'Ann', history: 30 });
    await waitUntil(() => texts(el).length === 30, 'the newest 30 on connect');
    expect(texts(el)).to.deep.equal(range(101, 130, 'h'));
    // History is not news: the live region keeps the last status rather than reading the page out.
    expect(shadow(el).querySelector('[role="status"]')!.textContent).to.equal('Connected');

    // A live message meanwhile must not disturb paging.
    await command('comet-publish', { pipe, data: { text: 'live', name: 'Site' } });
    await waitUntil(() => texts(el).includes('live'), 'live message');

    let pages = 0;
    while (part(el, 'load-earlier')) {
      const before = texts(el).length;
      const button = part(el, 'load-earlier') as HTMLButtonElement;
      button.focus();
      button.click();
      await waitUntil(() => texts(el).length > before || !part(el, 'load-earlier'), 'a page loads');
      await el.updateComplete;
      // A keyboard user keeps their place: on the button while it stays, else in the feed.
      const focused = shadow(el).activeElement;
      expect(focused === (part(el, 'load-earlier') ?? part(el, 'feed')), `focus after page ${pages + 1}`).to.equal(
        true,
      );
      if (++pages > 10) throw new Error('paging does not end');
    }
    expect(pages).to.equal(2); // 50 + the last 50: the button goes with the oldest message, no empty click
    expect(texts(el)).to.deep.equal([...range(1, 130, 'h'), 'live']);
    const markers = el.messages.map((m) => m.marker);
    expect(new Set(markers).size).to.equal(markers.length);
  });

  it('offers "load earlier" only while the server holds older messages', async () => {
    const server = await serverInfo();
    // Exactly one page stored: nothing is older than what the element loads on connect.
    const exact = freshPipe();
    await command('comet-publish-many', { pipe: exact, count: 20, prefix: 'e' });
    const a = await connectedChat(server, { pipe: exact, name: 'Ann', history: 20 });
    await waitUntil(() => texts(a).length === 20, 'the 20 stored messages');
    await a.updateComplete;
    expect(!!part(a, 'load-earlier'), 'a "load earlier" button').to.equal(false);

    // One more than a page: the button shows, and goes once the last one is in.
    const more = freshPipe();
    await command('comet-publish-many', { pipe: more, count: 21, prefix: 'm' });
    const b = await connectedChat(server, { pipe: more, name: 'Bob', history: 20 });
    await waitUntil(() => texts(b).length === 20 && !!part(b, 'load-earlier'), 'a page, and the button');
    expect(texts(b)).to.deep.equal(range(2, 21, 'm'));
    (part(b, 'load-earlier') as HTMLButtonElement).click();
    await waitUntil(() => texts(b).length === 21, 'the oldest message');
    await b.updateComplete;
    expect(!!part(b, 'load-earlier'), 'a "load earlier" button').to.equal(false);

    // Nothing stored at all: live messages never bring the button.
    const empty = freshPipe();
    const c = await connectedChat(server, { pipe: empty, name: 'Cid' });
    await command('comet-publish', { pipe: empty, data: { text: 'live', name: 'Site' } });
    await waitUntil(() => texts(c).includes('live'), 'live message');
    await c.updateComplete;
    expect(!!part(c, 'load-earlier'), 'a "load earlier" button').to.equal(false);
  });

  it('keeps the DOM and memory bounded after 10,000 messages', async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_long" name="Ann"></comet-chat>`);
    const t0 = Date.now();
    for (let i = 1; i <= 10_000; i++) {
      el.receive({
        data: { text: `m${i}`, name: 'Bob' },
        server_info: { pipe: 'web_long', event: 'undefined', user_id: 0, history: false, marker: i, time: t0 + i },
      });
      if (i % 1000 === 0) await el.updateComplete;
    }
    await el.updateComplete;
    expect(parts(el, 'message').length).to.equal(RENDER_LIMIT);
    expect(shadow(el).querySelectorAll('*').length).to.be.below(RENDER_LIMIT * 6 + 40);
    expect(el.messages.length).to.equal(MAX_MESSAGES);
    expect(el.messages[0].text).to.equal(`m${10_000 - MAX_MESSAGES + 1}`);
    expect(texts(el).at(-1)).to.equal('m10000');
    expect(texts(el)[0]).to.equal(`m${10_000 - RENDER_LIMIT + 1}`);
  });

  it('stays bounded with 10,000 messages arriving live over the network', async function (this: {
    timeout(ms: number): void;
  }) {
    this.timeout(120_000);
    const server = await serverInfo();
    const pipe = freshPipe();
    const el = await connectedChat(server, { pipe, name: 'Ann', history: 0 });
    await command('comet-publish-many', { pipe, count: 10_000, prefix: 'n' });
    await waitUntil(() => texts(el).at(-1) === 'n10000', 'all arrive', { timeout: 100_000 });
    expect(parts(el, 'message').length).to.equal(RENDER_LIMIT);
    expect(el.messages.length).to.equal(MAX_MESSAGES);
    expect(texts(el)).to.deep.equal(range(10_000 - RENDER_LIMIT + 1, 10_000, 'n'));
  });
});

describe('<comet-chat> scrolling', () => {
  it('brings in what memory holds above as the reader scrolls near the top, keeping their place', async () => {
    const el = await fixture<CometChat>(
      html`<comet-chat lang="en" pipe="web_reveal" name="Ann" style="--comet-chat-height: 300px"></comet-chat>`,
    );
    for (let i = 1; i <= 200; i++)
      el.receive({
        data: { text: `r${i}`, name: 'Bob' },
        server_info: { pipe: 'web_reveal', event: 'undefined', user_id: 0, history: true, marker: i, time: 0 },
      });
    await el.updateComplete;
    expect(texts(el)[0]).to.equal(`r${200 - RENDER_LIMIT + 1}`);
    const feed = part(el, 'feed')!;
    await waitUntil(() => feed.scrollTop > 0, 'the feed shows the newest');
    const first = parts(el, 'message')[0];
    const top = () => first.getBoundingClientRect().top - feed.getBoundingClientRect().top;
    // Where the oldest shown message will be once the feed is scrolled to its top.
    const place = top() + feed.scrollTop;
    const scrolled = oneEvent(feed, 'scroll');
    feed.scrollTop = 0;
    await scrolled;
    await el.updateComplete;
    expect(texts(el)[0]).to.equal(`r${200 - RENDER_LIMIT - PAGE_SIZE + 1}`);
    expect(top()).to.be.closeTo(place, 2);
  });

  it('offers a "new messages" button while the reader is scrolled up, and it jumps to the newest', async () => {
    const el = await fixture<CometChat>(
      html`<comet-chat lang="en" pipe="web_scroll" name="Ann" style="--comet-chat-height: 300px"></comet-chat>`,
    );
    const at = (i: number, history = false) => ({
      data: { text: `s${i}`, name: 'Bob' },
      server_info: { pipe: 'web_scroll', event: 'undefined', user_id: 0, history, marker: i, time: Date.now() },
    });
    // As many as the window shows: none above it for scrolling up to bring in.
    for (let i = 1; i <= RENDER_LIMIT; i++) el.receive(at(i));
    await el.updateComplete;
    const feed = part(el, 'feed')!;
    expect(feed.scrollHeight - feed.scrollTop - feed.clientHeight).to.be.below(2); // follows the newest
    expect(part(el, 'new-messages')).to.equal(null);

    const scrolled = oneEvent(feed, 'scroll');
    feed.scrollTop = 0;
    await scrolled;
    el.receive(at(RENDER_LIMIT + 1));
    await el.updateComplete;
    expect(feed.scrollTop).to.equal(0); // the reader's place is kept
    const jump = part(el, 'new-messages') as HTMLButtonElement;
    expect(jump.textContent).to.include('New messages');
    jump.focus();
    jump.click();
    await waitUntil(() => feed.scrollHeight - feed.scrollTop - feed.clientHeight < 2, 'scrolled to the newest');
    await waitUntil(() => !part(el, 'new-messages'), 'the button goes');
    expect(shadow(el).activeElement === feed, 'the focus moves to the feed, not off the element').to.equal(true);
  });

  it('sends on Enter but not on Shift+Enter', async () => {
    const el = await connectedChat(await serverInfo(), { pipe: freshPipe(), name: 'Ann' });
    const sent: string[] = [];
    el.addEventListener('comet-send', (e) => {
      sent.push(e.detail.text);
      e.preventDefault();
    });
    const area = part(el, 'textarea') as HTMLTextAreaElement;
    area.value = 'two\nlines';
    area.dispatchEvent(new Event('input'));
    await el.updateComplete;
    const shift = new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true, bubbles: true, cancelable: true });
    area.dispatchEvent(shift);
    expect(shift.defaultPrevented).to.equal(false);
    expect(sent).to.deep.equal([]);
    const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
    area.dispatchEvent(enter);
    expect(enter.defaultPrevented).to.equal(true);
    expect(sent).to.deep.equal(['two\nlines']);
  });
});
