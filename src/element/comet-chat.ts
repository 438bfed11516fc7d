/**
 * <comet-chat>: a chat over one comet pipe, with a shadow-DOM UI. This file only defines the class;
 * ./define.js registers the tag, so a plugin may register the class under another name.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { CometClient } from '../client/comet-client.js';
import { CometClientError, asClientError } from '../client/errors.js';
import type { ConnectionStatus } from '../client/types.js';
import { HISTORY_PAGE_MAX, USER_NAME_MAX } from '../protocol/limits.js';
import { TRACK_PREFIX, browserMayPublish, isValidPipeName } from '../protocol/names.js';
import type { AuthInfo, DeliveryReport, IncomingMessage, TypingNotice } from '../protocol/wire.js';
import { emit, type CometChatEventMap } from './events.js';
import { splitLinks, type TextPart } from './linkify.js';
import { LocalizeController, type Translation } from './localize.js';
import { MessageLog, type ChatMessage } from './message-log.js';
import { styles } from './styles.js';

/** Most messages kept in memory (`messages`); older ones are dropped and paging back stops there. */
export const MAX_MESSAGES = 1000;
/** Most messages in the DOM at once while the reader is at the bottom; "load earlier" widens it. */
export const RENDER_LIMIT = 200;
/** Messages asked per "load earlier" page. */
export const PAGE_SIZE = 50;
const TYPING_SHOWN_MS = 4000;
/** A safety net only: the `track_` feed of the pipe tells when the count changes. */
const PRESENCE_REFRESH_MS = 30_000;
/** Network messages wait this long (ms) to be taken in together. */
const BATCH_MS = 16;
/** How close to the bottom (px) still counts as "reading the newest". */
const BOTTOM_SLACK = 40;

/** Properties that name the connection or what it subscribes to: a change starts over. */
const LINK = ['server', 'devId', 'pipe', 'userId', 'userKey', 'userToken', 'noticesPipe'] as const;
/** Internal reactive state: a change re-renders. */
const STATE = ['status', 'auth', 'online', 'delivery', 'typists', 'announcement', 'visible', 'loadingEarlier', 'earlier', 'unseen', 'draft'];

type Delivery = { state: 'sending' } | { state: 'delivered'; count: number } | { state: 'failed'; reason: string };

