import { expect, fixture, html } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import {
  backendPublish,
  command,
  connectedChat,
  freshPipe,
  parts,
  serverInfo,
  shadow,
  texts,
  waitUntil,
} from './helpers.js';

declare global {
  interface Window {
    __xss?: number;
  }
}

/** Each would set window.__xss if it ever ran as markup or script. */
const PAYLOADS = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=2">',
  '<svg onload=window.__xss=3><script>window.__xss=3</script></svg>',
  '<svg><animate onbegin=window.__xss=4 attributeName=x dur=1s>',
  '"><img src=x onerror=window.__xss=5>',
  '\'><iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
  '<a href="javascript:window.__xss=7">click</a>',
  'javascript:window.__xss=8',
  'JaVaScRiPt:window.__xss=9//https://ok.example',
  'data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTA8L3NjcmlwdD4=',
  '<a href="data:text/html,<script>window.__xss=11</script>">d</a>',
  '&lt;script&gt;window.__xss=12&lt;/script&gt;',
  '&#60;img src=x onerror=window.__xss=13&#62;',
  '\u003cimg src=x onerror=window.__xss=14\u003e',
  '＜script＞window.__xss=15＜/script＞',
  '\u202Egnp.exe <b onmouseover=window.__xss=16>x</b>',
  '${window.__xss=17}',
  '`${(() => { window.__xss = 18 })()}`',
  '{{constructor.constructor("window.__xss=19")()}}',
  '<style>@import "javascript:window.__xss=20";</style>',
  '<details open ontoggle=window.__xss=21>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=22>',
  '<!--<img src="--><img src=x onerror=window.__xss=23//">',
  'https://example.com/"><img src=x onerror=window.__xss=24>',
  '<template><script>window.__xss=25</script></template>',
  'line1\n<script>window.__xss=26</script>\r\nline3\u2028\u2029',
];

const FORBIDDEN = 'script, img, svg, iframe, math, style, details, template, b, object, embed';

/** What a payload's text shows: the one wrapped in backticks is inline code, shown without them. */
const shown = (p: string) => (/^`[^`]+`$/.test(p) ? p.slice(1, -1) : p);

function expectInert(el: CometChat): void {
  expect(window.__xss, 'a payload ran').to.equal(undefined);
  expect(shadow(el).querySelectorAll(FORBIDDEN).length, 'payload markup in the shadow root').to.equal(0);
  for (const a of shadow(el).querySelectorAll('a')) {
    expect(new URL(a.href).protocol).to.match(/^https?:$/);
    expect(a.rel).to.equal('noopener noreferrer nofollow');
    expect(a.target).to.equal('_blank');
  }
}

const settle = () => new Promise((r) => setTimeout(r, 200));

describe('<comet-chat> escaping', () => {
  beforeEach(() => delete window.__xss);

  it('renders every payload in texts and names as literal text (message intake)', async () => {
    const el = await fixture<CometChat>(html`<comet-chat lang="en" pipe="web_xss"></comet-chat>`);
    PAYLOADS.forEach((p, i) =>
      el.receive({
        data: { text: p, name: p },
        server_info: {
          pipe: 'web_xss',
          event: 'undefined',
          user_id: 0,
          history: false,
          marker: i + 1,
          time: Date.now(),
        },
      }),
    );
    await el.updateComplete;
    await settle();
    expect(texts(el)).to.deep.equal(PAYLOADS.map(shown));
    expect(parts(el, 'code').map((c) => c.textContent)).to.deep.equal([shown(PAYLOADS[17])]);
    expect(parts(el, 'name').map((n) => n.textContent)).to.deep.equal(PAYLOADS.map((p) => p.trim().slice(0, 64)));
    expectInert(el);
    // Only genuine http(s) URLs became links, each showing the URL itself.
    const links = [...shadow(el).querySelectorAll('a')];
    expect(links.map((a) => a.textContent)).to.deep.equal(['https://ok.example', 'https://example.com/']);
    expect(links.map((a) => a.href)).to.deep.equal(['https://ok.example/', 'https://example.com/']);
  });

  it('renders payloads sent over the network, in notices and stamped names, as text', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const noticesPipe = freshPipe('login');
    const sender = await connectedChat(server, { pipe, noticesPipe, name: 'x' });
    const reader = await connectedChat(server, { pipe, noticesPipe, name: 'reader', online: 2 });
    for (const p of PAYLOADS) {
      sender.name = p;
      await sender.send(p);
      await command('comet-clock-advance', { ms: 100 }); // within the publish rate (10/s) on the server's clock
    }
    await backendPublish(noticesPipe, 'userLogin', { name: PAYLOADS[0] });
    await waitUntil(
      () => texts(reader).length === PAYLOADS.length && parts(reader, 'notice').length === 1,
      'all payloads arrive',
    );
    await settle();
    expect(texts(reader)).to.deep.equal(PAYLOADS.map((p) => shown(p.trim())));
    expect(parts(reader, 'name').map((n) => n.textContent)).to.deep.equal(PAYLOADS.map((p) => p.trim().slice(0, 64)));
    expect(parts(reader, 'notice')[0].textContent).to.equal(`\u2068${PAYLOADS[0]}\u2069 joined the chat`);
    expect(texts(sender)).to.deep.equal(PAYLOADS.map((p) => shown(p.trim())));
    expectInert(reader);
    expectInert(sender);
  });
});
