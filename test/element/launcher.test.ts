import { expect, fixture, html, oneEvent } from '@open-wc/testing';
import { sendKeys, setViewport } from '@web/test-runner-commands';
import type { CometChat } from '../../src/element/index.js';
import { connectedChat, freshPipe, part, serverInfo, shadow } from './helpers.js';

let marker = 0;
/** A live message from someone else, as the server would deliver it. */
const live = (el: CometChat, text: string, name = 'Bob') =>
  el.receive({
    data: { text, name },
    server_info: { pipe: el.pipe, event: 'undefined', user_id: 0, history: false, marker: ++marker, time: Date.now() },
  });

const visible = (node: Element) => getComputedStyle(node).visibility === 'visible';
const badge = (el: CometChat) => part(el, 'badge')?.textContent ?? null;

async function launcher(attrs = ''): Promise<CometChat> {
  const el = await fixture<CometChat>(
    html`<comet-chat lang="en" pipe="web_launcher" name="Ann" mode="launcher"></comet-chat>`,
  );
  for (const a of attrs.split(' ').filter(Boolean)) el.setAttribute(a, '');
  await el.updateComplete;
  return el;
}

describe('<comet-chat mode="launcher">', () => {
  afterEach(() => setViewport({ width: 800, height: 600 }));

  it('is a button in a corner that opens and closes the panel, with comet-open / comet-close', async () => {
    const el = await launcher();
    const button = part(el, 'launcher') as HTMLButtonElement;
    const panel = part(el, 'panel')!;
    // The tag itself takes no room on the page.
    expect(el.getBoundingClientRect().height).to.equal(0);
    expect(getComputedStyle(button).position).to.equal('fixed');
    expect(button.getBoundingClientRect().right).to.be.closeTo(window.innerWidth - 16, 1);
    expect(button.getAttribute('aria-expanded')).to.equal('false');
    expect(visible(panel)).to.equal(false);

    setTimeout(() => button.click());
    await oneEvent(el, 'comet-open');
    expect(el.open).to.equal(true);
    expect(el.hasAttribute('open')).to.equal(true);
    expect(visible(panel)).to.equal(true);
    expect(button.getAttribute('aria-expanded')).to.equal('true');

    setTimeout(() => (part(el, 'close') as HTMLButtonElement).click());
    await oneEvent(el, 'comet-close');
    expect(el.open).to.equal(false);
    expect(visible(panel)).to.equal(false);

    // The page opens it by the property or the attribute.
    setTimeout(() => el.setAttribute('open', ''));
    await oneEvent(el, 'comet-open');
    expect(visible(panel)).to.equal(true);
  });

  it('moves the focus into the panel when opened, and back to the button on Escape', async () => {
    const el = await connectedChat(await serverInfo(), { pipe: freshPipe(), name: 'Ann' });
    el.mode = 'launcher';
    await el.updateComplete;
    const button = part(el, 'launcher') as HTMLButtonElement;
    button.focus();
    button.click();
    await el.updateComplete;
    expect(shadow(el).activeElement === part(el, 'textarea'), 'focus in the message field').to.equal(true);
    const closed = oneEvent(el, 'comet-close');
    await sendKeys({ press: 'Escape' });
    await closed;
    await el.updateComplete;
    expect(el.open).to.equal(false);
    expect(shadow(el).activeElement === button, 'focus back on the launcher').to.equal(true);
  });

  it('counts messages that come while closed on a badge, and clears it on opening', async () => {
    const el = await launcher();
    expect(badge(el)).to.equal(null);
    live(el, 'one');
    live(el, 'two');
    await el.updateComplete;
    expect(badge(el)).to.equal('2');
    expect(part(el, 'launcher')!.getAttribute('aria-label')).to.equal('Open chat, 2 unread');
    // My own messages and notices are not unread.
    await el.send('mine').catch(() => undefined);
    await el.updateComplete;
    expect(badge(el)).to.equal('2');
    el.open = true;
    await el.updateComplete;
    expect(badge(el)).to.equal(null);
    live(el, 'seen at once');
    await el.updateComplete;
    el.open = false;
    await el.updateComplete;
    expect(badge(el)).to.equal(null);
    expect(part(el, 'launcher')!.getAttribute('aria-label')).to.equal('Open chat');
  });

  it('sits bottom-left with position="bottom-left"', async () => {
    const el = await launcher();
    el.position = 'bottom-left';
    el.open = true;
    await el.updateComplete;
    expect(part(el, 'launcher')!.getBoundingClientRect().left).to.be.closeTo(16, 1);
    expect(part(el, 'panel')!.getBoundingClientRect().left).to.be.closeTo(16, 1);
  });

  it('fills the screen under 480 px, and floats above the button on a wide one', async () => {
    const el = await launcher('open');
    const panel = part(el, 'panel')!;
    let box = panel.getBoundingClientRect();
    expect(box.width).to.be.closeTo(384, 1); // 24rem
    expect(box.bottom).to.be.below(part(el, 'launcher')!.getBoundingClientRect().top);
    await setViewport({ width: 375, height: 667 });
    box = panel.getBoundingClientRect();
    expect([box.left, box.top, box.width, box.height]).to.deep.equal([0, 0, 375, 667]);
    // The close button stays reachable on the full-screen panel.
    const close = part(el, 'close')!.getBoundingClientRect();
    expect(close.right).to.be.at.most(375);
    expect(close.top).to.be.at.least(0);
  });

  it('is accessible closed (with a badge) and open', async () => {
    const el = await launcher();
    live(el, 'hello');
    await el.updateComplete;
    await expect(el).to.be.accessible();
    el.open = true;
    await el.updateComplete;
    await expect(el).to.be.accessible();
    el.theme = 'dark';
    await el.updateComplete;
    await expect(el).to.be.accessible();
  });
});

