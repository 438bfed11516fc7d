/**
 * <comet-chat>: a chat over one comet pipe, with a shadow-DOM UI. This file only defines the class;
 * ./define.js registers the tag, so a plugin may register the class under another name.
 *
 * The class holds the public surface and the template; each concern is a reactive controller in ./controllers
 * (connection, presence and typing, composer, scroll and unread, launcher), and the messages' DOM is
 * message-view.ts. Members named `_…` are internal (terser mangles them in the bundle; see rollup.config.js):
 * those the controllers share are marked `@internal` instead of `private`, and stay out of the manifest.
 */
import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { asClientError } from '../client/errors.js';
import type { ConnectionStatus } from '../client/types.js';
import { USER_NAME_MAX } from '../protocol/limits.js';
import type { DeliveryReport, IncomingMessage } from '../protocol/wire.js';
import { ComposerController } from './controllers/composer.js';
import type { LifecycleController } from './controllers/lifecycle.js';
import { ConnectionController } from './controllers/connection.js';
import type { LauncherController } from './controllers/launcher.js';
import { PresenceController } from './controllers/presence.js';
import { ScrollController } from './controllers/scroll.js';
import { emit } from './events.js';
import { MAX_MESSAGES, PAGE_SIZE, RENDER_LIMIT } from './feed-limits.js';
import { LocalizeController, type Translation } from './localize.js';
import { MessageLog, type ChatMessage } from './message-log.js';
import { MessageView, noticeText, senderName } from './message-view.js';
import { styles } from './styles.js';

/** Properties that name the connection or what it subscribes to: a change starts over. */
const LINK = ['server', 'devId', 'pipe', 'userId', 'userKey', 'userToken', 'noticesPipe'] as const;

