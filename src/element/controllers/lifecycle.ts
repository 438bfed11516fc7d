/**
 * Messages with a lifecycle: each message's actions menu (react, reply, edit in place, delete with a confirmation),
 * reaction chips, reply quotes and the composer's reply preview, "edited" and tombstones, and "seen by" (the
 * reader's position reported while the newest messages are in view; the other readers' kept live).
 *
 * A chunk of its own (comet-chat-lifecycle.js), loaded as the element is made. It reaches the element through its
 * public members and the bridge it is handed (its own build names `_` members differently), and builds its DOM
 * from DOM calls like message-view.ts (a chunk bundles what it imports: lit would come twice).
 */
import type { ReactiveController } from 'lit';
import type { ChatClient } from '../../client/shared.js';
import { DEFAULT_REACTIONS } from '../../protocol/limits.js';
import { blankQuote, excerptOf } from '../../protocol/quotes.js';
import type {
  AuthInfo,
  DeleteNotice,
  EditNotice,
  ReactionNotice,
  ReadPosition,
  ReplyQuote,
  ServerInfo,
} from '../../protocol/wire.js';
import type { CometChat } from '../comet-chat.js';
import { emit } from '../events.js';
import { element } from '../format.js';
import type { LifecycleStrings, Translation } from '../localize.js';
import type { ChatMessage, MessageLog } from '../message-log.js';
import { isolate, senderName } from '../message-view.js';
import en from '../translations/en-lifecycle.js';
import { lifecycleStyles } from './lifecycle-styles.js';

/** At most one read position report per this many ms. */
const READ_EVERY_MS = 2000;

/** What the element hands the chunk. */
export interface LifecycleBridge {
  log: MessageLog;
  client: () => ChatClient | null;
  /** The reader is away: launcher closed or tab hidden. */
  away: () => boolean;
  /** The newest messages are in view. */
  atBottom: () => boolean;
  t: <K extends keyof Translation>(key: K) => Translation[K];
}

type Strings = LifecycleStrings & Translation;

/** The newest message that passes `test`. */
function last(list: readonly ChatMessage[], test: (m: ChatMessage) => boolean): ChatMessage | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (test(list[i])) return list[i];
  return undefined;
}

export class LifecycleController implements ReactiveController {
  /** The reply the composer is writing, if any. */
  private _reply: ChatMessage | undefined;
  /** The preview shown above the composer, and the message it shows. */
  private _preview: HTMLElement | undefined;
  private _previewOf: ChatMessage | undefined;
  /** The message being edited in place, and whether its field still wants the focus. */
  private _editing: ChatMessage | undefined;
  private _focusEditor = false;
  private _menu: HTMLElement | undefined;
  /**
   * The feed's one actions button (a button per message cost more than the rest of a bubble): it sits in the message
   * last hovered, touched or focused, else in the newest that has actions; the arrows move it from message to message.
   */
  private readonly _actions = element('button', 'actions', '⋯');
  /** The actions button had the focus when its message was built again. */
  private _refocus = false;
  /** Each reader's position (`u<id>` or a guest's `g…`), and this connection's reader name. */
  private _readers = new Map<string, number>();
  private _me: AuthInfo | undefined;
  private _read = 0;
  private _readAt = 0;
  private _readTimer: ReturnType<typeof setTimeout> | undefined;
  /** The receipt line of each of my messages shown, to update in place as readers move. */
  private _receipts = new Map<ChatMessage, HTMLElement>();
  private _client: ChatClient | null = null;
  private _offs: (() => void)[] = [];

  constructor(
    private readonly _host: CometChat,
    private readonly _bridge: LifecycleBridge,
  ) {
    _host.addController(this);
    this._actions.setAttribute('aria-haspopup', 'menu');
    this._actions.setAttribute('aria-expanded', 'false');
  }

  private readonly _t = <K extends keyof Strings>(key: K): Strings[K] =>
    (this._bridge.t(key) ?? en[key as keyof LifecycleStrings]) as Strings[K];

