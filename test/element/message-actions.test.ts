import { expect, oneEvent } from '@open-wc/testing';
import { resetMouse, sendKeys, sendMouse } from '@web/test-runner-commands';
import type { CometChat, CometDeleteDetail, CometEditDetail, CometReactionDetail } from '../../src/element/index.js';
import {
  backendPublish,
  command,
  connectedChat,
  freshPipe,
  part,
  parts,
  serverInfo,
  shadow,
  texts,
  typeAndSend,
  waitUntil,
} from './helpers.js';

const active = (el: CometChat) => shadow(el).activeElement as HTMLElement | null;
/** The bubble whose text is `text`. */
const bubble = (el: CometChat, text: string) =>
  parts(el, 'message').find((m) => m.querySelector('[part~="text"]')?.textContent === text);

/** The pointer goes over the bubble whose text is `text`: its actions button shows there. */
async function hover(el: CometChat, text: string): Promise<HTMLElement> {
  const box = bubble(el, text)!.getBoundingClientRect();
  await sendMouse({ type: 'move', position: [Math.round(box.left + 4), Math.round(box.top + box.height / 2)] });
  return bubble(el, text)!.querySelector<HTMLElement>('[part~="actions"]')!;
}

/** Opens a message's actions menu from the keyboard: the actions button (shown by the pointer) focused, then Enter. */
async function openMenu(el: CometChat, text: string): Promise<HTMLElement> {
  const button = await hover(el, text);
  button.focus();
  await sendKeys({ press: 'Enter' });
  await waitUntil(() => part(el, 'actions-menu'), 'the menu opens');
  return part(el, 'actions-menu')!;
}

/** Two guests in one fresh pipe; Ann has said `text`, and Bob has it. */
async function pair(text: string): Promise<{ ann: CometChat; bob: CometChat; pipe: string }> {
  const server = await serverInfo();
  const pipe = freshPipe();
  const ann = await connectedChat(server, { pipe, name: 'Ann' });
  const bob = await connectedChat(server, { pipe, name: 'Bob', online: 2 });
  await typeAndSend(ann, text);
  await waitUntil(() => texts(bob).includes(text), 'Bob gets the message');
  await ann.updateComplete;
  return { ann, bob, pipe };
}

