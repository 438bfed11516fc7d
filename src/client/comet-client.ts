/**
 * CometClient: the browser client of a comet-chat server, over socket.io-client.
 * No DOM and no lit, so page scripts, the <comet-chat> element, the CometServerApi facade and
 * Node tests all share it. See docs/client.md for the reconnect and catch-up semantics.
 */
import { io, type Socket } from 'socket.io-client';
import { GOAWAY_WITHIN_MAX_MS, HISTORY_PAGE_MAX, TYPING_INTERVAL_MS } from '../protocol/limits.js';
import { MSG_PIPE, isValidEventName, isValidPipeName } from '../protocol/names.js';
import type {
  AuthInfo,
  ClientToServerEvents,
  ConnectData,
  DeliveryReport,
  GoAwayNotice,
  HandshakeAuth,
  IncomingMessage,
  PresenceUser,
  PublishRequest,
  ReadPosition,
  ServerToClientEvents,
} from '../protocol/wire.js';
import { MarkerWindow } from './dedupe.js';
import { CometClientError, asClientError } from './errors.js';
import { SubscriptionSet } from './subscriptions.js';
import { allowPolling } from './transport-fallback.js';
import { NOTICE_EVENTS } from './types.js';
import type {
  CometClientEventMap,
  CometClientOptions,
  ConnectionStatus,
  HistoryPage,
  PublishOptions,
  ReactorsInfo,
} from './types.js';

type WireSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface HistoryOptions {
  /** At most HISTORY_PAGE_MAX (200); the server's default is 50. */
  limit?: number;
  /** Only messages with a marker below this one: paging back. */
  before?: number;
  /** Only messages with a marker above this one. */
  after?: number;
}

export interface PresenceInfo {
  count: number;
  users: PresenceUser[];
}

/** A listener for one CometClient event. */
export type CometClientListener<K extends keyof CometClientEventMap> = (
  event: CustomEvent<CometClientEventMap[K]>,
) => void;

/** The successful answer of each request, once its `error: ""` is checked. */
interface Answers {
  subscribe: { subscribed: string[] };
  unsubscribe: object;
  publish: DeliveryReport;
  history: { messages: IncomingMessage[]; more?: boolean };
  presence: PresenceInfo;
  edit: { edited: number };
  delete: object;
  react: { count: number };
  reactors: ReactorsInfo;
  read: object;
  readers: { readers: ReadPosition[] };
}

const DEFAULT_REQUEST_TIMEOUT = 10_000;
/** Socket.IO's packet type of CONNECT (socket.io-parser's PacketType.CONNECT): ConnectData comes in it. */
const CONNECT_PACKET = 0;

/** Per pipe: what was emitted already, and live messages held back while catching up. */
interface PipeState {
  _seen: MarkerWindow;
  /** Non-null while history catch-up runs: live messages wait here, then follow in marker order. */
  _held: IncomingMessage[] | null;
  /** The newest app marker known when the server confirmed the subscription: catch-up never starts below it. */
  _since: number;
  /**
   * The starting point is known (the subscription was confirmed and `_since` / `_seen` say where the pipe
   * stood then, 0 for an empty pipe): a reconnect from now on has a gap to fill.
   */
  _anchored: boolean;
}

/** A publish waiting in the outbox: sent (again, with its id) whenever connected, until the server answers it. */
interface Outgoing {
  _req: PublishRequest & { id: string };
  _done: (report: DeliveryReport) => void;
  _fail: (err: CometClientError) => void;
}

/** A fresh message id for publish(): 128 random bits as four numbers (crypto.randomUUID is missing outside secure contexts). */
export const newMessageId = (): string => crypto.getRandomValues(new Uint32Array(4)).join('-');