  hostConnected(): void {
    const h = this._host;
    const root = h.renderRoot as ShadowRoot;
    // Once: an element moved on the page connects again, and a sheet adopted twice is matched twice.
    const sheet = lifecycleStyles();
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    h.addEventListener('comet-connect', this._onConnect);
    h.addEventListener('comet-delivery', this._onDelivery);
    root.addEventListener('click', this._onClick);
    root.addEventListener('keydown', this._onKeyDown as EventListener);
    root.addEventListener('pointerover', this._onPoint);
    root.addEventListener('focusin', this._onPoint);
    // Scrolling does not bubble: caught on its way down.
    root.addEventListener('scroll', this._onScroll, true);
    document.addEventListener('visibilitychange', this._onScroll);
    h.requestUpdate();
  }

  hostDisconnected(): void {
    const h = this._host;
    const root = h.renderRoot;
    h.removeEventListener('comet-connect', this._onConnect);
    h.removeEventListener('comet-delivery', this._onDelivery);
    root.removeEventListener('click', this._onClick);
    root.removeEventListener('keydown', this._onKeyDown as EventListener);
    root.removeEventListener('pointerover', this._onPoint);
    root.removeEventListener('focusin', this._onPoint);
    root.removeEventListener('scroll', this._onScroll, true);
    document.removeEventListener('visibilitychange', this._onScroll);
    clearTimeout(this._readTimer);
    this._readTimer = undefined;
  }

  hostUpdated(): void {
    this._showPreview();
    this._keepActions();
    if (this._focusEditor) {
      this._focusEditor = false;
      const field = this._host.renderRoot.querySelector<HTMLTextAreaElement>('[part~=edit-input]');
      field?.focus();
      field?.setSelectionRange(field.value.length, field.value.length);
    }
    this._maybeRead();
  }

  /* ---- the public methods (CometChat's edit, remove, react, reply) ---- */

  async edit(marker: number, text: string): Promise<void> {
    const m = this._find(marker);
    text = text.trim();
    if (!m || !text || text === m.text) return;
    const data = this._me?.authorized ? { text } : { text, name: m.name };
    const edited = await this._request((c) => c.edit(m.pipe, marker, data));
    this._applyEdit(m, text, edited);
    this._requote(marker, text);
  }

  async remove(marker: number): Promise<void> {
    await this._request((c) => c.deleteMessage(this._host.pipe, marker));
    // The notice tells whether a tombstone stays; until it comes (the server may not send it to me), one does.
    this._applyDelete({ pipe: this._host.pipe, marker, tombstone: true });
  }

  async react(marker: number, emoji: string): Promise<void> {
    const m = this._find(marker);
    if (!m) return;
    const on = !m.myReactions?.includes(emoji);
    const count = await this._request((c) => c.react(m.pipe, marker, emoji, on));
    this._applyReaction(m, emoji, count, on, true);
  }

  async reply(marker: number): Promise<void> {
    const m = this._find(marker);
    if (!m || m.deleted) return;
    this._reply = m;
    this._host.requestUpdate();
    await this._host.updateComplete;
    this._part('textarea')?.focus();
  }

  /** The reply the composer is writing, as the quote its message takes along; the composer then forgets it. */
  takeReply(): ReplyQuote | undefined {
    const m = this._reply;
    this._reply = undefined;
    if (!m?.marker) return undefined;
    const quote: ReplyQuote = { marker: m.marker, user_id: m.userId, excerpt: excerptOf(m.text) };
    if (m.name) quote[m.userId > 0 ? 'user_name' : 'guest_name'] = m.name;
    return quote;
  }

  /* ---- what a bubble shows besides its text (called by the message view as it builds one) ---- */