/**
 * A chat over one pipe of a comet server: feed, join/leave notices, delivery counts, typing and presence.
 * Names and texts from the network are always rendered as text.
 *
 * @tag comet-chat
 *
 * @fires {CustomEvent<CometConnectDetail>} comet-connect - Connected (again) and authorized or not. Detail: CometConnectDetail `{auth}`.
 * @fires {CustomEvent<CometDisconnectDetail>} comet-disconnect - The connection dropped or was closed. Detail: CometDisconnectDetail `{status}`.
 * @fires {CustomEvent<CometMessageDetail>} comet-message - A message or notice entered the feed (live or history). Detail: CometMessageDetail `{message, raw}`.
 * @fires {CustomEvent<CometSendDetail>} comet-send - Before publishing my message; cancelable, and `detail.data` may be extended. Detail: CometSendDetail `{text, data}`.
 * @fires {CustomEvent<CometDeliveryDetail>} comet-delivery - The server's report on my message. Detail: CometDeliveryDetail `{message, report}`.
 * @fires {CustomEvent<CometErrorDetail>} comet-error - A request failed or the connection could not be made. Detail: CometErrorDetail `{error, message}`.
 *
 * @csspart header - The top bar.
 * @csspart title - The chat title in the header.
 * @csspart online - The online count in the header.
 * @csspart status - The connection status in the header.
 * @csspart feed - The scrolling message list (`role="log"`).
 * @csspart load-earlier - The "load earlier messages" button.
 * @csspart empty - The text shown while the feed is empty.
 * @csspart message - One message bubble (also carries `mine` for my own, `failed` when not delivered).
 * @csspart mine - My own message bubbles.
 * @csspart failed - My message bubbles that were not delivered.
 * @csspart name - The sender's name in a message.
 * @csspart time - The time of a message.
 * @csspart text - The text of a message.
 * @csspart link - An http(s) link inside a message text.
 * @csspart notice - A join / leave notice.
 * @csspart new-messages - The "new messages" button shown while scrolled up.
 * @csspart footer - The area below the feed (typing, composer, delivery).
 * @csspart typing - The "… is typing" line.
 * @csspart composer - The row with the inputs and the send button.
 * @csspart name-input - The anonymous user's name field.
 * @csspart textarea - The message field.
 * @csspart send-button - The send button.
 * @csspart reason - Why sending is disabled.
 * @csspart delivery - The delivery status of my last message.
 *
 * @cssprop [--comet-chat-bg=#ffffff] - Background (dark: #0d1117).
 * @cssprop [--comet-chat-fg=#1f2328] - Text colour (dark: #e6edf3).
 * @cssprop [--comet-chat-muted=#59636e] - Secondary text: times, status, notices (dark: #9198a1).
 * @cssprop [--comet-chat-accent=#0550ae] - Buttons and the "load earlier" text (dark: #4493f8).
 * @cssprop [--comet-chat-accent-fg=#ffffff] - Text on accent buttons (dark: #0d1117).
 * @cssprop [--comet-chat-mine-bg=#ddf4ff] - My message bubbles (dark: #0c2d6b).
 * @cssprop [--comet-chat-other-bg=#f6f8fa] - Other people's bubbles (dark: #161b22).
 * @cssprop [--comet-chat-border=#d1d9e0] - Borders (dark: #3d444d).
 * @cssprop [--comet-chat-error=#b3141f] - Delivery errors (dark: #ff7b72).
 * @cssprop [--comet-chat-focus=#0969da] - Focus outline (dark: #4493f8).
 * @cssprop [--comet-chat-radius=8px] - Corner radius of the box, bubbles, fields and buttons.
 * @cssprop [--comet-chat-font=system-ui, sans-serif] - Font family.
 * @cssprop [--comet-chat-font-size=0.95rem] - Base font size.
 * @cssprop [--comet-chat-spacing=8px] - The spacing unit.
 * @cssprop [--comet-chat-height=28rem] - Height of the element.
 */
export class CometChat extends LitElement {
  static override styles = styles;
  static override properties = {
    server: { reflect: true },
    devId: { attribute: 'dev-id', reflect: true },
    pipe: { reflect: true },
    userId: { attribute: 'user-id' },
    userKey: { attribute: 'user-key' },
    userToken: { attribute: 'user-token' },
    name: { reflect: true },
    noticesPipe: { attribute: 'notices-pipe' },
    history: { type: Number },
    lang: {},
    readonly: { type: Boolean, reflect: true },
    theme: { reflect: true },
    strings: { attribute: false },
    ...Object.fromEntries(STATE.map((k) => [k, { state: true }])),
  };

  /** Server URL, e.g. `https://chat.example.com`. */
  server = '';
  /** The app (dev id) on that server. */
  devId = '';
  /** The pipe of the chat, e.g. `web_chat` (browsers may publish into `web_` pipes, and `webauth_` once authorized). */
  pipe = '';
  /** Authorized user: id, with `user-key` (registered by the site's backend) or `user-token`. */
  userId = '';
  /** Authorized user: the key the site's backend registered for `user-id`. */
  userKey = '';
  /** Authorized user: a signed token instead of `user-id` + `user-key`. */
  userToken = '';
  /** Display name of an anonymous user (sent as `data.name`); when empty the UI asks for one. Ignored once authorized. */
  name = '';
  /** Pipe whose `userLogin` / `userExit` events (`data.name`) are shown as join / leave notices; "" for none. */
  noticesPipe = 'loginPipe';
  /** How many earlier messages to load on connect (0–200). */
  history = PAGE_SIZE;
  /** Language of the UI (`en`, `ru`, or any registered one); default: the page's `<html lang>`. */
  override lang!: string;
  /** Show the feed only; the composer is disabled. */
  readonly = false;
  /** `light`, `dark`, or `auto` (follows `prefers-color-scheme`). */
  theme: 'light' | 'dark' | 'auto' = 'light';
  /** Overrides for any UI string (see Translation); they win over the language's own. */
  strings: Partial<Translation> = {};

