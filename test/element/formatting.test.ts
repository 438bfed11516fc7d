import { expect, fixture, html } from '@open-wc/testing';
import type { CometChat } from '../../src/element/index.js';
import { part, parts, shadow } from './helpers.js';

declare global {
  interface Window {
    __md?: number;
  }
}

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

/** The last message's text element. */
async function lastText(el: CometChat): Promise<HTMLElement> {
  await el.updateComplete;
  return parts(el, 'text').at(-1)!;
}

/** The text's children as `tag:text` (text nodes as `#:text`). */
const structure = (node: Element) =>
  [...node.childNodes].map((n) =>
    n.nodeType === Node.TEXT_NODE ? `#:${n.textContent}` : `${(n as Element).localName}:${n.textContent}`,
  );

async function chat(attrs: { name?: string } = {}): Promise<CometChat> {
  return fixture<CometChat>(
    html`<comet-chat lang="en" pipe="web_fmt" name=${attrs.name ?? 'Ann'} style="--comet-chat-height: 500px"></comet-chat>`,
  );
}

describe('<comet-chat> message formatting', () => {
  it('formats bold, italic, code, fenced code, line breaks and links as elements', async () => {
    const el = await chat();
    say(el, 'a **bold** and _italic_ word, `x < y` and https://example.com/a_b_c.');
    expect(structure(await lastText(el))).to.deep.equal([
      '#:a ',
      'strong:bold',
      '#: and ',
      'em:italic',
      '#: word, ',
      'code:x < y',
      '#: and ',
      'a:https://example.com/a_b_c',
      '#:.',
    ]);
    say(el, 'snake_case_name and 2*3*4 stay as they are');
    expect(structure(await lastText(el))).to.deep.equal(['#:snake_case_name and 2*3*4 stay as they are']);
    say(el, 'before\n```\nconst a = "<b>";\n  indented\n```\nafter');
    const text = await lastText(el);
    expect(structure(text)).to.deep.equal(['#:before\n', 'pre:const a = "<b>";\n  indented', '#:\nafter']);
    expect(part(el, 'code-block')).to.equal(text.querySelector('pre'));
    expect(getComputedStyle(text).whiteSpace).to.equal('pre-wrap');
    say(el, '**bold with https://example.com/x inside**');
    expect((await lastText(el)).querySelector('strong > a')!.getAttribute('href')).to.equal('https://example.com/x');
    // An empty fence is text, not an empty box; bold does not span another bold's opening (CommonMark does the same).
    say(el, '`````` and ```\n```');
    expect(structure(await lastText(el))).to.deep.equal(['#:`````` and ```\n```']);
    say(el, '**x **y** and see https://example.com/a).');
    expect(structure(await lastText(el))).to.deep.equal([
      '#:**x ',
      'strong:y',
      '#: and see ',
      'a:https://example.com/a',
      '#:).',
    ]);
  });

  it('keeps markdown-looking attacks as text: nothing runs, no markup, no other link scheme', async () => {
    const el = await chat();
    const attacks = [
      '**<img src=x onerror="window.__md=1">**',
      '_<svg onload=window.__md=2>_',
      '`<script>window.__md=3</script>`',
      '```\n<iframe srcdoc="<script>parent.__md=4</script>"></iframe>\n```',
      '[click](javascript:window.__md=5)',
      '**[x](data:text/html,<script>window.__md=6</script>)**',
      'https://example.com/"><img src=x onerror=window.__md=7>',
      '<a href="https://ok.example">**x**</a>',
    ];
    for (const a of attacks) say(el, a);
    await el.updateComplete;
    await new Promise((r) => setTimeout(r, 100));
    expect(window.__md).to.equal(undefined);
    expect(shadow(el).querySelectorAll('img, svg:not([aria-hidden]), script, iframe').length).to.equal(0);
    const links = parts(el, 'link') as HTMLAnchorElement[];
    expect(links.map((a) => a.href)).to.deep.equal(['https://example.com/', 'https://ok.example/']);
    expect(parts(el, 'text').map((t) => t.textContent)).to.deep.equal([
      '<img src=x onerror="window.__md=1">',
      // Italics never span a place where italics could open (here "__md"): the scan stays linear.
      '_<svg onload=window._md=2>',
      '<script>window.__md=3</script>',
      '<iframe srcdoc="<script>parent.__md=4</script>"></iframe>',
      '[click](javascript:window.__md=5)',
      '[x](data:text/html,<script>window.__md=6</script>)',
      'https://example.com/"><img src=x onerror=window.__md=7>',
      '<a href="https://ok.example">x</a>',
    ]);
  });

  it('highlights a mention of my own name, with or without @, as a whole word', async () => {
    const el = await chat({ name: 'Ann' });
    say(el, 'hi @Ann and ann, but not Anne or Joanna');
    const marks = [...(await lastText(el)).querySelectorAll('[part~="mention"]')].map((m) => m.textContent);
    expect(marks).to.deep.equal(['@Ann', 'ann']);
    // A name with regular-expression characters is matched literally.
    el.name = 'a.*b';
    await el.updateComplete;
    say(el, 'axxb a.*b');
    expect([...(await lastText(el)).querySelectorAll('[part~="mention"]')].map((m) => m.textContent)).to.deep.equal([
      'a.*b',
    ]);
  });
});