  decorate(node: HTMLElement, m: ChatMessage): void {
    if (m.kind !== 'message') return;
    const t = this._t;
    this._receipts.delete(m);
    if (m.marker !== undefined) node.dataset.marker = String(m.marker);
    const text = node.querySelector('[part~=text]')!;
    if (m.reply) {
      const q = m.reply;
      const quote = element('button', 'quote');
      quote.title = t('toOriginal');
      const author = { name: q.user_name || q.guest_name || '', userId: q.user_id } as ChatMessage;
      const name = element('span', 'quote-name', senderName(author, this._bridge.t));
      const excerpt = element('span', 'quote-text', q.excerpt || t('deleted'));
      name.dir = excerpt.dir = 'auto';
      quote.dataset.to = String(q.marker);
      quote.append(name, excerpt);
      node.prepend(quote);
    }
    if (m.deleted) {
      text.replaceChildren(t('deleted'));
      text.setAttribute('part', (text.className = 'text tombstone'));
      node.querySelector('[part~=show-more]')?.remove();
      return;
    }
    if (m.edited) node.querySelector('[part~=time]')!.after(element('span', 'edited', t('edited')));
    if (m === this._editing) text.replaceWith(this._editor(m));
    const reactions = Object.entries(m.reactions ?? {}).filter(([, n]) => n > 0);
    if (reactions.length) {
      const chips = element('div', 'reactions');
      for (const [emoji, n] of reactions) {
        const chip = element('button', 'reaction', `${emoji} ${n}`);
        chip.setAttribute('aria-label', t('reactions')(emoji, n));
        chip.setAttribute('aria-pressed', String(!!m.myReactions?.includes(emoji)));
        chip.dataset.emoji = emoji;
        chips.append(chip);
      }
      node.append(chips);
    }
    if (m.marker === undefined || m.state === 'failed') return;
    node.toggleAttribute('data-actions');
    // The new node replaces the one that holds the actions button: the button moves with its message.
    const b = this._actions;
    if (b.parentElement?.dataset.marker === node.dataset.marker) {
      this._refocus ||= (this._host.renderRoot as ShadowRoot).activeElement === b;
      this._moveActions(node);
    }
    if (m.mine) {
      const receipt = element('span', 'receipt');
      this._receipts.set(m, receipt);
      receipt.textContent = this._receiptText(m);
      node.append(receipt);
    }
  }

  /** "Delivered to 5 · Seen by 3" on my message: delivered as the server reported it, seen by the other readers there. */
  private _receiptText(m: ChatMessage): string {
    const t = this._t;
    let seen = 0;
    for (const [reader, at] of this._readers) if (reader !== this._me?.reader && at >= m.marker!) seen++;
    const parts = m.delivered === undefined ? [] : [t('delivered')(m.delivered)];
    if (seen || parts.length) parts.push(t('seenBy')(seen));
    return parts.join(' · ');
  }

  private _updateReceipts(): void {
    for (const [m, receipt] of this._receipts) {
      if (!receipt.isConnected) this._receipts.delete(m);
      else receipt.textContent = this._receiptText(m);
    }
  }

  /* ---- the network ---- */

  private readonly _onConnect = (e: CustomEvent<{ auth: AuthInfo }>): void => {
    this._me = e.detail.auth;
    const client = this._bridge.client();
    if (client && client !== this._client) {
      this._offs.forEach((off) => off());
      this._client = client;
      this._offs = [
        client.on('edit', (n) => this._onEdit(n)),
        client.on('delete', (n) => this._applyDelete(n)),
        client.on('reaction', (n) => this._onReaction(n)),
        client.on('read', (n) => n.pipe === this._host.pipe && this._moved(n)),
      ];
    }
    this._read = 0;
    this._readers.clear();
    client
      ?.readers(this._host.pipe)
      .then((list) => list.forEach((r) => this._moved(r)))
      .catch(() => undefined);
  };

  /** What the server says of a message besides its text, read as the feed takes it in (before anyone hears of it). */
  taken(m: ChatMessage, info: ServerInfo): void {
    m.reply = info.reply;
    m.edited = info.edited;
    m.deleted = info.deleted;
    m.reactions = info.reactions;
    m.myReactions = info.my_reactions;
    if (info.mine) m.mine = true;
  }

  private readonly _onDelivery = (e: CustomEvent<{ message: ChatMessage; report: { number_messages: number } }>) => {
    const { message: m, report } = e.detail;
    if (m.marker === undefined) return;
    m.delivered = report.number_messages;
    this._changed(m);
  };

  private _onEdit(n: EditNotice): void {
    if (n.pipe !== this._host.pipe) return;
    const text = (n.data as { text?: unknown } | null)?.text;
    // Its replies on screen quote it as the server now does, whether or not the message itself is loaded.
    this._requote(n.marker, typeof text === 'string' ? text : '');
    const m = this._find(n.marker);
    if (m && typeof text === 'string') this._applyEdit(m, text, n.edited);
  }

  private _requote(marker: number, text: string): void {
    const excerpt = excerptOf(text);
    for (const r of this._bridge.log.list) {
      const { reply } = r;
      if (!reply || reply.marker !== marker || reply.excerpt === excerpt) continue;
      r.reply = { ...reply, excerpt };
      this._changed(r);
    }
  }

