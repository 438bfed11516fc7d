/**
 * The connection of <comet-chat>: one CometClient for the element's server, app, pipe and identity; the
 * subscriptions (the pipe, its `track_` twin, the notices); the batching of incoming messages; history pages.
 */
import type { ReactiveController } from 'lit';
import { CometClient } from '../../client/comet-client.js';
import { CometClientError } from '../../client/errors.js';
import type { ChatClient } from '../../client/shared.js';
import type { ConnectionStatus } from '../../client/types.js';
import { HISTORY_PAGE_MAX } from '../../protocol/limits.js';
import { TRACK_PREFIX, isValidPipeName } from '../../protocol/names.js';
import type { AuthInfo, IncomingMessage } from '../../protocol/wire.js';
import type { CometChat } from '../comet-chat.js';
import { emit } from '../events.js';
import { PAGE_SIZE } from '../feed-limits.js';

/** Network messages wait this long (ms) to be taken in together. */
const BATCH_MS = 16;

export class ConnectionController implements ReactiveController {
  /** `idle`, `connecting`, `connected`, `reconnecting` or `disconnected`. */
  _status: ConnectionStatus = 'idle';
  /** Who the server says this connection is (null before it said). */
  _auth: AuthInfo | null = null;
  /** False while the server says it cannot serve (its store unreachable). */
  _available = true;
  _client: ChatClient | null = null;
  /** Bumped by every connect and disconnect: a shared client that arrives late is not started. */
  private _gen = 0;
  /** The last history page was full: the server may hold older messages ("load earlier" shows). */
  _earlier = false;
  _loadingEarlier = false;
  private _stopClient: (() => void) | null = null;
  private _wasConnected = false;
  /** False until this client's first `auth`: only then is the newest history taken in. */
  private _wasConnectedOnce = false;
  private _inbox: IncomingMessage[] = [];
  private _inboxTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly _host: CometChat) {
    _host.addController(this);
  }

  hostConnected(): void {
    if (!this._client) this._connect();
  }

  hostDisconnected(): void {
    this._disconnect();
  }

  /**
   * Connects (again) with the host's current attributes; a no-op until `server`, `dev-id` and `pipe` are set.
   * Where the browser has Web Locks and BroadcastChannel, the connection is shared with the page origin's other
   * tabs and elements that would connect as the same user (src/client/shared.ts, loaded when first needed).
   */
  _connect(): void {
    this._disconnect();
    const h = this._host;
    // A new client knows nothing of what this feed shows: take the newest history again (duplicates drop out).
    this._wasConnectedOnce = false;
    if (!h.server || !h.devId || !h.pipe) return;
    const who = h.userToken ? { token: h.userToken } : h.userId ? { userId: h.userId, userKey: h.userKey } : {};
    const make = () => new CometClient({ server: h.server, devId: h.devId, ...who });
    const start = (client: ChatClient) => void h._lifecycle.then(() => this._gen === gen && this._start(client));
    const gen = ++this._gen;
    if (!navigator.locks || !self.BroadcastChannel) return void start(make());
    // A guest's name is part of who connects: elements of one page chatting under two names keep two connections.
    const key = JSON.stringify([h.server, h.devId, who, h.name]);
    import('../../client/shared.js').then(
      ({ SharedClient }) => start(new SharedClient({ key, make, Error: CometClientError })),
      () => start(make()),
    );
  }

  private _start(client: ChatClient): void {
    const h = this._host;
    const offs = [
      client.on('status', (s) => this._onStatus(s)),
      client.on('auth', (a) => this._onAuth(a)),
      client.on('message', (m) => this._enqueue(m)),
      client.on('typing', (t) => h._presence._onTyping(t)),
      client.on('error', (e) => h._fail(e.error, e.message)),
      client.on('availability', (a) => {
        this._available = a.available;
        h.requestUpdate();
      }),
      client.on('reset', () => this._onReset()),
    ];
    this._client = client;
    this._stopClient = () => offs.forEach((off) => off());
    for (const target of this._targets()) client.subscribe(target).catch((err: unknown) => h._failWith(err));
    client.connect();
  }

  /** Closes the connection; the feed stays as it is. */
  _disconnect(): void {
    this._gen++;
    const client = this._client;
    if (!client) return;
    this._client = null;
    // What the old connection brought and the feed has not taken in yet would land in whatever feed comes next.
    clearTimeout(this._inboxTimer);
    this._inboxTimer = undefined;
    this._inbox = [];
    client.disconnect();
    this._stopClient?.();
    this._onStatus('disconnected');
  }

  /** Loads one page of earlier messages from the server; ignored while a page is on its way. */
  async _loadEarlier(): Promise<void> {
    if (!this._client || this._loadingEarlier || !this._earlier) return;
    this._loadingEarlier = true;
    this._host.requestUpdate();
    try {
      await this._loadPage(this._host._log.oldestMarker(this._host.pipe));
    } catch (err) {
      this._host._failWith(err);
    } finally {
      this._loadingEarlier = false;
      this._host.requestUpdate();
    }
  }

  /**
   * Takes in the newest `limit` stored messages (below marker `before`, when given) above the feed.
   * It asks for one more than it shows: that one tells whether anything older is left.
   */
  private async _loadPage(before?: number, limit = PAGE_SIZE): Promise<void> {
    const h = this._host;
    const ask = Math.min(limit + 1, HISTORY_PAGE_MAX);
    const page = await this._client!.history(h.pipe, before ? { limit: ask, before } : { limit: ask });
    h._scroll._keepPlace();
    for (const m of page.slice(page.length > limit ? 1 : 0)) if (h.receive(m)) h._scroll._visible++;
    this._earlier = (page.length === ask || page.more) && !h._log.full;
    h.requestUpdate();
  }

  /** The server's markers started again: what the feed shows cannot be matched with what comes now, so it starts over. */
  private _onReset(): void {
    this._host._resetFeed();
    // Inside a reconnect the `auth` that follows loads the newest page; while connected, load it now.
    if (!this._wasConnected) this._wasConnectedOnce = false;
    else this._loadPage(undefined, this._historySize()).catch((err: unknown) => this._host._failWith(err));
  }

  /** How many messages to load on connect: the `history` attribute, within 0–200 (`| 0` turns a non-number into 0). */
  private _historySize(): number {
    return Math.min(Math.max(this._host.history | 0, 0), HISTORY_PAGE_MAX);
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
        if (m.server_info.pipe === TRACK_PREFIX + this._host.pipe) presenceChanged = true;
        else this._host.receive(m);
      }
      if (presenceChanged) this._host._presence._refresh();
    }, BATCH_MS);
  }

  /** The chat pipe, its `track_` twin (whose join / leave events keep the online count fresh) and the notices. */
  private _targets(): string[] {
    const { pipe, noticesPipe: n } = this._host;
    const track = TRACK_PREFIX + pipe;
    return [pipe, ...(isValidPipeName(track) ? [track] : []), ...(n ? [`${n}.userLogin`, `${n}.userExit`] : [])];
  }

  private _onStatus(status: ConnectionStatus): void {
    if (status === this._status) return;
    this._status = status;
    this._host._announce(this._host._t('status')[status]);
    if (this._wasConnected && (status === 'reconnecting' || status === 'disconnected')) {
      this._wasConnected = false;
      emit(this._host, 'comet-disconnect', { status });
    }
  }

  /** Connected (again): the client's status is already `connected`, so requests may go out. */
  private _onAuth(auth: AuthInfo): void {
    const h = this._host;
    this._auth = auth;
    this._available = true;
    h.requestUpdate();
    this._wasConnected = true;
    emit(h, 'comet-connect', { auth });
    // The client re-subscribes by itself; asking again tells us when the server has us, so the count includes us.
    // History is asked after subscribing, so nothing falls between the page and the live feed.
    const first = !this._wasConnectedOnce;
    this._wasConnectedOnce = true;
    const client = this._client;
    Promise.all(this._targets().map((t) => (client ? client.subscribe(t) : Promise.resolve())))
      .then(() => {
        h._presence._refresh();
        if (first) return this._loadPage(undefined, this._historySize());
      })
      // A client closed or replaced meanwhile (pipe changed, element removed) fails its requests: not an error here.
      .catch((err: unknown) => client === this._client && h._failWith(err));
  }
}