describe('<comet-chat> naming myself', () => {
  it('rebuilds only the messages that mention the old name or the new one', async () => {
    const el = await chat({ name: '' });
    say(el, 'hello all');
    say(el, 'hi Zoe');
    say(el, 'and Ann?');
    await el.updateComplete;
    const before = parts(el, 'text');
    el.name = 'Zoe';
    await el.updateComplete;
    const zoe = parts(el, 'text');
    // A button in an untouched message stays the node a click under way started on.
    expect(zoe[0]).to.equal(before[0]);
    expect(zoe[2]).to.equal(before[2]);
    expect([...zoe[1].querySelectorAll('[part~="mention"]')].map((m) => m.textContent)).to.deep.equal(['Zoe']);
    el.name = 'Ann';
    await el.updateComplete;
    const ann = parts(el, 'text');
    expect(ann[0]).to.equal(before[0]);
    expect(ann[1].querySelector('[part~="mention"]')).to.equal(null);
    expect([...ann[2].querySelectorAll('[part~="mention"]')].map((m) => m.textContent)).to.deep.equal(['Ann']);
  });
});

describe('<comet-chat> hostile text', () => {
  it('isolates names and texts, so a right-to-left override cannot reorder what follows', async () => {
    const el = await chat();
    say(el, 'hello', { name: 'evil\u202E' });
    await el.updateComplete;
    const name = part(el, 'name')!;
    const time = part(el, 'time')!;
    expect(name.dir).to.equal('auto');
    expect(getComputedStyle(name).unicodeBidi).to.equal('isolate');
    expect(parts(el, 'text')[0].dir).to.equal('auto');
    // The time still reads left to right after the name: its digits are not reversed by the override.
    const range = document.createRange();
    range.selectNodeContents(time);
    const rects = [...range.getClientRects()];
    expect(rects.length).to.be.greaterThan(0);
    expect(time.getBoundingClientRect().left).to.be.at.least(name.getBoundingClientRect().right - 1);
  });

  it('never shows a link as one host while it goes to another', async () => {
    const el = await chat();
    const cases: [string, string | null, string | null][] = [
      // [text, href or null for no link, shown text]
      ['https://google.com@evil.example/', null, null],
      ['https://user:pass@evil.example/', null, null],
      [
        'https://evil.example/\u202Egnp.exe',
        'https://evil.example/%E2%80%AEgnp.exe',
        'https://evil.example/%E2%80%AEgnp.exe',
      ],
      // The browser drops the zero-width space: the link shows the host it really opens.
      ['https://exa\u200Bmple.com/', 'https://example.com/', 'https://example.com/'],
      ['https://аpple.com/', 'https://xn--pple-43d.com/', 'https://xn--pple-43d.com/'],
      ['https://пример.рф/путь', 'https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C', 'https://пример.рф/путь'],
      ['https://EXAMPLE.com:8443/x', 'https://example.com:8443/x', 'https://EXAMPLE.com:8443/x'],
      ['https://evil.example\\.google.com/', 'https://evil.example/.google.com/', 'https://evil.example/.google.com/'],
      ['https://[::1]:8080/x', 'https://[::1]:8080/x', 'https://[::1]:8080/x'],
      ['https://%65vil.example/', 'https://evil.example/', 'https://evil.example/'],
    ];
    for (const [text] of cases) say(el, text);
    await el.updateComplete;
    const texts = parts(el, 'text');
    cases.forEach(([text, href, shownText], i) => {
      const a = texts[i].querySelector('a');
      if (href === null) {
        expect(a, `no link for ${text}`).to.equal(null);
        expect(texts[i].textContent).to.equal(text);
      } else {
        expect(a!.href, text).to.equal(href);
        expect(a!.textContent, text).to.equal(shownText);
      }
    });
  });

  it('contains a tower of combining marks and an unbroken word inside the bubble', async () => {
    const el = await chat();
    say(el, `Z${'\u0336\u0337\u0338\u0489'.repeat(250)} tall`);
    say(el, 'x'.repeat(400));
    say(el, 'next');
    await el.updateComplete;
    const [zalgo, long, next] = parts(el, 'message');
    expect(getComputedStyle(zalgo).contain).to.match(/content|paint|strict/);
    // Paint containment clips the marks at the bubble's edge: the next bubble is not drawn over.
    expect(zalgo.getBoundingClientRect().bottom).to.be.at.most(long.getBoundingClientRect().top);
    const feed = part(el, 'feed')!;
    expect(long.getBoundingClientRect().right).to.be.at.most(feed.getBoundingClientRect().right);
    expect(feed.scrollWidth).to.equal(feed.clientWidth);
    expect(next.getBoundingClientRect().height).to.be.below(60);
  });

  it('clamps a very long message until "show more"', async () => {
    const el = await chat();
    say(el, `top${'\n'.repeat(3000)}bottom`);
    await el.updateComplete;
    const message = parts(el, 'message')[0];
    const text = part(el, 'text')!;
    expect(message.getBoundingClientRect().height).to.be.below(400);
    expect(text.textContent).to.equal(`top${'\n'.repeat(3000)}bottom`);
    const more = part(el, 'show-more') as HTMLButtonElement;
    expect(more.textContent).to.equal('Show more');
    more.focus();
    more.click();
    await el.updateComplete;
    expect(part(el, 'show-more')).to.equal(null);
    expect(text.getBoundingClientRect().height).to.be.above(3000 * 10);
    expect(shadow(el).activeElement === part(el, 'feed'), 'the focus stays in the chat').to.equal(true);
    // Short messages get no button.
    say(el, 'short');
    await el.updateComplete;
    expect(parts(el, 'show-more').length).to.equal(0);
  });
});