  private _applyEdit(m: ChatMessage, text: string, edited: number): void {
    if (m.text === text && m.edited === edited) return;
    m.text = text;
    m.edited = edited;
    this._changed(m);
    emit(this._host, 'comet-edit', { message: m });
  }

  private _applyDelete(n: DeleteNotice): void {
    const h = this._host;
    if (n.pipe !== h.pipe) return;
    // What it said leaves the quotes of its replies too, as it left them on the server.
    for (const r of this._bridge.log.list) {
      if (r.reply?.marker !== n.marker) continue;
      r.reply = blankQuote(r.reply);
      this._changed(r);
    }
    const m = this._find(n.marker);
    if (m?.deleted && n.tombstone) return;
    if (!m) return;
    if (n.tombstone) {
      m.deleted = true;
      m.text = '';
      m.reactions = undefined;
      this._changed(m);
    } else if (this._bridge.log.remove(n.marker)) h.requestUpdate();
    if (this._editing === m) this._editing = undefined;
    if (this._reply === m) this._reply = undefined;
    emit(h, 'comet-delete', { marker: n.marker, tombstone: !!n.tombstone });
  }

  private _onReaction(n: ReactionNotice): void {
    const m = n.pipe === this._host.pipe ? this._find(n.marker) : undefined;
    // A guest's reactions all come as user 0: only the answer to my own request tells which are mine.
    const me = !!this._me?.authorized && n.user_id === this._me.user_id;
    if (m) this._applyReaction(m, n.emoji, n.count, n.on, me);
  }

  private _applyReaction(m: ChatMessage, emoji: string, count: number, on: boolean, mine: boolean): void {
    const had = !!m.myReactions?.includes(emoji);
    const counts = (m.reactions ??= {});
    if (counts[emoji] === count && (!mine || had === on)) return;
    counts[emoji] = count;
    if (mine) m.myReactions = on ? [...(m.myReactions ?? []), emoji] : m.myReactions!.filter((x) => x !== emoji);
    this._changed(m);
    emit(this._host, 'comet-reaction', { message: m, emoji, count, on });
  }

  /** A reader's position moved forward. */
  private _moved(r: ReadPosition): void {
    if (r.marker <= (this._readers.get(r.reader) ?? 0)) return;
    this._readers.set(r.reader, r.marker);
    this._updateReceipts();
  }

  /**
   * Tells the server how far this reader has seen the pipe: while the feed is in view (tab shown, launcher open)
   * and at its newest message, at most once per READ_EVERY_MS.
   */
  private _maybeRead(): void {
    const h = this._host;
    const client = this._bridge.client();
    const newest = last(h.messages, (m) => m.kind === 'message' && m.marker !== undefined)?.marker ?? 0;
    if (!client || newest <= this._read || h.connectionStatus !== 'connected') return;
    if (this._bridge.away() || !this._bridge.atBottom() || this._readTimer) return;
    const wait = this._readAt + READ_EVERY_MS - Date.now();
    if (wait > 0) {
      this._readTimer = setTimeout(() => {
        this._readTimer = undefined;
        this._maybeRead();
      }, wait);
      return;
    }
    this._read = newest;
    this._readAt = Date.now();
    client.markRead(h.pipe, newest).catch(() => (this._read = 0));
  }

  private readonly _onScroll = (): void => {
    // The menu follows its button as the feed moves.
    const button = this._menu && this._buttonOf(this._menu);
    if (button) this._place(this._menu!, button);
    this._maybeRead();
  };

  /* ---- the user ---- */

  private readonly _onClick = (e: Event): void => {
    const target = e.target as HTMLElement;
    // The menu's items answer their own clicks (one may have replaced itself by then).
    if (!target.isConnected || this._menu?.contains(target)) return;
    const button = target.closest<HTMLElement>('button');
    if (!button) return void this._closeMenu(false);
    const part = button.getAttribute('part') ?? '';
    const m = this._messageOf(button);
    if (part === 'actions' && m) return this._openMenu(button, m);
    if (part === 'reaction' && m) return void this._do(this.react(m.marker!, button.dataset.emoji!));
    if (part === 'quote') return void this._toMessage(Number(button.dataset.to));
    if (part === 'reply-cancel') {
      this._reply = undefined;
      this._host.requestUpdate();
      return this._part('textarea')?.focus();
    }
    if (part === 'edit-save' || part === 'edit-cancel') return this._endEdit(part === 'edit-save');
    this._closeMenu(false);
  };