  private status: ConnectionStatus = 'idle';
  private auth: AuthInfo | null = null;
  private online: number | null = null;
  private delivery: Delivery | null = null;
  private typists = new Map<number | string, { name: string; until: number }>();
  private announcement = '';
  private visible = RENDER_LIMIT;
  private loadingEarlier = false;
  /** The last history page was full: the server may hold older messages ("load earlier" shows). */
  private earlier = false;
  private unseen = false;
  private draft = '';

  private readonly _localize = new LocalizeController(this);
  private readonly _log = new MessageLog(MAX_MESSAGES);
  private _client: CometClient | null = null;
  private _stopClient: (() => void) | null = null;
  private _localSeq = 0;
  private _wasConnected = false;
  private _wasConnectedOnce = false;
  private _stickToBottom = false;
  private _inbox: IncomingMessage[] = [];
  private _inboxTimer: ReturnType<typeof setTimeout> | undefined;
  /** Link parts and formatted time of each rendered message, so a re-render does not redo them. */
  private readonly _rendered = new WeakMap<ChatMessage, { parts: TextPart[]; time: string; iso: string; lang: string }>();
  private _appended = false;
  private _prependHeight = -1;
  private _timers: ReturnType<typeof setInterval>[] = [];

  private get _feed(): HTMLElement | null {
    return this.renderRoot.querySelector('[part~="feed"]');
  }

  /** The messages held in memory, oldest first (at most MAX_MESSAGES = 1000). Read-only. */
  get messages(): readonly ChatMessage[] {
    return this._log.list;
  }