/**
 * A chat over one pipe of a comet server: feed, join/leave notices, delivery counts, typing and presence;
 * inline, or behind a floating launcher button. Names and texts from the network are always rendered as text.
 *
 * @tag comet-chat
 *
 * @fires {CustomEvent<CometConnectDetail>} comet-connect - Connected (again) and authorized or not. Detail: CometConnectDetail `{auth}`.
 * @fires {CustomEvent<CometDisconnectDetail>} comet-disconnect - The connection dropped or was closed. Detail: CometDisconnectDetail `{status}`.
 * @fires {CustomEvent<CometMessageDetail>} comet-message - A message or notice entered the feed (live or history). Detail: CometMessageDetail `{message, raw}`.
 * @fires {CustomEvent<CometSendDetail>} comet-send - Before publishing my message; cancelable, and `detail.data` may be extended. Detail: CometSendDetail `{text, data}`.
 * @fires {CustomEvent<CometDeliveryDetail>} comet-delivery - The server's report on my message. Detail: CometDeliveryDetail `{message, report}`.
 * @fires {CustomEvent<CometErrorDetail>} comet-error - A request failed or the connection could not be made. Detail: CometErrorDetail `{error, message}`.
 * @fires {CustomEvent<CometEditDetail>} comet-edit - A message in the feed was edited (by its author, here or elsewhere, or the backend). Detail: CometEditDetail `{message}`.
 * @fires {CustomEvent<CometDeleteDetail>} comet-delete - A message was deleted: it stays as "message deleted" (`tombstone`) or left the feed. Detail: CometDeleteDetail `{marker, tombstone}`.
 * @fires {CustomEvent<CometReactionDetail>} comet-reaction - A reaction on a message in the feed was added or taken back. Detail: CometReactionDetail `{message, emoji, count, on}`.
 * @fires {CustomEvent<null>} comet-open - Launcher mode: the panel opened (clicked, or `open` set). No detail.
 * @fires {CustomEvent<null>} comet-close - Launcher mode: the panel closed (clicked, Escape, or `open` unset). No detail.
 *
 * @csspart base - The chat's box (header, feed, footer); the layout lives here, not on the tag.
 * @csspart launcher - Launcher mode: the round button that opens and closes the panel.
 * @csspart badge - Launcher mode: the count of messages that came while the panel was closed.
 * @csspart panel - Launcher mode: the floating box holding the chat (also `base`); full screen below 480 px.
 * @csspart close - Launcher mode: the close button in the header.
 * @csspart header - The top bar.
 * @csspart title - The chat title in the header.
 * @csspart online - The online count in the header.
 * @csspart status - The connection status in the header.
 * @csspart feed - The scrolling message list (`role="log"`).
 * @csspart load-earlier - The "load earlier messages" button.
 * @csspart empty - The text shown while the feed is empty.
 * @csspart message - One message bubble (also carries `mine` for my own, `pending` while not sent yet, `failed` when refused).
 * @csspart mine - My own message bubbles.
 * @csspart pending - My message bubbles not sent yet: waiting for the connection (they go once it is back) or for the answer.
 * @csspart failed - My message bubbles that were not delivered.
 * @csspart state - On my bubble: "not sent yet", or why it was not delivered.
 * @csspart retry - On my failed bubble, when the failure passes (rate limit, server unavailable, no answer): sends it again.
 * @csspart name - The sender's name in a message.
 * @csspart guest - A name the sender typed (anonymous), not one the server stamped (also `name`); shown with "~".
 * @csspart time - The time of a message.
 * @csspart text - The text of a message.
 * @csspart link - An http(s) link inside a message text.
 * @csspart code - Inline code in a message text.
 * @csspart code-block - A fenced code block in a message text.
 * @csspart mention - A mention of my own name in a message text.
 * @csspart show-more - The "show more" button under a long message (it goes once clicked).
 * @csspart actions - The button that opens a message's actions menu (react, reply; edit and delete on my own): one for the feed, on the message hovered, touched or focused (else the newest); Up and Down move it.
 * @csspart actions-menu - The open actions menu of a message (`role="menu"`; the delete confirmation in its place).
 * @csspart react-option - A reaction in the actions menu (`aria-checked` when it is mine).
 * @csspart menu-item - Reply, Edit or Delete in the actions menu.
 * @csspart confirm - The delete confirmation's "Delete" button (`cancel`: its "Cancel").
 * @csspart reactions - The row of reaction chips under a message.
 * @csspart reaction - A reaction chip: the emoji and its count; `aria-pressed` when I reacted with it; a click toggles mine.
 * @csspart quote - Above a reply: the message it answers (author and start); a click goes to that message.
 * @csspart edited - "edited" on a message that was changed.
 * @csspart tombstone - The text of a deleted message ("message deleted"); also `text`.
 * @csspart editor - A message being edited in place: its field (`edit-input`) and the `edit-save` and `edit-cancel` buttons.
 * @csspart receipt - On my message: "Delivered to 5 · Seen by 3".
 * @csspart reply-preview - Above the composer while writing a reply: whom it answers, and a `reply-cancel` button.
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
 * @cssprop [--comet-chat-error=#b3141f] - Delivery errors and the launcher's badge (dark: #ff7b72).
 * @cssprop [--comet-chat-focus=#0969da] - Focus outline (dark: #4493f8).
 * @cssprop [--comet-chat-radius=8px] - Corner radius of the box, bubbles, fields and buttons.
 * @cssprop [--comet-chat-font=system-ui, sans-serif] - Font family.
 * @cssprop [--comet-chat-font-size=0.95rem] - Base font size.
 * @cssprop [--comet-chat-spacing=8px] - The spacing unit.
 * @cssprop [--comet-chat-height=28rem] - Height of the chat (inline: of the tag; launcher: of the panel, at most the window's).
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
    mode: { reflect: true },
    open: { type: Boolean, reflect: true },
    position: { reflect: true },
    titleBadge: { attribute: 'title-badge', type: Boolean },
    sound: { type: Boolean },
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
  /** `inline` (the chat where the tag is), or `launcher` (a floating button that opens the chat in a panel). */
  mode: 'inline' | 'launcher' = 'inline';
  /** Launcher mode: the panel is open. Set it to open or close the panel from the page. */
  open = false;
  /** Launcher mode: the corner of the button and panel, `bottom-right` or `bottom-left`. */
  position: 'bottom-right' | 'bottom-left' = 'bottom-right';
  /** While the tab is hidden or the launcher closed, the page title shows the unread count: "(3) Title". */
  titleBadge = false;
  /** While the tab is hidden or the launcher closed, a short tone marks new messages (once per burst). */
  sound = false;

  /** @internal */
  readonly _log = new MessageLog(MAX_MESSAGES);
  /** @internal */
  readonly _connection = new ConnectionController(this);
  /** @internal */
  readonly _presence = new PresenceController(this);
  /** @internal */
  readonly _composer = new ComposerController(this);
  /** @internal */
  readonly _scroll = new ScrollController(this);
  /**
   * @internal Launcher mode, the title badge and the sound: a chunk of their own, loaded once one of them is set (the
   * update waits for it, see scheduleUpdate). Like the message actions, it is reached by public names only.
   */
  _launcher: LauncherController | undefined;
  private _launcherLoad: Promise<unknown> | undefined;
  /**
   * @internal The message actions: a chunk of their own, loaded as the element is made; the connection starts once
   * it is in (or failed to come). It reaches the element only through what it is handed: its build names `_` members
   * differently.
   */
  readonly _lifecycle: Promise<LifecycleController | undefined> = import('./controllers/lifecycle.js').then(
    ({ LifecycleController: L }) =>
      (this._more = new L(this, {
        log: this._log,
        client: () => this._connection._client,
        away: () => this._scroll._away(),
        atBottom: () => this._scroll._atBottom(),
        t: this._t,
      })),
    () => undefined,
  );
  /** @internal The message actions, once loaded. */
  _more: LifecycleController | undefined;
  private readonly _localize = new LocalizeController(this);
  private readonly _view = new MessageView();
  /** The newest live news for screen readers (the `role="status"` region). */
  private _announcement = '';

  /** The messages held in memory, oldest first (at most MAX_MESSAGES = 1000). Read-only. */
  get messages(): readonly ChatMessage[] {
    return this._log.list;
  }

  /** The connection state: `idle`, `connecting`, `connected`, `reconnecting` or `disconnected`. */
  get connectionStatus(): ConnectionStatus {
    return this._connection._status;
  }

  /** Connects (again) with the current attributes; a no-op until `server`, `dev-id` and `pipe` are set. */
  connect(): void {
    this._connection._connect();
  }

  /** Closes the connection; the feed stays as it is. */
  disconnect(): void {
    this._connection._disconnect();
  }

  /**
   * Publishes a message into the pipe (and shows it at once: the server does not send it back).
   * Resolves with the delivery report, or undefined when nothing was sent (empty text, or a
   * `comet-send` listener cancelled it); rejects when the server or the connection refused it.
   */
  send(text: string): Promise<DeliveryReport | undefined> {
    return this._composer._send(text);
  }

  /**
   * Takes one message into the feed as if it had arrived from the server: chat messages of `pipe`
   * whose `data.text` is a string, and `userLogin` / `userExit` of the notices pipe. Returns false
   * for anything else and for a marker already shown.
   */
  receive(raw: IncomingMessage): boolean {
    const message = this._toChatMessage(raw);
    if (!message || !this._log.add(message)) return false;
    if (!raw.server_info.history) {
      const chat = message.kind === 'message';
      this._scroll._appended(chat && !message.mine);
      if (chat) {
        this._announce(`${senderName(message, this._t)}: ${message.text}`);
        this._presence._stopped(message.userId, message.name);
      } else this._announce(noticeText(message, this._t));
    }
    this.requestUpdate();
    emit(this, 'comet-message', { message, raw });
    return true;
  }

  /** Changes the text of my message (within the server's edit window). Rejects when the server refuses. */
  edit(marker: number, text: string): Promise<void> {
    return this._act('edit', marker, text);
  }

  /* eslint-disable @typescript-eslint/no-misused-promises -- only the call with a marker returns a promise */
  /** @internal Element's remove(): the element leaves the page. */
  override remove(): void;
  /** @internal */
  override remove(marker: number): Promise<void>;
  /**
   * Deletes my message (within the server's edit window); it stays as "message deleted" or goes, per the app.
   * Without a marker it is Element's remove(): the element leaves the page.
   */
  override remove(marker?: number): Promise<void> | void {
    return marker === undefined ? super.remove() : this._act('remove', marker);
  }
  /* eslint-enable @typescript-eslint/no-misused-promises */

  /** Toggles my reaction `emoji` on a message. */
  react(marker: number, emoji: string): Promise<void> {
    return this._act('react', marker, emoji);
  }

  /** Makes the next message sent a reply to this one (the composer shows what it answers). */
  reply(marker: number): Promise<void> {
    return this._act('reply', marker);
  }

  private _act<K extends 'edit' | 'remove' | 'react' | 'reply'>(
    name: K,
    ...args: Parameters<LifecycleController[K]>
  ): Promise<void> {
    return this._lifecycle.then((l) => (l![name] as (...a: unknown[]) => Promise<void>)(...args));
  }

  /**
   * Loads (or reveals) one page of earlier messages above the feed; ignored while a page is on its way. What memory
   * holds above the shown window comes first; when that is less than a page, a page is asked of the server too.
   */
  async loadEarlier(): Promise<void> {
    if (this._scroll._revealEarlier() < PAGE_SIZE) await this._connection._loadEarlier();
  }

  /** @internal A UI string in the language in effect. */
  _t = <K extends keyof Translation>(key: K): Translation[K] => this._localize.term(key);

  /** @internal The first element of a part in the shadow root. */
  _part<T extends HTMLElement = HTMLElement>(name: string): T | null {
    return this.renderRoot.querySelector(`[part~=${name}]`);
  }

  /** @internal */
  _announce(text: string): void {
    this._announcement = text;
    this.requestUpdate();
  }

  /** @internal */
  _fail(error: string, message: string): void {
    emit(this, 'comet-error', { error, message });
  }

  /** @internal */
  _failWith(err: unknown): void {
    const e = asClientError(err);
    this._fail(e.code, e.message);
  }

  private _toChatMessage(raw: IncomingMessage): ChatMessage | null {
    const info = raw?.server_info;
    if (!info || typeof info.marker !== 'number') return null;
    const data = (raw.data ?? {}) as { text?: unknown; name?: unknown };
    const dataName = typeof data.name === 'string' ? data.name.trim().slice(0, USER_NAME_MAX) : '';
    const { marker, pipe, event, user_id: userId } = info;
    const id = `m${marker}`;
    const time = Number.isFinite(info.time) ? info.time : Date.now();
    if (pipe === this.noticesPipe && (event === 'userLogin' || event === 'userExit')) {
      const kind = event === 'userLogin' ? 'join' : 'leave';
      return { id, marker, pipe, event, userId, time, kind, name: info.user_name || dataName, text: '', mine: false };
    }
    // A deleted message comes as its tombstone: no data.
    if (pipe !== this.pipe || (typeof data.text !== 'string' && !info.deleted)) return null;
    // A stamped name always wins; an authorized user without one is shown by id, never by data.name.
    const name = info.user_name || (userId > 0 ? '' : dataName);
    const auth = this._connection._auth;
    const mine = userId > 0 && !!auth?.authorized && userId === auth.user_id;
    const message: ChatMessage = {
      id,
      marker,
      pipe,
      event,
      userId,
      time,
      kind: 'message',
      name,
      text: (data.text as string) ?? '',
      mine,
    };
    this._more?.taken(message, info);
    return message;
  }

  /** A button that goes away (no more "earlier", "new messages" or "show more" done) hands the focus to the feed, not the page. */
  private async _keepFocus(): Promise<void> {
    await this.updateComplete;
    if (!this.shadowRoot!.activeElement) this._part('feed')!.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Before the first update only when connecting could not happen yet (attributes set after appending).
    if (LINK.some((k) => changed.has(k)) && (this.hasUpdated || !this._connection._client)) {
      this._resetFeed();
      if (this.isConnected) this.connect();
    }
  }

  /** @internal Empties the feed (another pipe, or the server's markers started again). */
  _resetFeed(): void {
    this._log.clear();
    this._scroll._visible = RENDER_LIMIT;
    this._connection._earlier = false;
    this._composer._delivery = null;
    this.requestUpdate();
  }

  /**
   * What is on its way holds the update back: a language (the UI never flashes in English first), and launcher mode's
   * chunk (its button never shows without what it does).
   */
  protected override scheduleUpdate(): void | Promise<unknown> {
    const language = this._localize.loading();
    const launcher = this._loadLauncher();
    return language || launcher
      ? Promise.all([language, launcher]).then(() => super.scheduleUpdate())
      : super.scheduleUpdate();
  }

  /** Starts loading the launcher's chunk when the attributes first ask for it; undefined when none is awaited. */
  private _loadLauncher(): Promise<unknown> | undefined {
    if (this._launcher || (this.mode !== 'launcher' && !this.titleBadge && !this.sound)) return undefined;
    return (this._launcherLoad ??= import('./controllers/launcher.js').then(
      ({ LauncherController: L }) =>
        (this._launcher = new L(this, { part: (name) => this._part(name), unread: () => this._scroll._unread })),
      () => undefined,
    ));
  }

  /** Lit renders the frame; the message view puts the shown window of the log into its list. */
  protected override update(changed: PropertyValues<this>): void {
    super.update(changed);
    const list = this._log.list;
    this._view.sync(
      this.renderRoot.querySelector('[part~=feed]>div')!,
      list.slice(Math.max(0, list.length - this._scroll._visible)),
      {
        t: this._t,
        lang: this._localize.lang(),
        // A stamped name is only ever an authorized user's; a guest chats under `name`.
        me: this._connection._auth?.user_name ?? this.name,
        retryOf: (m) => this._composer._retries.get(m),
        more: this._more,
      },
    );
  }

  protected override render(): TemplateResult {
    const t = this._t;
    const { _status: status, _earlier: earlier, _loadingEarlier: loading, _client: client } = this._connection;
    const { _unread: unread, _unseen: unseen, _visible: visible } = this._scroll;
    const composer = this._composer;
    const online = this._presence._online;
    const count = this._log.list.length;
    const launcher = this.mode === 'launcher';
    const reason = composer._blockedReason();
    const needName = composer._asksName() && !this.name.trim();
    return html`
      ${
        launcher
          ? html`<button part="launcher" class="launcher" type="button" aria-expanded=${this.open}
            aria-label=${t('openChat')(unread)}
            @click=${this._launcher?.toggle}>
            <svg viewBox="0 0 24 24"><path d="M3 4h18v12H10l-6 5v-5H3z" /></svg>
            ${unread && !this.open ? html`<span part="badge" class="badge">${unread}</span>` : nothing}
          </button>`
          : nothing
      }
      <div part=${launcher ? 'base panel' : 'base'} class=${launcher ? 'base panel' : 'base'} @keydown=${this._launcher?.keyDown}>
        <header part="header" class="header">
          <h2 part="title" class="title">${t('title')}</h2>
          ${online === null || status !== 'connected' ? nothing : html`<span part="online" class="online">${t('online')(online)}</span>`}
          ${
            status === 'connected' && !this._connection._available
              ? html`<span part="status" class="status" data-status="unavailable">${t('unavailable')}</span>`
              : html`<span part="status" class="status" data-status=${status}>${t('status')[status]}</span>`
          }
          ${
            launcher
              ? html`<button part="close" class="close" type="button" aria-label=${t('closeChat')} @click=${() => (this.open = false)}>×</button>`
              : nothing
          }
        </header>
        <div part="feed" class="feed" role="log" aria-live="off" aria-label=${t('feedLabel')} tabindex="0" @scroll=${this._scroll._handleScroll}>
          ${
            count > visible || (earlier && client && count > 0)
              ? // Never disabled while loading: a disabled button loses the keyboard focus (loadEarlier ignores the extra clicks).
                html`<button part="load-earlier" class="load-earlier" type="button" @click=${() => this.loadEarlier().then(() => this._keepFocus())}>
                ${loading ? t('loading') : t('loadEarlier')}
              </button>`
              : nothing
          }
          ${count === 0 ? html`<p part="empty" class="empty">${t('empty')}</p>` : nothing}
          <div @click=${(e: Event) => (this._view.handleClick(e), this._keepFocus())}></div>
          ${
            unseen
              ? html`<button part="new-messages" class="new-messages" type="button" @click=${() => (this._scroll._toNewest(), this._keepFocus())}>
                ${t('newMessages')} ↓
              </button>`
              : nothing
          }
        </div>
        <div part="footer" class="footer">
          <p part="typing" class="typing">${this._presence._text()}</p>
          ${
            composer._asksName()
              ? html`<input part="name-input" class="name-input" type="text" maxlength=${USER_NAME_MAX} autocomplete="nickname"
                aria-label=${t('nameLabel')} placeholder=${t('namePlaceholder')} .value=${this.name}
                ?disabled=${!!reason} @change=${composer._commitName} />`
              : nothing
          }
          <div part="composer" class="composer">
            <textarea part="textarea" class="textarea" rows="1" aria-label=${t('messageLabel')} placeholder=${t('messagePlaceholder')}
              aria-describedby="reason" .value=${composer._draft} ?disabled=${!!reason}
              @input=${composer._handleInput} @keydown=${composer._handleKeyDown}></textarea>
            <button part="send-button" class="send-button" type="button" ?disabled=${!!reason || !composer._draft.trim()} @click=${composer._submit}>
              ${t('send')}
            </button>
          </div>
          <p part="reason" class="reason" id="reason">${reason || (needName ? t('reasonNeedName') : '')}</p>
          <p part="delivery" class="delivery" ?data-error=${composer._delivery?.state === 'failed'}>${composer._deliveryText()}</p>
        </div>
        <div class="sr-only" role="status">${this._announcement}</div>
      </div>
    `;
  }
}
