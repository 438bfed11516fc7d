import { expect, fixture, html } from '@open-wc/testing';
import { RENDER_LIMIT, type CometChat } from '../../src/element/index.js';
import { part, parts } from './helpers.js';

let marker = 0;
function say(
  el: CometChat,
  text: string,
  who: { name?: string; userId?: number; userName?: string } = { name: 'Bob' },
) {
  el.receive({
    data: { text, name: who.name },
    server_info: {
      pipe: el.pipe,
      event: 'undefined',
      user_id: who.userId ?? 0,
      ...(who.userName ? { user_name: who.userName } : {}),
      history: false,
      marker: ++marker,
      time: Date.now(),
    },
  });
}

const box = (node: Element) => node.getBoundingClientRect();

describe('<comet-chat> layout', () => {
  for (const style of [
    'display:block;height:600px',
    'display:inline-block;width:320px;height:500px',
    'display:flex;height:450px',
    'display:grid;height:400px;width:100%',
  ]) {
    it(`fills a tag the page styles with ${style}, the composer at the bottom`, async () => {
      const el = await fixture<CometChat>(
        html`<comet-chat lang="en" pipe="web_layout" name="Ann" style=${style}></comet-chat>`,
      );
      for (let i = 0; i < 30; i++) say(el, `message ${i}`);
      await el.updateComplete;
      const host = box(el);
      const base = box(part(el, 'base')!);
      const feed = box(part(el, 'feed')!);
      const footer = box(part(el, 'footer')!);
      expect(base.height).to.be.closeTo(host.height, 1);
      expect(base.width).to.be.closeTo(host.width, 1);
      expect(footer.bottom).to.be.closeTo(base.bottom - 1, 1.5); // inside the 1px border
      expect(feed.bottom).to.be.closeTo(footer.top, 1);
      // The feed takes what the header and footer leave: many messages high, not one.
      expect(feed.height).to.be.above(host.height - 220);
    });
  }

  it('spaces bubbles by the gap, and an empty feed has nothing to scroll', async () => {
    const el = await fixture<CometChat>(
      html`<comet-chat lang="en" pipe="web_gap" name="Ann" style="--comet-chat-height: 300px"></comet-chat>`,
    );
    const feed = part(el, 'feed')!;
    // No scrollbar on an empty chat (where scrollbars take room), and no scroll event for it.
    expect(feed.scrollHeight).to.equal(feed.clientHeight);
    for (let i = 0; i < 12; i++) say(el, `message ${i}`);
    await el.updateComplete;
    const bubbles = parts(el, 'message');
    expect(feed.scrollHeight).to.be.above(feed.clientHeight);
    feed.scrollTop = 0;
    expect(box(bubbles[0]).top - box(feed).top).to.be.closeTo(8, 0.5);
    expect(box(bubbles[1]).top - box(bubbles[0]).bottom).to.be.closeTo(8, 0.5);
    feed.scrollTop = feed.scrollHeight;
    expect(box(feed).bottom - box(bubbles.at(-1)!).bottom).to.be.closeTo(8, 1);
  });

  it('mirrors under dir="rtl": my bubbles on the left, the header reversed', async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_rtl" name="Ann" dir="rtl"></comet-chat>`);
    say(el, 'שלום');
    await el.send('mine').catch(() => undefined);
    await el.updateComplete;
    const feed = box(part(el, 'feed')!);
    const [theirs, mine] = parts(el, 'message');
    expect(box(theirs).right).to.be.closeTo(feed.right - 8, 2);
    expect(box(mine).left).to.be.closeTo(feed.left + 8, 2);
    expect(box(part(el, 'title')!).left).to.be.above(box(part(el, 'status')!).left);
    // An English time keeps its own order on a right-to-left page: "02:45 PM", never "PM 02:45".
    const time = theirs.querySelector('[part~="time"]')!.firstChild as Text;
    const at = (from: number, to: number) => {
      const range = document.createRange();
      range.setStart(time, from);
      range.setEnd(time, to);
      return range.getBoundingClientRect();
    };
    const text = time.data;
    expect(text).to.match(/^\d\d:\d\d\s[AP]M$/);
    expect(at(0, 5).left).to.be.below(at(text.length - 2, text.length).left);
  });

  it('inserts one node per live message, however many are held', async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_one" name="Ann"></comet-chat>`);
    for (let i = 0; i < 1200; i++) say(el, `m${i}`);
    await el.updateComplete;
    const list = part(el, 'message')!.parentElement!;
    const records: MutationRecord[] = [];
    const observer = new MutationObserver((r) => records.push(...r));
    observer.observe(part(el, 'base')!, { childList: true, subtree: true, characterData: true, attributes: true });
    say(el, 'one more');
    await el.updateComplete;
    observer.disconnect();
    const inFeed = records.filter((r) => r.target === list);
    expect(inFeed.flatMap((r) => [...r.addedNodes]).length).to.equal(1);
    expect(inFeed.flatMap((r) => [...r.removedNodes]).length).to.equal(1); // the oldest shown leaves the window
    expect(parts(el, 'message').length).to.equal(RENDER_LIMIT);
    // Nothing else in the feed was touched: no other bubble changes, not even whether layout may skip it.
    const others = records.filter((r) => r.target !== list && part(el, 'feed')!.contains(r.target));
    expect(others.map((r) => `${r.type} ${r.attributeName}`)).to.deep.equal([]);
  });
});

describe('<comet-chat> guests and members', () => {
  it('marks a typed (guest) name apart from a stamped one, even when they are the same', async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_guest" name="Ann"></comet-chat>`);
    say(el, 'from the member', { userId: 7, userName: 'Viktor' });
    say(el, 'from a guest posing as him', { name: 'Viktor' });
    say(el, 'from an unnamed guest', {});
    await el.updateComplete;
    const [member, guest, unnamed] = parts(el, 'name');
    expect(member.getAttribute('part')).to.equal('name');
    expect(guest.getAttribute('part')).to.equal('name guest');
    expect(unnamed.getAttribute('part')).to.equal('name guest');
    expect([member, guest].map((n) => n.textContent)).to.deep.equal(['Viktor', 'Viktor']);
    // They look different: the guest's name is marked with "~" and set in italics.
    expect(getComputedStyle(guest, '::before').content).to.equal('"~"');
    expect(getComputedStyle(member, '::before').content).to.equal('none');
    expect(getComputedStyle(guest).fontStyle).to.equal('italic');
    expect(getComputedStyle(member).fontStyle).to.equal('normal');
  });
});
