/**
 * The DOM of the feed's messages. Each message gets its node once (built from DOM calls, never from HTML) and
 * keeps it while it is shown, so a live message costs one insertion, however many are shown or held.
 * Everything about how one message looks lives here: bubble, name, time, formatted text, "show more".
 */
import { RENDER_LIMIT } from './feed-limits.js';
import { element, formatText, mentionOf } from './format.js';
import type { Translation } from './localize.js';
import type { ChatMessage } from './message-log.js';

/**
 * Nodes beyond the newest RENDER_LIMIT (there are some only while the reader has scrolled up into earlier pages) are
 * marked `data-far`, which lets the browser skip them while they are out of view (`content-visibility: auto`). The
 * newest are never skipped: a node skipped until the next frame would be measured at a guessed height, and following
 * the newest would fall short. At the bottom no node is far, so a live message changes no other node's containment
 * (one node turning far cost an append a quarter of its style and layout).
 */
/** A text longer than this, or with more line breaks, is clamped until "show more" is clicked. */
const CLAMP_CHARS = 700;
const CLAMP_LINES = 12;

/** What the nodes depend on besides the message. */
export interface ViewContext {
  t: <K extends keyof Translation>(key: K) => Translation[K];
  lang: string;
  /** My name, highlighted where a text mentions it. */
  me: string;
  /** Sends a failed message of mine again, when it may be. */
  retryOf: (m: ChatMessage) => (() => void) | undefined;
  /** Adds what the message actions chunk shows (quote, reactions, actions button, receipts), once it is in. */
  more?: { decorate(node: HTMLElement, m: ChatMessage): void };
}

/** Wraps a name in first-strong isolates, so its bidi controls cannot reorder the sentence around it. */
export const isolate = (text: string): string => `\u2068${text}\u2069`;

/** The name shown for a sender: the stamped or typed name, else "User 42" (authorized) or "Anonymous". */
export function senderName(m: ChatMessage, t: ViewContext['t']): string {
  return m.name || (m.userId > 0 ? t('user')(m.userId) : t('anonymous'));
}

export function noticeText(m: ChatMessage, t: ViewContext['t']): string {
  return t(m.kind === 'join' ? 'joined' : 'left')(isolate(senderName(m, t)));
}

export class MessageView {
  /** Each shown message's node, and the message state it was built for. */
  private _nodes = new WeakMap<
    ChatMessage,
    {
      node: HTMLElement;
      state: ChatMessage['state'];
      rev?: number;
      me: string;
      mentions: boolean | undefined;
      far?: boolean;
    }
  >();
  private _context = '';
  private _time: Intl.DateTimeFormat | undefined;
  private _mention: RegExp | undefined;
  private _me: string | undefined;

  /**
   * Makes `list` hold exactly the nodes of `shown`, in order: nodes of messages no longer shown go, the rest
   * stay where they are, and only new (or changed) messages are built and inserted.
   */
  sync(list: HTMLElement, shown: readonly ChatMessage[], ctx: ViewContext): void {
    // Nodes are built for one language, with the message actions or without: another rebuilds them all. (A change
    // of `strings` shows in the messages that come after it.)
    const key = `${ctx.lang}\n${!ctx.more}`;
    if (key !== this._context) {
      this._context = key;
      this._nodes = new WeakMap();
      this._time = timeFormat(ctx.lang);
    }
    if (ctx.me !== this._me) this._mention = mentionOf((this._me = ctx.me));
    const wanted = new Set<Node>();
    const entries = shown.map((m) => {
      let entry = this._nodes.get(m);
      // Another reader's name changes only the messages that mention the old name or the new one: the rest keep their
      // nodes (rebuilding all of them when a guest names themselves would also drop a click on one under way).
      if (entry && entry.me !== ctx.me && !entry.mentions && !this._mention?.test(m.text)) entry.me = ctx.me;
      if (!entry || entry.state !== m.state || entry.rev !== m.rev || entry.me !== ctx.me) {
        const { state, rev, text } = m;
        this._nodes.set(
          m,
          (entry = { node: this._build(m, ctx), state, rev, me: ctx.me, mentions: this._mention?.test(text) }),
        );
      }
      wanted.add(entry.node);
      return entry;
    });
    for (const child of [...list.children]) if (!wanted.has(child)) child.remove();
    let at = list.firstChild;
    entries.forEach((entry, i) => {
      const { node } = entry;
      const far = i < entries.length - RENDER_LIMIT;
      // Only a change reaches the DOM: a call per shown node was a measurable part of an append.
      if (entry.far !== far) node.toggleAttribute('data-far', (entry.far = far));
      if (node === at) at = at.nextSibling;
      else list.insertBefore(node, at);
    });
  }

  /** "Show more" shows the whole text and goes (one listener on the list, for every message). */
  handleClick(e: Event): void {
    const button = (e.target as Element).closest('[part~=show-more]');
    button?.previousElementSibling!.removeAttribute('data-clamped');
    button?.remove();
  }

  private _build(m: ChatMessage, ctx: ViewContext): HTMLElement {
    const node = this._bubble(m, ctx);
    ctx.more?.decorate(node, m);
    return node;
  }

  private _bubble(m: ChatMessage, { t, retryOf }: ViewContext): HTMLElement {
    if (m.kind !== 'message') return element('p', 'notice', noticeText(m, t));
    const state = m.state === 'failed' ? ' failed' : m.state === 'sending' ? ' pending' : '';
    const node = element('div', `message${m.mine ? ' mine' : ''}${state}`);
    // A typed name (anonymous sender, user 0) never looks like one the server stamped.
    const name = element('span', m.userId > 0 ? 'name' : 'name guest', m.mine && !m.name ? t('you') : senderName(m, t));
    const time = element('time', 'time', this._time!.format(m.time)) as HTMLTimeElement;
    time.dateTime = new Date(m.time).toISOString();
    const text = element('div', 'text');
    // dir="auto" also isolates each (unicode-bidi: isolate): an override inside cannot reorder what follows, and a
    // right-to-left page cannot turn "02:45 PM" into "PM 02:45".
    name.dir = time.dir = text.dir = 'auto';
    formatText(text, m.text, this._mention);
    node.append(name, time, text);
    if (m.text.length > CLAMP_CHARS || m.text.split('\n', CLAMP_LINES + 2).length > CLAMP_LINES + 1) {
      // No form around it: a button of the default type submits nothing.
      node.append(element('button', 'show-more', t('showMore')));
      text.toggleAttribute('data-clamped');
    }
    if (m.state === 'sending') node.append(element('span', 'state', t('pending')));
    if (m.state === 'failed') {
      node.append(element('span', 'state', t('failed')(m.error!)));
      const retry = retryOf(m);
      if (retry) {
        const button = element('button', 'retry', t('retry'));
        button.onclick = retry;
        node.append(button);
      }
    }
    return node;
  }
}

/** Kept per language for the page, not made again by each element: making one took 0.2–1.4 ms, a page's first 40–60 ms. */
const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(lang: string): Intl.DateTimeFormat {
  let format = timeFormats.get(lang);
  if (!format) timeFormats.set(lang, (format = newTimeFormat(lang)));
  return format;
}

function newTimeFormat(lang: string): Intl.DateTimeFormat {
  const options = { hour: '2-digit', minute: '2-digit' } as const;
  try {
    return new Intl.DateTimeFormat(lang, options);
  } catch {
    return new Intl.DateTimeFormat('en', options); // an invalid language tag
  }
}