describe('<comet-chat title-badge>', () => {
  let title: string;
  beforeEach(() => (title = document.title = 'Site — page'));
  afterEach(() => (document.title = title));

  it('shows the unread count in the page title while closed, and restores it exactly', async () => {
    const el = await launcher('title-badge');
    live(el, 'a');
    live(el, 'b');
    await el.updateComplete;
    expect(document.title).to.equal('(2) Site — page');
    live(el, 'c');
    await el.updateComplete;
    expect(document.title).to.equal('(3) Site — page');
    el.open = true;
    await el.updateComplete;
    expect(document.title).to.equal('Site — page');
  });

  it('restores the title when the element is removed, and keeps a title the page set meanwhile', async () => {
    const el = await launcher('title-badge');
    live(el, 'a');
    await el.updateComplete;
    expect(document.title).to.equal('(1) Site — page');
    el.remove();
    expect(document.title).to.equal('Site — page');

    const other = await launcher('title-badge');
    live(other, 'a');
    await other.updateComplete;
    document.title = 'Another page';
    live(other, 'b');
    await other.updateComplete;
    expect(document.title).to.equal('(2) Another page');
    document.title = 'Third page';
    other.open = true;
    await other.updateComplete;
    expect(document.title).to.equal('Third page');
  });

  it('leaves the title alone without the attribute', async () => {
    const el = await launcher();
    live(el, 'a');
    await el.updateComplete;
    expect(document.title).to.equal('Site — page');
  });
});

describe('<comet-chat sound>', () => {
  const real = window.AudioContext;
  let tones: number[];
  let contexts: { closed: boolean }[];
  beforeEach(() => {
    tones = [];
    contexts = [];
    /** Records each tone's frequency instead of playing it, and whether the context was closed. */
    class FakeAudio {
      closed = false;
      constructor() {
        contexts.push(this);
      }
      close() {
        this.closed = true;
        return Promise.resolve();
      }
      currentTime = 0;
      destination = {};
      createGain() {
        return { gain: { value: 0, setTargetAtTime() {} }, connect: (d: unknown) => d };
      }
      createOscillator() {
        const osc = {
          frequency: { value: 0 },
          connect: (d: unknown) => d,
          start: () => tones.push(osc.frequency.value),
          stop() {},
        };
        return osc;
      }
    }
    window.AudioContext = FakeAudio as unknown as typeof AudioContext;
  });
  afterEach(() => (window.AudioContext = real));

  it('plays one tone per burst while the panel is closed, none while it is open or without the attribute', async () => {
    const quiet = await launcher();
    live(quiet, 'x');
    await quiet.updateComplete;
    expect(tones).to.deep.equal([]);

    const el = await launcher('sound');
    for (let i = 0; i < 5; i++) live(el, `burst ${i}`);
    await el.updateComplete;
    live(el, 'same burst');
    await el.updateComplete;
    expect(tones).to.deep.equal([880]);

    el.open = true;
    await el.updateComplete;
    live(el, 'read at once');
    await el.updateComplete;
    expect(tones).to.deep.equal([880]);
  });

  it('closes its audio context when removed from the page, and makes a new one when back', async () => {
    const el = await launcher('sound');
    live(el, 'ping');
    await el.updateComplete;
    expect(contexts.map((c) => c.closed)).to.deep.equal([false]);
    const host = el.parentElement!;
    el.remove();
    expect(contexts.map((c) => c.closed)).to.deep.equal([true]);
    host.append(el);
    await el.updateComplete;
    // Past the 3 s the element leaves between tones, without waiting for them.
    const realNow = Date.now;
    Date.now = () => realNow() + 3001;
    try {
      live(el, 'ping again');
      await el.updateComplete;
    } finally {
      Date.now = realNow;
    }
    expect(tones).to.deep.equal([880, 880]);
    expect(contexts.map((c) => c.closed)).to.deep.equal([true, false]);
  });
});