  private readonly _onKeyDown = (e: KeyboardEvent): void => {
    const target = e.target as HTMLElement;
    const part = target.getAttribute('part');
    if (e.isComposing) return;
    if (part === 'textarea' && e.key === 'ArrowUp' && !(target as HTMLTextAreaElement).value) {
      // Up in an empty composer edits my last message.
      const m = last(
        this._host.messages,
        (x) => x.mine && x.marker !== undefined && !x.deleted && x.kind === 'message',
      );
      if (m) {
        e.preventDefault();
        this._startEdit(m);
      }
    } else if (part === 'textarea' && e.key === 'Escape' && this._reply) {
      e.stopPropagation();
      this._reply = undefined;
      this._host.requestUpdate();
    } else if (part === 'edit-input') {
      if (e.key === 'Escape' || (e.key === 'Enter' && !e.shiftKey)) {
        // Not the launcher's Escape: that would close the panel.
        e.stopPropagation();
        e.preventDefault();
        this._endEdit(e.key === 'Enter');
      }
    } else if (part === 'actions' && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      // The arrows take the actions button (and the focus) to the message before or after.
      e.preventDefault();
      const next = e.key === 'ArrowUp' ? 'previousElementSibling' : 'nextElementSibling';
      let node = target.parentElement![next];
      while (node && !node.hasAttribute('data-actions')) node = node[next];
      if (node) this._placeActions(node as HTMLElement, true);
    } else if (this._menu?.contains(target)) this._menuKey(e);
  };

  /** The actions button goes to the message under the pointer or the focus; the feed focused, to the newest. */
  private readonly _onPoint = (e: Event): void => {
    const target = e.target as HTMLElement;
    const node =
      e.type === 'focusin' && target.getAttribute('part') === 'feed'
        ? this._newestWithActions()
        : target.closest?.<HTMLElement>('[data-actions]');
    if (node) this._placeActions(node);
  };

  /** Puts the actions button into a message (never while its menu is open); `focus` gives it the focus. */
  private _placeActions(node: HTMLElement, focus = false): void {
    if (this._menu) return;
    if (this._actions.parentElement !== node) this._moveActions(node);
    if (focus) this._actions.focus();
  }

  private _moveActions(node: HTMLElement): void {
    this._actions.setAttribute('aria-label', this._t('actions'));
    node.prepend(this._actions);
  }

  /** After an update the actions button is in a shown message: its own, rebuilt, or else the newest with actions. */
  private _keepActions(): void {
    const b = this._actions;
    if (this._refocus) {
      this._refocus = false;
      if (b.isConnected) b.focus({ preventScroll: true });
    }
    const node = !b.parentElement?.isConnected && this._newestWithActions();
    if (node) this._placeActions(node);
  }

  private _newestWithActions(): HTMLElement | undefined {
    let node = this._host.renderRoot.querySelector('[part~=feed]>div')?.lastElementChild;
    while (node && !node.hasAttribute('data-actions')) node = node.previousElementSibling;
    return (node as HTMLElement | null) ?? undefined;
  }

  /** Menu keys: arrows and Home / End move between its items, Escape and Tab close it. */
  private _menuKey(e: KeyboardEvent): void {
    const items = [...this._menu!.querySelectorAll<HTMLElement>('button')];
    const at = items.indexOf(e.target as HTMLElement);
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
    let next = step === undefined ? -1 : (at + step + items.length) % items.length;
    if (e.key === 'Home') next = 0;
    if (e.key === 'End') next = items.length - 1;
    if (next >= 0) {
      e.preventDefault();
      items[next].focus();
    } else if (e.key === 'Escape' || e.key === 'Tab') {
      if (e.key === 'Escape') {
        e.stopPropagation();
        e.preventDefault();
      }
      this._closeMenu(e.key === 'Escape');
    }
  }