// Typed listeners for the class below: an interface merged with it is how EventTarget's signatures are narrowed.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface CometClient {
  addEventListener<K extends keyof CometClientEventMap>(
    type: K,
    listener: CometClientListener<K>,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void;
  removeEventListener<K extends keyof CometClientEventMap>(
    type: K,
    listener: CometClientListener<K>,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void;
}

/**
 * Events: CustomEvents named and typed by CometClientEventMap, payload in `detail`.
 *
 * Requests return promises that reject with a CometClientError whose `code` is a wire ErrorCode,
 * `disconnected` or `timeout`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class CometClient extends EventTarget {
  readonly options: Readonly<CometClientOptions>;
  private _socket: WireSocket | null = null;
  private _currentStatus: ConnectionStatus = 'idle';
  private _lastAuth: AuthInfo | null = null;
  private readonly _subs = new SubscriptionSet();
  private readonly _pipes = new Map<string, PipeState>();
  /** Bumped on every (dis)connection so a stale catch-up never touches a newer session. */
  private _session = 0;
  private readonly _lastTyping = new Map<string, number>();
  /** Highest marker seen on any pipe: markers grow app-wide, so it bounds what a new subscription has missed. */
  private _appHigh = 0;
  /** True between the end of a (re)connect's resync and the next disconnect. */
  private _synced = false;
  /** A move the server asked for (`goaway`) is under way: requests wait for the new connection. */
  private _moving = false;
  private _moveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Requests sent and not answered yet: a move waits for them, so no answer is lost on the way. */
  private readonly _inFlight = new Set<Promise<unknown>>();
  /** The app's marker epoch as last heard from the server: when it changes, every marker seen before is void. */
  private _epoch: string | undefined;
  private _available = true;
  /** Handshakes the server refused for a passing reason (its store away), in a row: spaces the retries. */
  private _refusedHandshakes = 0;
  /** When the server said it is closing this connection for abuse: how long until it takes the address again. */
  private _closingRetryMs: number | undefined;
  /** Publishes not answered yet, oldest first. */
  private readonly _outbox: Outgoing[] = [];
  /** The outbox is being sent. */
  private _sending: Promise<void> | null = null;

  constructor(options: CometClientOptions) {
    super();
    this.options = { ...options };
  }

  /** Current connection state. */
  get status(): ConnectionStatus {
    return this._currentStatus;
  }

  /** What the server said about this connection's identity last (null before the first `auth`). */
  get auth(): AuthInfo | null {
    return this._lastAuth;
  }

  /** False while the server says it cannot serve requests (its store is unreachable); requests then fail with `unavailable`. */
  get available(): boolean {
    return this._available;
  }

  /** Targets currently wanted (`pipe` or `pipe.event`), canonical form. */
  get subscriptions(): string[] {
    return this._subs.targets();
  }

  /** Starts connecting (no-op when already started). Reconnects by itself until `disconnect()`. */
  connect(): void {
    if (this._socket) return;
    const o = this.options;
    // `batch`: a busy pipe's messages may come several to a frame (unpacked below, so listeners see each alone).
    // `auth_in_connect`: who we are comes with the CONNECT packet, not in a frame of its own.
    const auth: HandshakeAuth = { dev_id: o.devId, batch: true, auth_in_connect: true };
    if (o.token !== undefined) auth.token = o.token;
    else if (o.userId !== undefined && o.userId !== '') {
      auth.user_id = o.userId;
      if (o.userKey !== undefined) auth.user_key = o.userKey;
    }
    const socket: WireSocket = io(o.server, {
      transports: o.transports ?? ['websocket'],
      auth: { ...auth },
      forceNew: true,
      reconnection: true,
      reconnectionDelay: o.reconnectDelay ?? 1000,
      reconnectionDelayMax: o.reconnectDelayMax ?? 30_000,
      // Jitter: each delay is spread ±50% so clients dropped together do not return together.
      randomizationFactor: 0.5,
    });
    this._socket = socket;
    this._setStatus('connecting');
    // AuthInfo in the CONNECT packet, taken once the socket is connected: the manager hands the packet to this
    // listener and to the socket's own in the order they were added, which a reconnect of the socket reverses.
    let connectAuth: AuthInfo | undefined;
    socket.io.on('packet', (packet) => {
      const auth =
        (packet.type as number) === CONNECT_PACKET && packet.nsp === '/' && (packet.data as ConnectData)?.auth;
      if (!auth) return;
      if (socket.connected) this._onAuth(auth);
      else connectAuth = auth;
    });
    socket.on('connect', () => {
      const auth = connectAuth;
      connectAuth = undefined;
      if (auth) this._onAuth(auth);
    });
    // A server that does not know `auth_in_connect` sends the `auth` event.
    socket.on('auth', (info) => this._onAuth(info));
    socket.on('message', (msg, ack) => {
      if (typeof ack === 'function') ack();
      this._onLive(msg);
    });
    socket.on('batch', (batch) => {
      if (Array.isArray(batch?.messages)) for (const msg of batch.messages) this._onLive(msg);
    });
    socket.on('goaway', (notice: GoAwayNotice) => this._onGoAway(socket, notice));
    socket.on('epoch', (notice) => this._onEpoch(notice.epoch));
    // Registered before the notices are handed on, so listeners see the state they change.
    socket.on('availability', (notice) => (this._available = notice.available));
    socket.on('closing', (notice) => (this._closingRetryMs = notice.retry_after_ms));
    for (const type of NOTICE_EVENTS)
      socket.on(type, (notice: CometClientEventMap[typeof type]) => this._emit(type, notice));
    socket.on('disconnect', () => {
      this._session++;
      this._synced = false;
      for (const state of this._pipes.values()) state._held = null;
      if (this._moving) this._setStatus('reconnecting');
      else {
        // Dropped before a planned move started: plain reconnecting takes over.
        clearTimeout(this._moveTimer);
        this._retryOrStop(socket);
      }
    });
    socket.on('connect_error', (err: Error & { data?: { reason?: string } }) => {
      this._emit('error', { error: 'disconnected', message: err.message });
      // Without data the transport failed (the network may refuse WebSocket), not the server's handshake.
      if (!err.data && !o.transports) allowPolling(socket);
      const reason = err.data?.reason;
      // socket.io gives up on a refused handshake; one refused because the server's store was away is worth retrying.
      if (reason === 'unavailable' || reason === 'internal') {
        const o = this.options;
        this._reconnectIn(
          socket,
          Math.min(o.reconnectDelayMax ?? 30_000, (o.reconnectDelay ?? 1000) * 2 ** this._refusedHandshakes++),
        );
      } else this._retryOrStop(socket);
    });
  }

  /**
   * socket.io retries a dropped or failed connection by itself, but not one the server ended on purpose
   * (key removed, ban) or refused in its handshake (unknown app, origin not allowed): that is final until
   * connect() is called again, so the status must not promise a retry. Closed for asking too much, the
   * client comes back once the server lets its address in again.
   */
  private _retryOrStop(socket: WireSocket): void {
    const wait = this._closingRetryMs;
    this._closingRetryMs = undefined;
    if (!socket.active && wait !== undefined) this._reconnectIn(socket, wait);
    else if (!socket.active) this.disconnect();
    else if (this._currentStatus !== 'connecting') this._setStatus('reconnecting');
  }

  /** Connects again after about `ms` (up to half more, so clients sent away together do not return together). */
  private _reconnectIn(socket: WireSocket, ms: number): void {
    this._setStatus('reconnecting');
    setTimeout(() => this._socket === socket && !socket.connected && socket.connect(), ms * (1 + Math.random() / 2));
  }

  /**
   * The server's marker epoch changed (or differs from the one of an earlier connection): forget
   * every marker seen, so new messages are not taken for old ones, and tell the listeners to reload.
   */
  private _onEpoch(epoch: string): void {
    const known = this._epoch;
    this._epoch = epoch;
    if (known === undefined || known === epoch) return;
    this._appHigh = 0;
    for (const state of this._pipes.values()) {
      state._seen = new MarkerWindow();
      state._since = 0;
    }
    this._emit('reset', { epoch });
  }

  /** Closes the connection and stops reconnecting. Subscriptions are kept for a later `connect()`. */
  disconnect(): void {
    const socket = this._socket;
    if (!socket) return;
    this._socket = null;
    this._session++;
    this._synced = false;
    this._moving = false;
    clearTimeout(this._moveTimer);
    socket.removeAllListeners();
    socket.disconnect();
    for (const state of this._pipes.values()) state._held = null;
    for (const out of this._outbox.splice(0))
      out._fail(new CometClientError('disconnected', 'not connected to the comet server'));
    this._setStatus('disconnected');
  }

  /** How many publishes wait for the connection or for their answer. */
  get pending(): number {
    return this._outbox.length;
  }

  /**
   * Resolves once connected with every subscription confirmed and missed messages emitted
   * (immediately when that is the case now), with the connection's AuthInfo.
   */
  ready(): Promise<AuthInfo> {
    if (this._synced && this._isConnected() && this._lastAuth) return Promise.resolve(this._lastAuth);
    return new Promise((resolve) => {
      const off = this.on('ready', (info) => {
        off();
        resolve(info);
      });
    });
  }

  /**
   * Subscribes to `pipe` (every event) or `pipe.event` (one event). Remembered: re-sent after every
   * reconnect. Before connecting it only records the target and resolves.
   */
  async subscribe(target: string): Promise<void> {
    const key = this._subs.add(target);
    if (key === null)
      throw new CometClientError('invalid_pipe', `not a valid "pipe" or "pipe.event": ${String(target)}`);
    const pipe = key.split('.')[0];
    const state = this._pipeState(pipe);
    // Personal messages reach every connection of the user unasked: `msg` is a local filter only.
    if (!this._isConnected() || pipe === MSG_PIPE) return;
    const session = this._session;
    try {
      await this._request('subscribe', { pipes: [key] });
    } catch (err) {
      this._subs.delete(key);
      if (!this._subs.hasPipe(pipe)) this._pipes.delete(pipe);
      throw err;
    }
    if (session === this._session) await this._confirmed(pipe, state, session);
  }

  /**
   * Starts a pipe from `marker`, as if this client had seen it: the first connect catches up on what came
   * after it. For a new client taking over another's place (a tab taking over the shared connection).
   */
  resume(pipe: string, marker: number): void {
    const state = this._pipeState(pipe);
    state._seen.raise(marker);
    state._since = marker;
    state._anchored = true;
  }

  /** Drops a target; the pipe's state is forgotten once no target of it is left. */
  async unsubscribe(target: string): Promise<void> {
    const key = this._subs.add(target);
    if (key === null)
      throw new CometClientError('invalid_pipe', `not a valid "pipe" or "pipe.event": ${String(target)}`);
    this._subs.delete(key);
    const pipe = key.split('.')[0];
    if (!this._subs.hasPipe(pipe)) this._pipes.delete(pipe);
    if (this._isConnected() && pipe !== MSG_PIPE) await this._request('unsubscribe', { pipes: [key] });
  }

  /**
   * Publishes `data` into a pipe (browsers may publish into `web_` pipes, and `webauth_` when
   * authorized) and resolves with the delivery report. Publishes go out one after the other, in the order
   * made. Made while the connection is down (reconnecting), or dropped before the server answered, a
   * publish waits in the outbox and goes (again) once connected: `id` lets the server take it once. The
   * outbox lives in memory: a page reload loses it. Rejects when the server refuses the message, when it
   * does not answer in time (`timeout`: publish again with the same `id` to retry without a copy), and
   * with `disconnected` when the client is not connecting at all or disconnect() is called. The third
   * argument is the event name, or the options `{event, id, replyTo}` (`replyTo`: the marker this answers).
   */
  async publish(pipe: string, data: unknown, options?: string | PublishOptions, id?: string): Promise<DeliveryReport> {
    const { event, replyTo } = (options = typeof options === 'object' ? options : { event: options, id });
    if (!isValidPipeName(pipe)) throw new CometClientError('invalid_pipe', `not a valid pipe name: ${String(pipe)}`);
    if (event !== undefined && !isValidEventName(event)) {
      throw new CometClientError('invalid_pipe', `not a valid event name: ${String(event)}`);
    }
    if (!this._socket) throw new CometClientError('disconnected', 'not connected to the comet server');
    // The server checks the id (8-64 characters of [A-Za-z0-9_-]) and refuses a bad one as `invalid`.
    // What is undefined is left out on the wire.
    const _req = { pipe, event, data, id: options.id ?? newMessageId(), reply_to: replyTo };
    const report = await new Promise<DeliveryReport>((_done, _fail) => {
      this._outbox.push({ _req, _done, _fail });
      void this._send();
    });
    // Our own message never comes back live; remember it so catch-up does not replay it either.
    if (typeof report.marker === 'number') {
      this._noteMarker(report.marker);
      this._pipes.get(pipe)?._seen.add(report.marker);
    }
    return report;
  }

  /** Sends the outbox, oldest first and one at a time, while connected; resolves once it is empty or the connection is gone. */
  private _send(): Promise<void> {
    return (this._sending ??= (async () => {
      while (this._outbox.length > 0 && this._isConnected()) {
        const out = this._outbox[0];
        try {
          out._done(await this._request('publish', out._req));
        } catch (err) {
          const e = asClientError(err);
          // Dropped before the answer: it stays first in line and goes again, with its id, once connected.
          if (e.code === 'disconnected' && this._socket) break;
          out._fail(e);
        }
        this._outbox.shift();
      }
    })().finally(() => (this._sending = null)));
  }

  /**
   * Stored messages of a pipe, oldest first (`server_info.history` is true), with `more` set when the
   * server cut the page short by its size. Does not emit events.
   */
  async history(pipe: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    if (!isValidPipeName(pipe)) throw new CometClientError('invalid_pipe', `not a valid pipe name: ${String(pipe)}`);
    const req: { pipe: string; limit?: number; before?: number; after?: number } = { pipe };
    if (options.limit !== undefined) req.limit = Math.min(options.limit, HISTORY_PAGE_MAX);
    if (options.before !== undefined) req.before = options.before;
    if (options.after !== undefined) req.after = options.after;
    const res = await this._request('history', req);
    const messages = [...res.messages].sort((a, b) => a.server_info.marker - b.server_info.marker) as HistoryPage;
    // Not enumerable: the page still compares, spreads and serializes as the plain array it is.
    Object.defineProperty(messages, 'more', { value: res.more === true });
    const newest = messages[messages.length - 1]?.server_info.marker;
    if (typeof newest === 'number') {
      this._noteMarker(newest);
      // What the caller fetched itself need not be replayed by a later catch-up.
      this._pipes.get(pipe)?._seen.raise(newest);
    }
    return messages;
  }

  /** Who is in a pipe now: distinct users, anonymous connections listed with user_id 0. */
  async presence(pipe: string): Promise<PresenceInfo> {
    if (!isValidPipeName(pipe)) throw new CometClientError('invalid_pipe', `not a valid pipe name: ${String(pipe)}`);
    const res = await this._request('presence', { pipe });
    return { count: res.count, users: res.users };
  }

  /** Changes the `data` of my message (within the app's edit window); resolves with the time of the edit. */
  async edit(pipe: string, marker: number, data: unknown): Promise<number> {
    return (await this._request('edit', { pipe, marker, data })).edited;
  }

  /** Deletes my message (within the app's edit window): a tombstone or nothing stays, per the app's setting. */
  async deleteMessage(pipe: string, marker: number): Promise<void> {
    await this._request('delete', { pipe, marker });
  }

  /** Adds (`on`) or takes back my reaction to a message; resolves with the emoji's count afterwards. */
  async react(pipe: string, marker: number, emoji: string, on: boolean): Promise<number> {
    return (await this._request('react', { pipe, marker, emoji, on })).count;
  }

  /** Who reacted to a message, per emoji, with every count (the answer as it came, `error: ""` included). */
  async reactors(pipe: string, marker: number): Promise<ReactorsInfo> {
    return this._request('reactors', { pipe, marker });
  }

  /** Tells the pipe that this reader has seen it up to `marker` (its subscribers get a `read` event). */
  async markRead(pipe: string, marker: number): Promise<void> {
    await this._request('read', { pipe, marker });
  }

  /** The furthest readers' positions in a pipe, furthest first (to count "seen by"). */
  async readers(pipe: string): Promise<ReadPosition[]> {
    return (await this._request('readers', { pipe })).readers;
  }

  /**
   * Tells the pipe's other subscribers that this user is typing. Fire and forget; calls closer than
   * TYPING_INTERVAL_MS per pipe are dropped here (the server enforces the same limit). An anonymous user
   * may name themselves (`name`, shown to others as a guest's name); the server ignores it for authorized users.
   */
  typing(pipe: string, name?: string): void {
    if (!isValidPipeName(pipe) || !this._isConnected()) return;
    const now = Date.now();
    if (now - (this._lastTyping.get(pipe) ?? 0) < TYPING_INTERVAL_MS) return;
    this._lastTyping.set(pipe, now);
    this._socket!.emit('typing', name ? { pipe, name } : { pipe });
  }

  /** Adds a listener and returns the function that removes it. */
  on<K extends keyof CometClientEventMap>(type: K, listener: (detail: CometClientEventMap[K]) => void): () => void {
    const wrapped = (e: CustomEvent<CometClientEventMap[K]>) => listener(e.detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  /* ---- internals ---- */

  private _isConnected(): boolean {
    return this._currentStatus === 'connected' && this._socket !== null && this._socket.connected;
  }

  private _setStatus(status: ConnectionStatus): void {
    if (status === this._currentStatus) return;
    this._currentStatus = status;
    this._emit('status', status);
  }

  private _emit<K extends keyof CometClientEventMap>(type: K, detail: CometClientEventMap[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  private _pipeState(pipe: string): PipeState {
    let state = this._pipes.get(pipe);
    if (!state) {
      state = { _seen: new MarkerWindow(), _held: null, _since: 0, _anchored: false };
      this._pipes.set(pipe, state);
    }
    return state;
  }

  /** Sends one request and unwraps its `{error: ""}` / `{error: CODE, message}` answer. */
  private async _request<E extends keyof Answers>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Answers[E]> {
    if (this._moving) await this._moved();
    const socket = this._socket;
    if (!socket || !this._isConnected())
      throw new CometClientError('disconnected', 'not connected to the comet server');
    let res: { error: string; message?: string };
    try {
      const timeout = this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT;
      const emitter = socket.timeout(timeout) as unknown as {
        emitWithAck(ev: string, arg: unknown): Promise<{ error: string; message?: string }>;
      };
      const answer = emitter.emitWithAck(event, payload);
      this._inFlight.add(answer);
      res = await answer.finally(() => this._inFlight.delete(answer));
    } catch {
      throw socket.connected
        ? new CometClientError('timeout', `no answer to "${event}" in time`)
        : new CometClientError('disconnected', 'the connection dropped before the server answered');
    }
    if (!res || typeof res !== 'object') throw new CometClientError('internal', `malformed answer to "${event}"`);
    if (res.error !== '') {
      throw new CometClientError(res.error as CometClientError['code'], res.message ?? res.error);
    }
    return res as unknown as Answers[E];
  }

  /**
   * The node is shutting down and asks us to reconnect (through the balancer, to another node). At a
   * random moment within its window, so its clients do not all arrive at once, we stop sending, wait for
   * the answers still due on this connection, then reconnect at once (no backoff delay). Requests made
   * meanwhile wait for the new connection instead of failing; history fills the gap as after any reconnect.
   */
  private _onGoAway(socket: WireSocket, notice: GoAwayNotice): void {
    const within = Math.min(Math.max(Number(notice?.within) || 0, 0), GOAWAY_WITHIN_MAX_MS);
    clearTimeout(this._moveTimer);
    this._moveTimer = setTimeout(() => {
      if (socket !== this._socket || !socket.connected) return;
      this._moving = true;
      void Promise.allSettled([...this._inFlight]).then(() => {
        if (socket === this._socket && this._moving && socket.connected) socket.disconnect().connect();
      });
    }, Math.random() * within);
  }

  /** Waits, at most the request timeout, until a move the server asked for has connected again (or stopped). */
  private _moved(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, this.options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT);
      const off = this.on('status', (s) => (s === 'connected' || s === 'disconnected') && done());
    });
  }

  private _onAuth(info: AuthInfo): void {
    this._lastAuth = info;
    this._moving = false;
    this._refusedHandshakes = 0;
    this._available = true;
    if (info.epoch !== undefined) this._onEpoch(info.epoch);
    // Status first: an `auth` listener may send requests at once.
    this._setStatus('connected');
    this._emit('auth', info);
    const session = this._session;
    void this._resync(session).then(() => {
      if (session !== this._session) return;
      this._synced = true;
      this._emit('ready', info);
    });
  }

  /** After every (re)connect: re-subscribe everything, then replay what each pipe missed. */
  private async _resync(session: number): Promise<void> {
    // Where each pipe's catch-up starts: fixed before the outbox goes, whose markers come after the gap.
    const starts = new Map(
      [...this._pipes].map(([pipe, state]) => [pipe, Math.max(state._seen.resumePoint(), state._since)]),
    );
    // The outbox first: a publish whose answer was lost gets its marker back before catch-up could replay it.
    while (this._outbox.length > 0 && session === this._session && this._isConnected()) await this._send();
    if (session !== this._session) return;
    const targets = this._subs.targets().filter((t) => t.split('.')[0] !== MSG_PIPE);
    if (targets.length === 0) return;
    const pipes = this._subs.pipes().filter((p) => p !== MSG_PIPE);
    for (const pipe of pipes) this._pipeState(pipe)._held = [];
    try {
      await this._request('subscribe', { pipes: targets });
    } catch (err) {
      if (session === this._session) {
        for (const pipe of pipes) this._release(pipe, []);
        this._reportError(err);
      }
      return;
    }
    await Promise.all(pipes.map((pipe) => this._catchUp(pipe, session, starts.get(pipe) ?? 0)));
  }

  /** The server confirmed a subscription: fix the point a later catch-up starts from. */
  private async _confirmed(pipe: string, state: PipeState, session: number): Promise<void> {
    if (state._since === 0) state._since = this._appHigh;
    // Nothing known about the app yet: ask the pipe itself for its newest marker.
    if (state._since === 0 && state._seen.high === 0 && !(await this._learnLatest(pipe, session))) return;
    state._anchored = true;
  }

  /** Emits the messages a pipe got while we were away (marker order), then the live ones held meanwhile. */
  private async _catchUp(pipe: string, session: number, start: number): Promise<void> {
    const state = this._pipes.get(pipe);
    if (!state) return;
    if (!state._anchored) {
      // Never subscribed before: there is no gap to fill, only a starting point to learn.
      await this._confirmed(pipe, state, session);
      if (session === this._session) this._release(pipe, []);
      return;
    }
    const missed: IncomingMessage[] = [];
    try {
      let after = start;
      for (;;) {
        const page = await this.history(pipe, { after, limit: HISTORY_PAGE_MAX });
        const fresh = page.filter((m) => m.server_info.marker > after);
        missed.push(...fresh);
        if ((page.length < HISTORY_PAGE_MAX && !page.more) || fresh.length === 0) break;
        after = fresh[fresh.length - 1].server_info.marker;
      }
    } catch (err) {
      if (session === this._session) this._reportError(err);
    }
    if (session === this._session) this._release(pipe, missed);
  }

  /**
   * Learns the newest marker of a pipe (none: it is empty) so that a later catch-up starts there, not at
   * the beginning. False when there was no answer: the starting point is still unknown.
   */
  private async _learnLatest(pipe: string, session: number): Promise<boolean> {
    try {
      const latest = await this.history(pipe, { limit: 1 });
      const state = this._pipes.get(pipe);
      const marker = latest[latest.length - 1]?.server_info.marker;
      if (state && session === this._session && marker !== undefined) {
        state._seen.raise(marker);
        state._since = Math.max(state._since, marker);
      }
      return session === this._session;
    } catch {
      // No history kept for this pipe (or no answer): a later catch-up will have nothing to start from.
      return false;
    }
  }

  private _release(pipe: string, missed: IncomingMessage[]): void {
    const state = this._pipes.get(pipe);
    if (!state) return;
    const held = state._held ?? [];
    state._held = null;
    const all = [...missed, ...held].sort((a, b) => a.server_info.marker - b.server_info.marker);
    for (const msg of all) this._deliver(msg);
  }

  private _onLive(msg: IncomingMessage): void {
    const info = msg?.server_info;
    if (!info || typeof info.pipe !== 'string') return;
    const state = this._pipes.get(info.pipe);
    if (state?._held) {
      state._held.push(msg);
      return;
    }
    this._deliver(msg);
  }

  /** Emits a message once per marker, and only when some subscription (or `msg`) wants it. */
  private _deliver(msg: IncomingMessage): void {
    const { pipe, event, marker } = msg.server_info;
    if (!this._subs.wants(pipe, event)) return;
    if (typeof marker === 'number' && marker > 0) {
      const state = this._pipeState(pipe);
      if (!state._seen.add(marker)) return;
      this._noteMarker(marker);
    }
    this._emit('message', msg);
  }

  private _noteMarker(marker: number): void {
    if (marker > this._appHigh) this._appHigh = marker;
  }

  private _reportError(err: unknown): void {
    const e = asClientError(err);
    this._emit('error', { error: e.code, message: e.message });
  }
}