  /** The connection state: `idle`, `connecting`, `connected`, `reconnecting` or `disconnected`. */
  get connectionStatus(): ConnectionStatus {
    return this.status;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this._client) this.connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.disconnect();
  }

  /** Connects (again) with the current attributes; a no-op until `server`, `dev-id` and `pipe` are set. */
  connect(): void {
    this.disconnect();
    // A new client knows nothing of what this feed shows: take the newest history again (duplicates drop out).
    this._wasConnectedOnce = false;
    if (!this.server || !this.devId || !this.pipe) return;
    const client = new CometClient({
      server: this.server,
      devId: this.devId,
      ...(this.userToken ? { token: this.userToken } : this.userId ? { userId: this.userId, userKey: this.userKey } : {}),
    });
    const offs = [
      client.on('status', (s) => this._onStatus(s)),
      client.on('auth', (a) => this._onAuth(a)),
      client.on('message', (m) => this._enqueue(m)),
      client.on('delete', (d) => d.pipe === this.pipe && this._log.remove(d.marker) && this.requestUpdate()),
      client.on('typing', (t) => this._onTyping(t)),
      client.on('error', (e) => this._fail(e.error, e.message)),
    ];
    this._client = client;
    this._stopClient = () => offs.forEach((off) => off());
    for (const target of this._targets()) client.subscribe(target).catch((err: unknown) => this._failWith(err));
    client.connect();
    this._timers = [
      setInterval(() => this._refreshPresence(), PRESENCE_REFRESH_MS),
      setInterval(() => this._expireTypists(), 1000),
    ];
  }

  /** Closes the connection; the feed stays as it is. */
  disconnect(): void {
    this._timers.forEach(clearInterval);
    this._timers = [];
    const client = this._client;
    if (!client) return;
    this._client = null;
    client.disconnect();
    this._stopClient?.();
    this._onStatus('disconnected');
  }

  /**
   * Publishes a message into the pipe (and shows it at once: the server does not send it back).
   * Resolves with the delivery report, or undefined when nothing was sent (empty text, or a
   * `comet-send` listener cancelled it); rejects when the server or the connection refused it.
   */
  async send(text: string): Promise<DeliveryReport | undefined> {
    text = text.trim();
    const client = this._client;
    if (!text) return undefined;
    const authorized = !!this.auth?.authorized;
    const data: CometChatEventMap['comet-send']['data'] = authorized ? { text } : { text, name: this.name.trim() };
    if (!emit(this, 'comet-send', { text, data }, true)) return undefined;
    const message: ChatMessage = {
      id: `l${++this._localSeq}`,
      kind: 'message',
      pipe: this.pipe,
      event: 'undefined',
      userId: this.auth?.user_id ?? 0,
      name: authorized ? (this.auth?.user_name ?? '') : (data.name ?? ''),
      text,
      time: Date.now(),
      mine: true,
      state: 'sending',
    };
    this._log.add(message);
    this._appended = true;
    this.delivery = { state: 'sending' };
    this.requestUpdate();
    try {
      if (!client) throw new CometClientError('disconnected', 'not connected to the comet server');
      const report = await client.publish(this.pipe, data);
      message.state = 'sent';
      if (report.marker !== undefined) this._log.confirm(message, report.marker);
      this.delivery = { state: 'delivered', count: report.number_messages };
      emit(this, 'comet-delivery', { message, report });
      return report;
    } catch (err) {
      const e = asClientError(err);
      message.state = 'failed';
      this.delivery = { state: 'failed', reason: e.message };
      emit(this, 'comet-delivery', { message, report: { number_messages: 0, error: e.code, message: e.message } });
      this._fail(e.code, e.message);
      throw err;
    } finally {
      this.requestUpdate();
    }
  }

  /**
   * Takes one message into the feed as if it had arrived from the server: chat messages of `pipe`
   * whose `data.text` is a string, and `userLogin` / `userExit` of the notices pipe. Returns false
   * for anything else and for a marker already shown.
   */
  receive(raw: IncomingMessage): boolean {
    const message = this._toChatMessage(raw);
    if (!message || !this._log.add(message)) return false;
    const live = !raw.server_info.history;
    if (live) {
      this._appended = true;
      if (message.kind === 'message') this._announce(`${this._displayName(message)}: ${message.text}`);
      else this._announce(this._noticeText(message));
      if (message.userId) this.typists.delete(message.userId);
    }
    this.requestUpdate();
    emit(this, 'comet-message', { message, raw });
    return true;
  }

  /**
   * Network messages are taken in batches, so a burst costs one render rather than one per message.
   * A batch with someone joining or leaving (the pipe's `track_` feed) asks for the online count once.
   */
  private _enqueue(raw: IncomingMessage): void {
    this._inbox.push(raw);
    this._inboxTimer ??= setTimeout(() => {
      this._inboxTimer = undefined;
      let presenceChanged = false;
      for (const m of this._inbox.splice(0)) {
        if (m.server_info.pipe === TRACK_PREFIX + this.pipe) presenceChanged = true;
        else this.receive(m);
      }
      if (presenceChanged) this._refreshPresence();
    }, BATCH_MS);
  }

  /** Loads (or reveals) one page of earlier messages above the feed; ignored while a page is on its way. */
  async loadEarlier(): Promise<void> {
    const hidden = this._log.list.length - this.visible;
    if (hidden > 0) {
      this._keepScrollOnPrepend();
      this.visible += Math.min(PAGE_SIZE, hidden);
      return;
    }
    if (!this._client || this.loadingEarlier || !this.earlier) return;
    this.loadingEarlier = true;
    try {
      await this._loadPage(PAGE_SIZE, this._log.oldestMarker(this.pipe));
    } catch (err) {
      this._failWith(err);
    } finally {
      this.loadingEarlier = false;
    }
  }

  /**
   * Takes in the newest `limit` stored messages (below marker `before`, when given) above the feed.
   * It asks for one more than it shows: that one tells whether anything older is left.
   */
  private async _loadPage(limit: number, before?: number): Promise<void> {
    const ask = Math.min(limit + 1, HISTORY_PAGE_MAX);
    const page = await this._client!.history(this.pipe, before ? { limit: ask, before } : { limit: ask });
    this._keepScrollOnPrepend();
    for (const m of page.slice(page.length > limit ? 1 : 0)) if (this.receive(m)) this.visible++;
    this.earlier = page.length === ask && !this._log.full;
  }

  /* ---- connection ---- */

  /** The chat pipe, its `track_` twin (whose join / leave events keep the online count fresh) and the notices. */
  private _targets(): string[] {
    const n = this.noticesPipe;
    const track = TRACK_PREFIX + this.pipe;
    return [this.pipe, ...(isValidPipeName(track) ? [track] : []), ...(n ? [`${n}.userLogin`, `${n}.userExit`] : [])];
  }

  private _onStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    this._announce(this.t('status')[status]);
    if (this._wasConnected && (status === 'reconnecting' || status === 'disconnected')) {
      this._wasConnected = false;
      emit(this, 'comet-disconnect', { status });
    }
  }

  /** Connected (again): the client's status is already `connected`, so requests may go out. */
  private _onAuth(auth: AuthInfo): void {
    this.auth = auth;
    this._wasConnected = true;
    emit(this, 'comet-connect', { auth });
    // The client re-subscribes by itself; asking again tells us when the server has us, so the count includes us.
    // History is asked after subscribing, so nothing falls between the page and the live feed.
    const first = !this._wasConnectedOnce;
    this._wasConnectedOnce = true;
    const client = this._client;
    Promise.all(this._targets().map((t) => client?.subscribe(t)))
      .then(() => {
        this._refreshPresence();
        // `| 0` turns a history attribute that is not a number into 0.
        if (first) return this._loadPage(Math.min(Math.max(this.history | 0, 0), HISTORY_PAGE_MAX));
      })
      // A client closed or replaced meanwhile (pipe changed, element removed) fails its requests: not an error here.
      .catch((err: unknown) => client === this._client && this._failWith(err));
  }

  private _refreshPresence(): void {
    this._client
      ?.presence(this.pipe)
      .then((p) => (this.online = p.count))
      .catch(() => undefined);
  }

  private _onTyping(t: TypingNotice): void {
    if (t.pipe !== this.pipe || (t.user_id > 0 && t.user_id === this.auth?.user_id)) return;
    const key = t.user_id || 'anonymous';
    this.typists.set(key, { name: t.user_name ?? '', until: Date.now() + TYPING_SHOWN_MS });
    this.requestUpdate();
  }

  private _expireTypists(): void {
    const now = Date.now();
    for (const [key, v] of this.typists) if (v.until < now && this.typists.delete(key)) this.requestUpdate();
  }

  private _fail(error: string, message: string): void {
    emit(this, 'comet-error', { error, message });
  }

  private _failWith(err: unknown): void {
    const e = asClientError(err);
    this._fail(e.code, e.message);
  }

  /* ---- messages ---- */

  private _toChatMessage(raw: IncomingMessage): ChatMessage | null {
    const info = raw?.server_info;
    if (!info || typeof info.marker !== 'number') return null;
    const data = (raw.data ?? {}) as { text?: unknown; name?: unknown };
    const dataName = typeof data.name === 'string' ? data.name.trim().slice(0, USER_NAME_MAX) : '';
    const time = Number.isFinite(info.time) ? info.time : Date.now();
    const base = { id: `m${info.marker}`, marker: info.marker, pipe: info.pipe, event: info.event, userId: info.user_id, time };
    if (info.pipe === this.noticesPipe && (info.event === 'userLogin' || info.event === 'userExit')) {
      const kind = info.event === 'userLogin' ? 'join' : 'leave';
      return { ...base, kind, name: info.user_name || dataName, text: '', mine: false };
    }
    if (info.pipe !== this.pipe || typeof data.text !== 'string') return null;
    // A stamped name always wins; an authorized user without one is shown by id, never by data.name.
    const name = info.user_name || (info.user_id > 0 ? '' : dataName);
    const mine = info.user_id > 0 && !!this.auth?.authorized && info.user_id === this.auth.user_id;
    return { ...base, kind: 'message', name, text: data.text, mine };
  }

  private _displayName(m: ChatMessage): string {
    return m.name || (m.userId > 0 ? this.t('user')(m.userId) : this.t('anonymous'));
  }

  private _noticeText(m: ChatMessage): string {
    return this.t(m.kind === 'join' ? 'joined' : 'left')(this._displayName(m));
  }

  private _announce(text: string): void {
    this.announcement = text;
  }

  /* ---- scrolling ---- */

  private _atBottom(): boolean {
    const f = this._feed;
    return !f || f.scrollHeight - f.scrollTop - f.clientHeight <= BOTTOM_SLACK;
  }

  private _keepScrollOnPrepend(): void {
    this._prependHeight = this._feed ? this._feed.scrollHeight - this._feed.scrollTop : -1;
  }

  private _scrollToNewest(): void {
    this.unseen = false;
    this.visible = RENDER_LIMIT;
    this._keepFocus();
    this.updateComplete.then(() => this._feed?.scrollTo({ top: this._feed.scrollHeight }));
  }

  /** A button that goes away (no more "earlier", or "new messages" done) hands the focus to the feed, not the page. */
  private async _keepFocus(): Promise<void> {
    await this.updateComplete;
    if (!this.shadowRoot!.activeElement) this._feed!.focus();
  }

  private _onScroll(): void {
    if (this.unseen && this._atBottom()) this.unseen = false;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (this._appended) {
      this._appended = false;
      if (this._atBottom()) {
        this.visible = RENDER_LIMIT;
        this._stickToBottom = true;
      } else this.unseen = true;
    }
    // Before the first update only when connectedCallback could not connect yet (attributes set after appending).
    if (LINK.some((k) => changed.has(k)) && (this.hasUpdated || !this._client)) {
      this._resetFeed();
      if (this.isConnected) this.connect();
    }
  }

  protected override updated(): void {
    const f = this._feed;
    if (!f) return;
    if (this._prependHeight >= 0) {
      f.scrollTop = f.scrollHeight - this._prependHeight;
      this._prependHeight = -1;
    } else if (this._stickToBottom) {
      f.scrollTop = f.scrollHeight;
    }
    this._stickToBottom = false;
  }

  private _resetFeed(): void {
    this._log.clear();
    this.visible = RENDER_LIMIT;
    this.earlier = false;
    this.delivery = null;
  }

  /* ---- composer ---- */

  /** Why sending is not possible now, or "" when it is. */
  private _blockedReason(): string {
    if (this.readonly) return this.t('reasonReadonly');
    if (this.status !== 'connected') return this.t('reasonOffline');
    if (!browserMayPublish(this.pipe, !!this.auth?.authorized)) return this.t('reasonNoPublish');
    return '';
  }

  private _asksName(): boolean {
    return !this.auth?.authorized;
  }

  private _onKeyDown(e: KeyboardEvent): void {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this._submit();
    }
  }

  private _onInput(e: Event): void {
    this.draft = (e.target as HTMLTextAreaElement).value;
    if (this.status === 'connected') this._client?.typing(this.pipe);
  }

  private _submit(): void {
    if (this._blockedReason() || !this.draft.trim() || (this._asksName() && !this.name.trim())) return;
    const text = this.draft;
    this.draft = '';
    // The send button goes disabled with the field emptied: keep the keyboard in the field.
    this.renderRoot.querySelector('textarea')!.focus();
    this.send(text).then(
      (report) => report || (this.draft = text), // a comet-send listener cancelled it: the text is not lost
      () => undefined,
    );
  }

  /* ---- rendering ---- */

  private t<K extends keyof Translation>(key: K): Translation[K] {
    return this._localize.term(key);
  }

  private _formatTime(time: number, lang: string): string {
    const options = { hour: '2-digit', minute: '2-digit' } as const;
    try {
      return new Date(time).toLocaleTimeString(lang, options);
    } catch {
      return new Date(time).toLocaleTimeString('en', options); // an invalid language tag
    }
  }

  protected override render(): TemplateResult {
    const list = this._log.list;
    const shown = list.slice(Math.max(0, list.length - this.visible));
    const hiddenBefore = shown.length < list.length;
    const reason = this._blockedReason();
    const needName = this._asksName() && !this.name.trim();
    return html`
      <header part="header">
        <h2 part="title">${this.t('title')}</h2>
        ${this.online === null || this.status !== 'connected' ? nothing : html`<span part="online">${this.t('online')(this.online)}</span>`}
        <span part="status" data-status=${this.status}>${this.t('status')[this.status]}</span>
      </header>
      <div part="feed" role="log" aria-live="off" aria-label=${this.t('feedLabel')} tabindex="0" @scroll=${this._onScroll}>
        ${hiddenBefore || (this.earlier && this._client && list.length > 0)
          ? // Never disabled while loading: a disabled button loses the keyboard focus (loadEarlier ignores the extra clicks).
            html`<button part="load-earlier" type="button" @click=${() => this.loadEarlier().then(() => this._keepFocus())}>
              ${this.loadingEarlier ? this.t('loading') : this.t('loadEarlier')}
            </button>`
          : nothing}
        ${list.length === 0 ? html`<p part="empty">${this.t('empty')}</p>` : nothing}
        ${shown.map((m) => this._renderMessage(m))}
        ${this.unseen ? html`<button part="new-messages" type="button" @click=${this._scrollToNewest}>${this.t('newMessages')} ↓</button>` : nothing}
      </div>
      <div part="footer">
        <p part="typing">${this._typingText()}</p>
        ${this._asksName()
          ? html`<input part="name-input" type="text" maxlength=${USER_NAME_MAX} autocomplete="nickname"
              aria-label=${this.t('nameLabel')} placeholder=${this.t('namePlaceholder')} .value=${this.name}
              ?disabled=${!!reason} @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)} />`
          : nothing}
        <div part="composer">
          <textarea part="textarea" rows="1" aria-label=${this.t('messageLabel')} placeholder=${this.t('messagePlaceholder')}
            aria-describedby="reason" .value=${this.draft} ?disabled=${!!reason}
            @input=${this._onInput} @keydown=${this._onKeyDown}></textarea>
          <button part="send-button" type="button" ?disabled=${!!reason || needName || !this.draft.trim()} @click=${this._submit}>
            ${this.t('send')}
          </button>
        </div>
        <p part="reason" id="reason">${reason || (needName ? this.t('reasonNeedName') : '')}</p>
        <p part="delivery" ?data-error=${this.delivery?.state === 'failed'}>${this._deliveryText()}</p>
      </div>
      <div class="sr-only" role="status">${this.announcement}</div>
    `;
  }

  private _renderMessage(m: ChatMessage): TemplateResult {
    if (m.kind !== 'message') return html`<p part="notice">${this._noticeText(m)}</p>`;
    const part = `message${m.mine ? ' mine' : ''}${m.state === 'failed' ? ' failed' : ''}`;
    const lang = this._localize.lang();
    let cached = this._rendered.get(m);
    if (!cached || cached.lang !== lang) {
      const iso = new Date(m.time).toISOString();
      this._rendered.set(m, (cached = { parts: splitLinks(m.text), time: this._formatTime(m.time, lang), iso, lang }));
    }
    return html`<div part=${part}>
      <span part="name">${m.mine && !m.name ? this.t('you') : this._displayName(m)}</span>
      <time part="time" datetime=${cached.iso}>${cached.time}</time>
      <div part="text">${cached.parts.map((p) =>
        p.href ? html`<a part="link" href=${p.href} target="_blank" rel="noopener noreferrer nofollow">${p.text}</a>` : p.text,
      )}</div>
    </div>`;
  }

  private _typingText(): string {
    if (this.typists.size === 0) return '';
    const names = [...this.typists.values()].map((v) => v.name).filter(Boolean);
    return this.t('typing')(names);
  }

  private _deliveryText(): string {
    const d = this.delivery;
    if (!d) return '';
    if (d.state === 'sending') return this.t('sending');
    return d.state === 'delivered' ? this.t('delivered')(d.count) : this.t('failed')(d.reason);
  }
}