  private _openMenu(button: HTMLElement, m: ChatMessage): void {
    const again = this._menu?.dataset.marker === String(m.marker);
    this._closeMenu(false);
    if (again) return;
    const t = this._t;
    const menu = (this._menu = element('div', 'actions-menu'));
    menu.setAttribute('role', 'menu');
    menu.setAttribute('aria-label', t('actionsOf')(isolate(senderName(m, this._bridge.t))));
    menu.dataset.marker = String(m.marker);
    const item = (part: string, label: string, run: () => void, checked?: boolean): HTMLElement => {
      const b = element('button', part, label);
      b.setAttribute('role', checked === undefined ? 'menuitem' : 'menuitemcheckbox');
      if (checked !== undefined) b.setAttribute('aria-checked', String(checked));
      b.tabIndex = -1;
      b.onclick = run;
      return b;
    };
    const row = element('div', 'react-row');
    row.setAttribute('role', 'group');
    // The app's set, as the server said when connecting.
    for (const emoji of this._me?.reactions ?? DEFAULT_REACTIONS) {
      const b = item(
        'react-option',
        emoji,
        () => this._closeMenu(true, this.react(m.marker!, emoji)),
        !!m.myReactions?.includes(emoji),
      );
      b.setAttribute('aria-label', t('react')(emoji));
      row.append(b);
    }
    menu.append(
      row,
      item('menu-item', t('reply'), () => this._closeMenu(false, this.reply(m.marker!))),
    );
    if (m.mine) {
      menu.append(
        item('menu-item', t('edit'), () => {
          this._closeMenu(false);
          this._startEdit(m);
        }),
        item('menu-item', t('delete'), () => this._confirm(m)),
      );
    }
    this._part('base')!.append(menu);
    this._place(menu, button);
    button.setAttribute('aria-expanded', 'true');
    menu.querySelector<HTMLElement>('[part~=menu-item]')!.focus();
  }

  /** The menu becomes the question whether to delete (focus on "Cancel", the harmless answer). */
  private _confirm(m: ChatMessage): void {
    const t = this._t;
    const menu = this._menu!;
    menu.setAttribute('role', 'alertdialog');
    const question = element('p', 'confirm-text', t('confirmDelete'));
    question.id = 'confirm-delete';
    menu.setAttribute('aria-labelledby', question.id);
    menu.removeAttribute('aria-label');
    const yes = element('button', 'confirm', t('delete'));
    const no = element('button', 'cancel', t('cancel'));
    yes.onclick = () => this._closeMenu(false, this.remove(m.marker!));
    no.onclick = () => this._closeMenu(true);
    menu.replaceChildren(question, yes, no);
    no.focus();
  }

  /**
   * Under its message, the menu's end edge at the actions button's; above the message when there is no room below,
   * over it when there is none above either. (Set through the CSSOM, which a strict CSP allows.)
   */
  private _place(menu: HTMLElement, button: HTMLElement): void {
    const box = this._part('base')!.getBoundingClientRect();
    const b = button.getBoundingClientRect();
    const m = button.parentElement!.getBoundingClientRect();
    const { offsetWidth: w, offsetHeight: h } = menu;
    const left = getComputedStyle(button).direction === 'rtl' ? b.left - box.left : b.right - box.left - w;
    menu.style.left = `${Math.max(4, Math.min(left, box.width - w - 4))}px`;
    const below = m.bottom - box.top + 4;
    const above = m.top - box.top - h - 4;
    menu.style.top = `${below + h <= box.height ? below : above >= 0 ? above : Math.max(4, box.height - h - 4)}px`;
  }

  /** Closes the menu; `refocus` gives the focus back to its message's actions button. */
  private _closeMenu(refocus: boolean, done?: Promise<unknown>): void {
    const menu = this._menu;
    if (!menu) return;
    this._menu = undefined;
    const button = this._buttonOf(menu);
    button?.setAttribute('aria-expanded', 'false');
    const hadFocus = menu.contains((this._host.renderRoot as ShadowRoot).activeElement);
    menu.remove();
    if (refocus || hadFocus) (button ?? this._part('feed'))?.focus();
    if (done) this._do(done);
  }

  private _buttonOf(menu: HTMLElement): HTMLElement | null {
    const b = this._actions;
    return b.isConnected && b.parentElement!.dataset.marker === menu.dataset.marker ? b : null;
  }

  private _startEdit(m: ChatMessage): void {
    this._editing = m;
    this._focusEditor = true;
    this._changed(m);
  }