describe('<comet-chat> message actions', () => {
  afterEach(() => resetMouse());

  it('opens a message menu from the keyboard, moves with the arrows, closes with Escape back to its button; axe clean open', async () => {
    const { ann, bob } = await pair('hello menu');
    // Someone else's message offers replying and reacting only.
    const other = await openMenu(bob, 'hello menu');
    const offered = [...other.querySelectorAll('[part~="menu-item"]')].map((b) => b.textContent);
    expect(offered).to.deep.equal(['Reply']);
    expect(other.querySelectorAll('[part~="react-option"]').length).to.be.greaterThan(0);
    // One chat on the page for axe (two would be two banners).
    bob.remove();

    const menu = await openMenu(ann, 'hello menu');
    expect(menu.getAttribute('role')).to.equal('menu');
    const items = [...menu.querySelectorAll<HTMLElement>('[part~="menu-item"]')].map((b) => b.textContent);
    expect(items).to.deep.equal(['Reply', 'Edit', 'Delete']);
    expect(active(ann)!.textContent).to.equal('Reply');
    await sendKeys({ press: 'ArrowDown' });
    expect(active(ann)!.textContent).to.equal('Edit');
    await sendKeys({ press: 'End' });
    expect(active(ann)!.textContent).to.equal('Delete');
    await sendKeys({ press: 'Home' });
    expect(active(ann)!.getAttribute('part')).to.equal('react-option');
    await expect(ann).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    expect(part(ann, 'actions-menu')).to.equal(null);
    expect(active(ann)!.getAttribute('part')).to.equal('actions');

    // Delete asks first, in the menu's place; Cancel has the focus, and Escape takes it back to the button too.
    (await openMenu(ann, 'hello menu')).querySelectorAll<HTMLElement>('[part~="menu-item"]')[2].click();
    await ann.updateComplete;
    expect(part(ann, 'actions-menu')!.getAttribute('role')).to.equal('alertdialog');
    expect(active(ann)!.textContent).to.equal('Cancel');
    await expect(ann).to.be.accessible();
    await sendKeys({ press: 'Escape' });
    expect(part(ann, 'actions-menu')).to.equal(null);
    expect(active(ann)!.getAttribute('part')).to.equal('actions');
    expect(texts(ann)).to.deep.equal(['hello menu']);
  });

  it('has one actions button for the feed: Tab from the feed finds it on the newest message, the arrows move it', async () => {
    const { ann } = await pair('first words');
    await typeAndSend(ann, 'second words');
    await waitUntil(() => bubble(ann, 'second words')?.hasAttribute('data-marker'), 'the server confirms it');
    await hover(ann, 'first words');
    part(ann, 'feed')!.focus();
    await sendKeys({ press: 'Tab' });
    expect(active(ann)!.getAttribute('part')).to.equal('actions');
    expect(active(ann)!.closest('[part~="message"]')).to.equal(bubble(ann, 'second words'));
    expect(parts(ann, 'actions').length).to.equal(1);
    await sendKeys({ press: 'ArrowUp' });
    expect(active(ann)!.closest('[part~="message"]')).to.equal(bubble(ann, 'first words'));
    await sendKeys({ press: 'ArrowUp' });
    expect(active(ann)!.closest('[part~="message"]'), 'the oldest keeps it').to.equal(bubble(ann, 'first words'));
    // Enter opens the menu of the message it is on: Reply answers that one.
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => part(ann, 'actions-menu'), 'the menu opens');
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => part(ann, 'reply-preview'), 'the reply preview shows');
    expect(part(ann, 'reply-preview')!.querySelector('[part~="quote-text"]')!.textContent).to.equal('first words');
  });

  it('edits my message in place; the other side sees the new text and "edited"', async () => {
    const { ann, bob } = await pair('teh typo');
    const edited = oneEvent<CustomEvent<CometEditDetail>>(bob, 'comet-edit');
    await openMenu(ann, 'teh typo');
    await sendKeys({ press: 'ArrowDown' });
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => part(ann, 'edit-input'), 'the editor opens');
    const field = part(ann, 'edit-input') as HTMLTextAreaElement;
    await waitUntil(() => active(ann) === field, 'the editor has the focus');
    expect(field.value).to.equal('teh typo');
    field.value = 'the typo, fixed';
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => texts(ann).includes('the typo, fixed'), 'Ann sees her edit');
    expect((await edited).detail.message.text).to.equal('the typo, fixed');
    await waitUntil(() => texts(bob).includes('the typo, fixed'), 'Bob sees the edit');
    expect(bubble(bob, 'the typo, fixed')!.querySelector('[part~="edited"]')!.textContent).to.equal('edited');
    expect(bubble(ann, 'the typo, fixed')!.querySelector('[part~="edited"]')).to.not.equal(null);
    // Bob's menu on it has no Edit: and the server refuses his edit anyway.
    const marker = bob.messages.find((m) => m.text === 'the typo, fixed')!.marker!;
    let refused = '';
    await bob.edit(marker, 'not mine').catch((e: { code: string }) => (refused = e.code));
    expect(refused).to.equal('forbidden');
    expect(texts(ann)).to.include('the typo, fixed');
  });

  it('Up in an empty composer edits my last message; Escape leaves it as it was', async () => {
    const { ann } = await pair('first');
    await typeAndSend(ann, 'second');
    const area = part(ann, 'textarea') as HTMLTextAreaElement;
    area.focus();
    await sendKeys({ press: 'ArrowUp' });
    await waitUntil(() => part(ann, 'edit-input'), 'the editor opens');
    expect((part(ann, 'edit-input') as HTMLTextAreaElement).value).to.equal('second');
    await sendKeys({ press: 'Escape' });
    await ann.updateComplete;
    expect(part(ann, 'edit-input')).to.equal(null);
    expect(texts(ann)).to.deep.equal(['first', 'second']);
    expect(active(ann)).to.equal(area);
    // Not while writing: Up moves in the text then.
    area.value = 'draft';
    area.dispatchEvent(new Event('input'));
    await sendKeys({ press: 'ArrowUp' });
    await ann.updateComplete;
    expect(part(ann, 'edit-input')).to.equal(null);
  });

  it('deletes my message only once confirmed; the other side sees the tombstone', async () => {
    const { ann, bob } = await pair('take it back');
    let menu = await openMenu(ann, 'take it back');
    menu.querySelectorAll<HTMLElement>('[part~="menu-item"]')[2].click();
    await ann.updateComplete;
    expect(menu.getAttribute('role')).to.equal('alertdialog');
    expect(part(ann, 'confirm-text')!.textContent).to.equal('Delete this message?');
    expect(active(ann)!.textContent).to.equal('Cancel');
    await sendKeys({ press: 'Enter' });
    expect(part(ann, 'actions-menu')).to.equal(null);
    expect(texts(ann)).to.include('take it back');

    const deleted = oneEvent<CustomEvent<CometDeleteDetail>>(bob, 'comet-delete');
    menu = await openMenu(ann, 'take it back');
    menu.querySelectorAll<HTMLElement>('[part~="menu-item"]')[2].click();
    part(ann, 'confirm')!.click();
    expect((await deleted).detail.tombstone).to.equal(true);
    for (const el of [ann, bob])
      await waitUntil(() => part(el, 'tombstone')?.textContent === 'message deleted', 'the tombstone shows');
    expect(texts(bob)).to.not.include('take it back');
    expect(await hover(bob, 'message deleted'), 'a tombstone has no actions').to.equal(null);
  });

  it('reacts from the menu; chips count, show my own pressed, and a click toggles', async () => {
    const { ann, bob } = await pair('react to me');
    const reacted = oneEvent<CustomEvent<CometReactionDetail>>(ann, 'comet-reaction');
    const menu = await openMenu(bob, 'react to me');
    menu.querySelector<HTMLElement>('[part~="react-option"]')!.click();
    const chip = (el: CometChat) => bubble(el, 'react to me')!.querySelector<HTMLElement>('[part~="reaction"]');
    await waitUntil(() => chip(bob)?.textContent === '👍 1', 'Bob sees his reaction');
    expect(chip(bob)!.getAttribute('aria-pressed')).to.equal('true');
    expect((await reacted).detail).to.include({ emoji: '👍', count: 1, on: true });
    await waitUntil(() => chip(ann)?.textContent === '👍 1', 'Ann sees the count');
    expect(chip(ann)!.getAttribute('aria-pressed')).to.equal('false');
    chip(ann)!.click();
    // The count may come with the others' notice before my own answer: pressed follows the answer.
    const pressed = (el: CometChat) => chip(el)?.getAttribute('aria-pressed');
    for (const el of [ann, bob]) await waitUntil(() => chip(el)?.textContent === '👍 2', 'both see 2');
    await waitUntil(() => pressed(ann) === 'true', 'Ann sees hers pressed');
    chip(bob)!.click();
    for (const el of [ann, bob]) await waitUntil(() => chip(el)?.textContent === '👍 1', 'both see 1 again');
    await waitUntil(() => pressed(bob) === 'false', 'Bob sees his taken back');
    expect(pressed(ann)).to.equal('true');
    ann.remove();
    await expect(bob).to.be.accessible();
  });

  it('"Replying to Ann" reads in the order of its own language in a right-to-left page', async () => {
    const { bob } = await pair('from the right');
    bob.dir = 'rtl';
    await bob.reply(bob.messages[0].marker!);
    await waitUntil(() => part(bob, 'reply-to'), 'the preview shows');
    /** Where a word of the label starts on screen. */
    const left = (word: string): number => {
      const walk = document.createTreeWalker(part(bob, 'reply-to')!, NodeFilter.SHOW_TEXT);
      while (walk.nextNode()) {
        const at = walk.currentNode.textContent!.indexOf(word);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(walk.currentNode, at);
        range.setEnd(walk.currentNode, at + word.length);
        return range.getBoundingClientRect().left;
      }
      throw new Error(`no ${word}`);
    };
    expect(left('Replying')).to.be.lessThan(left('to'));
    expect(left('to')).to.be.lessThan(left('Ann'));
  });

  it('replies: the composer shows what I answer (cancellable), the reply carries its quote to the others', async () => {
    const { ann, bob } = await pair('a question?');
    await openMenu(bob, 'a question?');
    expect(active(bob)!.textContent).to.equal('Reply');
    await sendKeys({ press: 'Enter' });
    await waitUntil(() => part(bob, 'reply-preview'), 'the preview shows');
    expect(part(bob, 'reply-to')!.textContent).to.equal('Replying to Ann');
    expect(part(bob, 'reply-preview')!.querySelector('[part~="quote-text"]')!.textContent).to.equal('a question?');
    expect(active(bob)).to.equal(part(bob, 'textarea'));
    part(bob, 'reply-cancel')!.click();
    await bob.updateComplete;
    expect(part(bob, 'reply-preview')).to.equal(null);

    const marker = bob.messages[0].marker!;
    await bob.reply(marker);
    await typeAndSend(bob, 'an answer');
    await bob.updateComplete;
    expect(part(bob, 'reply-preview')).to.equal(null);
    await waitUntil(() => texts(ann).includes('an answer'), 'Ann gets the answer');
    for (const el of [ann, bob]) {
      const quote = bubble(el, 'an answer')!.querySelector('[part~="quote"]')!;
      expect(quote.querySelector('[part~="quote-name"]')!.textContent).to.equal('Ann');
      expect(quote.querySelector('[part~="quote-text"]')!.textContent).to.equal('a question?');
    }
    expect(ann.messages.find((m) => m.text === 'an answer')!.reply!.marker).to.equal(marker);
    ann.remove();
    await bob.reply(marker);
    await bob.updateComplete;
    await expect(bob).to.be.accessible();
  });

  /** The quote in the bubble of the reply "noted". */
  const quoteOf = (el: CometChat) =>
    bubble(el, 'noted')!.querySelector('[part~="quote"] [part~="quote-text"]')!.textContent;

  /** Ann's message and Bob's reply "noted" to it, on both screens. */
  const answered = async (text: string) => {
    const { ann, bob } = await pair(text);
    const marker = bob.messages[0].marker!;
    await bob.reply(marker);
    await typeAndSend(bob, 'noted');
    await waitUntil(() => texts(ann).includes('noted'), 'Ann gets the reply');
    return { ann, bob, marker };
  };

  it('a deleted message leaves the quotes of its replies on screen too', async () => {
    const { ann, bob, marker } = await answered('my phone is 555-0100');
    expect(quoteOf(ann)).to.equal('my phone is 555-0100');
    await ann.remove(marker);
    for (const el of [ann, bob]) await waitUntil(() => quoteOf(el) === 'message deleted', 'the quote is blanked');
    expect(bubble(bob, 'noted')!.querySelector('[part~="quote-name"]')!.textContent).to.not.equal('Ann');
  });

  it('an edited message is quoted as it reads now, on screen as on the server, loaded or not', async () => {
    const { ann, bob, pipe } = await pair('my phone is 555-0100');
    const marker = bob.messages[0].marker!;
    await command('comet-publish-many', { pipe, count: 30, prefix: 'filler ' });
    await waitUntil(() => texts(bob).includes('filler 30'), 'Bob has the fillers');
    await bob.reply(marker);
    await typeAndSend(bob, 'noted');
    // Carol's page holds the reply and not the message it answers.
    const carol = await connectedChat(await serverInfo(), { pipe, name: 'Carol', history: 10 });
    await waitUntil(() => texts(carol).includes('noted'), 'Carol has the reply');
    expect(texts(carol)).to.not.include('my phone is 555-0100');
    await ann.edit(marker, 'call me');
    for (const el of [bob, carol]) await waitUntil(() => quoteOf(el) === 'call me', 'the quote follows the edit');
  });

  it('a quote goes to the message it answers, loading earlier pages until it is there', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const first = await backendPublish(pipe, undefined, { text: 'the original', name: 'Site' });
    await command('comet-publish-many', { pipe, count: 30, prefix: 'filler ' });
    const el = await connectedChat(server, { pipe, name: 'Ann', history: 10 });
    await waitUntil(() => texts(el).includes('filler 30'), 'the newest page is in');
    expect(texts(el)).to.not.include('the original');
    el.receive({
      data: { text: 'about that', name: 'Bob' },
      server_info: {
        pipe,
        event: 'undefined',
        user_id: 0,
        history: false,
        marker: 1e12,
        time: Date.now(),
        reply: { marker: first.marker, user_id: 0, guest_name: 'Site', excerpt: 'the original' },
      },
    });
    await el.updateComplete;
    bubble(el, 'about that')!.querySelector<HTMLElement>('[part~="quote"]')!.click();
    await waitUntil(() => active(el) === bubble(el, 'the original'), 'the original is shown and focused');
  });

  it('shows "Delivered to 1 · Seen by 1" on my message once the other reader is at the bottom', async () => {
    const { ann, bob } = await pair('did you see it?');
    const receipt = () => bubble(ann, 'did you see it?')!.querySelector('[part~="receipt"]')?.textContent;
    await waitUntil(() => receipt() === 'Delivered to 1 · Seen by 1', 'Bob has seen it');
    // My own position is not "seen by".
    expect(bubble(bob, 'did you see it?')!.querySelector('[part~="receipt"]')).to.equal(null);
  });

  it('speaks Russian in the menu', async () => {
    const server = await serverInfo();
    const pipe = freshPipe();
    const el = await connectedChat(server, { pipe, name: 'Аня', lang: 'ru' });
    await typeAndSend(el, 'привет');
    await el.updateComplete;
    const menu = await openMenu(el, 'привет');
    expect([...menu.querySelectorAll('[part~="menu-item"]')].map((b) => b.textContent)).to.deep.equal([
      'Ответить',
      'Изменить',
      'Удалить',
    ]);
  });

  it('an element moved on the page keeps one copy of the actions styles', async () => {
    const { ann } = await pair('moved');
    await ann._lifecycle;
    const sheets = () => shadow(ann).adoptedStyleSheets.length;
    const before = sheets();
    const elsewhere = document.createElement('div');
    document.body.append(elsewhere);
    elsewhere.append(ann);
    await ann.updateComplete;
    expect(sheets()).to.equal(before);
    expect(new Set(shadow(ann).adoptedStyleSheets).size).to.equal(before);
    elsewhere.remove();
  });
});
