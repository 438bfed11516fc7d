import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import type { CometChat } from '../../src/element/index.js';
import { connectedChat, freshPipe, part, serverInfo } from './helpers.js';

/** Every part documented with @csspart on CometChat. */
const PARTS = [
  'base',
  'launcher',
  'badge',
  'panel',
  'close',
  'header',
  'title',
  'online',
  'status',
  'feed',
  'load-earlier',
  'empty',
  'message',
  'mine',
  'failed',
  'name',
  'guest',
  'time',
  'text',
  'link',
  'code',
  'code-block',
  'mention',
  'show-more',
  'notice',
  'new-messages',
  'footer',
  'typing',
  'composer',
  'name-input',
  'textarea',
  'send-button',
  'reason',
  'delivery',
];

const colorOf = (i: number) => `rgb(${i + 1}, 2, 3)`;

function msg(pipe: string, marker: number, text: string, event = 'undefined') {
  return {
    data: { text, name: `n${marker}` },
    server_info: { pipe, event, user_id: 0, history: false, marker, time: Date.now() },
  };
}

describe('<comet-chat> theming from outside', () => {
  let sheet: HTMLStyleElement;
  before(() => {
    sheet = document.createElement('style');
    sheet.textContent = PARTS.map((p, i) => `comet-chat.themed::part(${p}) { background-color: ${colorOf(i)}; }`).join(
      '\n',
    );
    document.head.append(sheet);
  });
  after(() => sheet.remove());

  it('restyles every documented part through ::part()', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const el = await connectedChat(server, { pipe, lang: 'en' });
    el.classList.add('themed');
    const seen = new Set<string>();
    const check = () => {
      PARTS.forEach((p) => {
        const node = part(el, p);
        if (!node) return;
        // A node with several parts takes the last matching rule: check it against its last listed part.
        const names = node.getAttribute('part')!.split(' ');
        const last = PARTS.filter((q) => names.includes(q)).at(-1)!;
        expect(getComputedStyle(node).backgroundColor, `part ${p}`).to.equal(colorOf(PARTS.indexOf(last)));
        seen.add(p);
      });
    };
    check(); // empty feed, name input, online count
    el.name = 'Ann';
    for (let m = 1; m <= 260; m++)
      el.receive(msg(pipe, m, m === 260 ? 'see https://example.com, `code`, @Ann\n```\nblock\n```' : `m${m}`));
    el.receive(msg(pipe, 261, 'long '.repeat(200)));
    el.receive(msg('loginPipe', 262, '', 'userLogin'));
    await el.updateComplete;
    check(); // messages, guest names, link, code, mention, "show more", notice, "load earlier" (more in memory than in the DOM)
    part(el, 'feed')!.scrollTop = 0;
    await new Promise((r) => setTimeout(r, 50));
    el.receive(msg(pipe, 263, 'while scrolled up'));
    await el.updateComplete;
    check(); // "new messages"
    el.disconnect();
    await el.send('not delivered').catch(() => undefined);
    await el.updateComplete;
    check(); // my message, failed
    el.mode = 'launcher';
    el.receive(msg(pipe, 264, 'while closed'));
    await el.updateComplete;
    check(); // launcher, badge, panel, close
    expect([...seen].sort()).to.deep.equal([...PARTS].sort());
  });

  it('takes every --comet-chat-* custom property', async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_theme"></comet-chat>`);
    el.receive(msg('web_theme', 1, 'theirs'));
    await el.send('mine').catch(() => undefined);
    await el.updateComplete;
    const host = getComputedStyle(el);
    const base = getComputedStyle(part(el, 'base')!);
    const probes: [string, string, () => string][] = [
      ['--comet-chat-bg', 'rgb(10, 20, 30)', () => base.backgroundColor],
      ['--comet-chat-fg', 'rgb(11, 21, 31)', () => base.color],
      ['--comet-chat-muted', 'rgb(12, 22, 32)', () => getComputedStyle(part(el, 'status')!).color],
      ['--comet-chat-accent', 'rgb(13, 23, 33)', () => getComputedStyle(part(el, 'send-button')!).backgroundColor],
      ['--comet-chat-accent-fg', 'rgb(14, 24, 34)', () => getComputedStyle(part(el, 'send-button')!).color],
      ['--comet-chat-mine-bg', 'rgb(15, 25, 35)', () => getComputedStyle(part(el, 'mine')!).backgroundColor],
      ['--comet-chat-other-bg', 'rgb(16, 26, 36)', () => getComputedStyle(part(el, 'message')!).backgroundColor],
      ['--comet-chat-border', 'rgb(17, 27, 37)', () => base.borderTopColor],
      ['--comet-chat-error', 'rgb(18, 28, 38)', () => getComputedStyle(part(el, 'delivery')!).color],
      ['--comet-chat-radius', '13px', () => base.borderTopLeftRadius],
      ['--comet-chat-font', 'monospace', () => base.fontFamily],
      ['--comet-chat-font-size', '19px', () => base.fontSize],
      ['--comet-chat-spacing', '11px', () => getComputedStyle(part(el, 'header')!).paddingTop],
      ['--comet-chat-height', '333px', () => host.height],
    ];
    for (const [prop, value, read] of probes) {
      const before = read();
      el.style.setProperty(prop, value);
      expect(read(), prop).to.equal(value);
      expect(before, `${prop} default differs`).to.not.equal(value);
      el.style.removeProperty(prop);
    }
    // The focus ring colour shows on the focused textarea.
    el.style.setProperty('--comet-chat-focus', 'rgb(19, 29, 39)');
    const area = part(el, 'textarea')! as HTMLTextAreaElement;
    area.disabled = false;
    area.focus();
    expect(getComputedStyle(area).outlineColor).to.equal('rgb(19, 29, 39)');
  });

  it('switches light and dark by theme, and follows the system in auto', async () => {
    const light = await fixture<CometChat>(html`<comet-chat theme="light"></comet-chat>`);
    const dark = await fixture<CometChat>(html`<comet-chat theme="dark"></comet-chat>`);
    const auto = await fixture<CometChat>(html`<comet-chat theme="auto"></comet-chat>`);
    const bg = (el: CometChat) => getComputedStyle(part(el, 'base')!).backgroundColor;
    expect(bg(light)).to.equal('rgb(255, 255, 255)');
    expect(bg(dark)).to.equal('rgb(13, 17, 23)');
    await emulateMedia({ colorScheme: 'dark' });
    expect(bg(auto)).to.equal('rgb(13, 17, 23)');
    expect(bg(light)).to.equal('rgb(255, 255, 255)');
    await emulateMedia({ colorScheme: 'light' });
    expect(bg(auto)).to.equal('rgb(255, 255, 255)');
    expect(bg(dark)).to.equal('rgb(13, 17, 23)');
  });
});