  private _editor(m: ChatMessage): HTMLElement {
    const t = this._t;
    const box = element('div', 'editor');
    const field = element('textarea', 'edit-input') as HTMLTextAreaElement;
    field.value = m.text;
    field.setAttribute('aria-label', t('editLabel'));
    field.dir = 'auto';
    box.append(field, element('button', 'edit-save', t('save')), element('button', 'edit-cancel', t('cancel')));
    return box;
  }

  /** Leaves editing, saving the field's text when `save`; the focus goes back to the composer. */
  private _endEdit(save: boolean): void {
    const m = this._editing;
    if (!m) return;
    const text = this._host.renderRoot.querySelector<HTMLTextAreaElement>('[part~=edit-input]')?.value ?? m.text;
    this._editing = undefined;
    this._changed(m);
    this._part('textarea')?.focus();
    if (save) this._do(this.edit(m.marker!, text));
  }

  /** The reply preview above the composer follows the reply being written. */
  private _showPreview(): void {
    const m = this._reply;
    if (m === this._previewOf) return;
    this._previewOf = m;
    this._preview?.remove();
    this._preview = undefined;
    if (!m) return;
    const t = this._t;
    const preview = (this._preview = element('div', 'reply-preview'));
    // The phrase in an isolate of its own language's direction (dir="auto" passes over the name's <bdi>): "Replying to
    // Dana" reads so in a right-to-left page too (with the name a mere isolate, it read "Dana Replying to"), and the
    // label keeps the page's side.
    const label = element('span', 'reply-to');
    const phrase = label.appendChild(element('span'));
    const [before, after] = t('replyingTo')('\0').split('\0');
    phrase.dir = 'auto';
    phrase.append(before, element('bdi', '', senderName(m, this._bridge.t)), after ?? '');
    const excerpt = element('span', 'quote-text', excerptOf(m.text));
    excerpt.dir = 'auto';
    const cancel = element('button', 'reply-cancel', '×');
    cancel.setAttribute('aria-label', t('cancelReply'));
    preview.append(label, excerpt, cancel);
    this._part('composer')!.before(preview);
  }

  /** A quote was clicked: shows the message it quotes, loading earlier pages until it is there (or none are left). */
  private async _toMessage(marker: number): Promise<void> {
    const h = this._host;
    const root = h.renderRoot;
    let node: HTMLElement | null;
    let before = -1;
    while (!(node = root.querySelector<HTMLElement>(`[part~=message][data-marker="${marker}"]`))) {
      const oldest = h.messages.find((m) => m.marker !== undefined)?.marker ?? 0;
      const shown = root.querySelectorAll('[part~=message],[part~=notice]').length;
      if (oldest < marker && shown >= h.messages.length) return;
      if (shown + oldest === before) return;
      before = shown + oldest;
      await h.loadEarlier();
      await h.updateComplete;
    }
    node.tabIndex = -1;
    node.scrollIntoView({ block: 'center' });
    node.focus();
  }

  /* ---- helpers ---- */

  private _find(marker: number): ChatMessage | undefined {
    return this._host.messages.find((m) => m.marker === marker && m.kind === 'message');
  }

  private _messageOf(node: HTMLElement): ChatMessage | undefined {
    const marker = node.closest<HTMLElement>('[part~=message]')?.dataset.marker;
    return marker === undefined ? undefined : this._find(Number(marker));
  }

  private _part(name: string): HTMLElement | null {
    return this._host.renderRoot.querySelector(`[part~=${name}]`);
  }

  /** The message changed after it was shown: its bubble is built again. */
  private _changed(m: ChatMessage): void {
    m.rev = (m.rev ?? 0) + 1;
    this._host.requestUpdate();
  }

  private _request<T>(send: (c: ChatClient) => Promise<T>): Promise<T> {
    const client = this._bridge.client();
    return client ? send(client) : Promise.reject(Object.assign(new Error('not connected'), { code: 'disconnected' }));
  }

  /** A request from the UI: a refusal becomes `comet-error`. */
  private _do(p: Promise<unknown>): void {
    p.catch((err: { code?: string; message?: string }) =>
      emit(this._host, 'comet-error', { error: err.code ?? 'internal', message: String(err.message) }),
    );
  }
}
