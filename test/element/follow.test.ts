import { expect } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import type { CometChat } from '../../src/element/index.js';
import { connectedChat, freshPipe, part, parts, serverInfo } from './helpers.js';

/** How far the feed is scrolled from its end, in px. */
const fromBottom = (el: CometChat) => {
  const feed = part(el, 'feed')!;
  return feed.scrollHeight - feed.scrollTop - feed.clientHeight;
};
/** Two frames: resize observers have had their turn. */
const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));

/** A phone-sized chat with a feed that scrolls, and fewer messages than its window shows (none hidden above). */
async function phoneChat(): Promise<CometChat> {
  await setViewport({ width: 375, height: 667 });
  const pipe = freshPipe();
  const el = await connectedChat(await serverInfo(), { pipe, name: 'Ann', history: 0 });
  el.style.height = '100vh';
  for (let i = 1; i <= 20; i++)
    el.receive({
      data: { text: `message ${i}`, name: 'Bob' },
      server_info: { pipe, event: 'undefined', user_id: 0, history: false, marker: i, time: Date.now() },
    });
  await el.updateComplete;
  await frames();
  return el;
}

/** Sends a message too large for the server: shown pending at once, refused with the reason after the answer. */
async function sendRefused(el: CometChat): Promise<Promise<unknown>> {
  const refused = el.send('x'.repeat(70_000)).catch(() => undefined);
  await el.updateComplete;
  expect(parts(el, 'pending').length, 'shown before the answer').to.equal(1);
  return refused;
}

describe('<comet-chat> follows the newest while the feed grows', () => {
  afterEach(() => setViewport({ width: 800, height: 600 }));

  it('keeps the reader at the bottom when a bubble there grows (a failed message gets its reason)', async () => {
    const el = await phoneChat();
    const refused = await sendRefused(el);
    await frames();
    expect(fromBottom(el), 'at the newest').to.be.below(2);
    await refused;
    await el.updateComplete;
    await frames();
    const failed = part(el, 'failed')!;
    expect(failed.querySelector('[part~=state]')!.textContent).to.match(/^Not delivered: data is \d+ bytes/);
    expect(fromBottom(el), 'the reason line is in view').to.be.below(2);
    const feed = part(el, 'feed')!.getBoundingClientRect();
    expect(failed.getBoundingClientRect().bottom).to.be.at.most(feed.bottom);
  });

  it('leaves a reader who scrolled up where they are', async () => {
    const el = await phoneChat();
    const feed = part(el, 'feed')!;
    feed.scrollTop = 100;
    await frames();
    const refused = await sendRefused(el);
    await refused;
    await el.updateComplete;
    await frames();
    expect(parts(el, 'failed').length).to.equal(1);
    expect(feed.scrollTop).to.equal(100);
  });
});
