/**
 * One connection per browser: the tabs (and elements) of one page origin that talk to the same chat server
 * as the same user share one CometClient. A Web Lock (`navigator.locks`) names the tab that holds it, the
 * leader; the others reach it over a BroadcastChannel. The leader sends their requests (publish, history,
 * presence, typing, subscribe) and hands every event to every tab, each keeping what it subscribed to; a
 * message one tab publishes reaches the others from the leader, since the server does not echo it. When the
 * leader goes (tab closed, element removed), the lock passes to another tab, which connects, catches up from
 * history after the newest marker the tabs had, and takes the requests still unanswered (publishes carry
 * their ids, so none lands twice).
 *
 * Not a SharedWorker: its script must be of the page's origin while the bundle comes from the chat server's,
 * and a blob: URL made in each tab is a different worker per tab. Loaded only where Web Locks and
 * BroadcastChannel exist (docs/client.md); this chunk bundles no client of its own: the element passes in
 * how to make one, and the error class, so errors are the bundle's own.
 */
import type { CometClient, HistoryOptions, PresenceInfo } from './comet-client.js';
import type { ClientErrorCode, CometClientError } from './errors.js';
import { SubscriptionSet } from './subscriptions.js';
import { NOTICE_EVENTS } from './types.js';
import type {
  AuthInfo,
  CometClientEventMap,
  ConnectionStatus,
  DeliveryReport,
  HistoryPage,
  IncomingMessage,
  PublishOptions,
  ReactorsInfo,
  ReadPosition,
} from './types.js';

type EventType = keyof CometClientEventMap;
/** What the leader hands on from its client to every tab. */
const EVENTS: EventType[] = ['status', 'auth', 'message', 'error', 'reset', ...NOTICE_EVENTS];

/** Requests the leader sends with its client as they are, its answer going back to the tab that asked. */
type Plain = 'edit' | 'deleteMessage' | 'react' | 'reactors' | 'markRead' | 'readers';
type Op = 'subscribe' | 'publish' | 'history' | 'presence' | 'typing' | Plain;

/** What goes over the channel. `to` addresses one tab; `skip` leaves one out. */
type Post =
  | { k: 'lead' }
  | { k: 'hi'; from: string; targets: string[] }
  | { k: 'req'; from: string; id: number; op: Op; args: unknown[] }
  | { k: 'res'; to: string; id: number; value?: unknown; error?: { code: ClientErrorCode; message: string } }
  | { k: 'ev'; type: EventType; detail: unknown; skip?: string; to?: string };

interface Call {
  op: Op;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What the element asks of a client: a CometClient of its own, or a SharedClient. */
export type ChatClient = Pick<
  CometClient,
  | 'on'
  | 'subscribe'
  | 'connect'
  | 'disconnect'
  | 'publish'
  | 'history'
  | 'presence'
  | 'typing'
  | 'status'
  | 'auth'
  | Plain
>;

export interface SharedClientDeps {
  /** Names the connection: tabs share it only when this is equal (server, app, identity). */
  key: string;
  /** Makes the client the leader connects with. */
  make: () => CometClient;
  /** The bundle's error class. */
  Error: new (code: ClientErrorCode, message: string) => CometClientError;
}

export class SharedClient extends EventTarget {
  status: ConnectionStatus = 'idle';
  auth: AuthInfo | null = null;
  available = true;
  private readonly _id = Math.random().toString(36).slice(2);
  private readonly _subs = new SubscriptionSet();
  /** Newest marker seen per pipe (in any tab): where a new leader's catch-up starts. */
  private readonly _high = new Map<string, number>();
  private readonly _calls = new Map<number, Call>();
  private _seq = 0;
  private _channel: BroadcastChannel | null = null;
  /** Set while this tab leads. */
  private _client: CometClient | null = null;
  /** Ends the hold on the lock. */
  private _release: (() => void) | undefined;
  private _offs: (() => void)[] = [];
  /** Presence asked and not answered yet, per pipe (leader only). */
  private readonly _presence = new Map<string, Promise<PresenceInfo>>();

  constructor(private readonly _deps: SharedClientDeps) {
    super();
  }

  on<K extends EventType>(type: K, listener: (detail: CometClientEventMap[K]) => void): () => void {
    const wrapped = (e: Event) => listener((e as CustomEvent<CometClientEventMap[K]>).detail);
    this.addEventListener(type, wrapped);
    return () => this.removeEventListener(type, wrapped);
  }

  connect(): void {
    if (this._channel) return;
    const channel = (this._channel = new BroadcastChannel(this._deps.key));
    channel.onmessage = (e: MessageEvent<Post>) => this._onPost(e.data);
    this._take('status', 'connecting');
    const held = new Promise<void>((resolve) => (this._release = resolve));
    void navigator.locks.request(this._deps.key, () => {
      if (this._channel !== channel) return undefined;
      this._lead();
      return held;
    });
    this._post({ k: 'hi', from: this._id, targets: this._subs.targets() });
  }

  disconnect(): void {
    this._release?.();
    this._offs.splice(0).forEach((off) => off());
    this._client?.disconnect();
    this._client = null;
    this._channel?.close();
    this._channel = null;
    for (const call of this._calls.values())
      call.reject(new this._deps.Error('disconnected', 'not connected to the comet server'));
    this._calls.clear();
    this._take('status', 'disconnected');
  }

  async subscribe(target: string): Promise<void> {
    const key = this._subs.add(target);
    if (key === null)
      throw new this._deps.Error('invalid_pipe', `not a valid "pipe" or "pipe.event": ${String(target)}`);
    if (this._channel) await this._call('subscribe', [key]);
  }

  /** Stops passing the target's messages to this tab; the shared connection keeps it for the others. */
  async unsubscribe(target: string): Promise<void> {
    this._subs.delete(target);
  }

  publish(pipe: string, data: unknown, options?: string | PublishOptions, id?: string): Promise<DeliveryReport> {
    const o = typeof options === 'object' ? options : { event: options, id };
    return this._call('publish', [pipe, data, o]) as Promise<DeliveryReport>;
  }

  edit(pipe: string, marker: number, data: unknown): Promise<number> {
    return this._call('edit', [pipe, marker, data]) as Promise<number>;
  }

  deleteMessage(pipe: string, marker: number): Promise<void> {
    return this._call('deleteMessage', [pipe, marker]) as Promise<void>;
  }

  react(pipe: string, marker: number, emoji: string, on: boolean): Promise<number> {
    return this._call('react', [pipe, marker, emoji, on]) as Promise<number>;
  }

  reactors(pipe: string, marker: number): Promise<ReactorsInfo> {
    return this._call('reactors', [pipe, marker]) as Promise<ReactorsInfo>;
  }

  markRead(pipe: string, marker: number): Promise<void> {
    return this._call('markRead', [pipe, marker]) as Promise<void>;
  }

  readers(pipe: string): Promise<ReadPosition[]> {
    return this._call('readers', [pipe]) as Promise<ReadPosition[]>;
  }

  async history(pipe: string, options: HistoryOptions = {}): Promise<HistoryPage> {
    const { list, more } = (await this._call('history', [pipe, options])) as { list: IncomingMessage[]; more: boolean };
    return Object.defineProperty(list, 'more', { value: more }) as HistoryPage;
  }

  presence(pipe: string): Promise<PresenceInfo> {
    return this._call('presence', [pipe]) as Promise<PresenceInfo>;
  }

  typing(pipe: string, name?: string): void {
    this._call('typing', [pipe, name]).catch(() => undefined);
  }

  /** This tab now holds the lock: it connects for every tab, from where the tabs are. */
  private _lead(): void {
    const client = (this._client = this._deps.make());
    for (const [pipe, marker] of this._high) client.resume(pipe, marker);
    for (const target of this._subs.targets()) client.subscribe(target).catch(() => undefined);
    for (const type of EVENTS) {
      this._offs.push(
        client.on(type, (detail) => {
          this._take(type, detail);
          this._post({ k: 'ev', type, detail });
        }),
      );
    }
    client.connect();
    this._post({ k: 'lead' });
    // What this tab asked of the leader that went away.
    for (const [id, call] of this._calls) {
      this._calls.delete(id);
      this._run(call.op, call.args, this._id).then(call.resolve, call.reject);
    }
  }

  /** One request, sent by the leader's client. `from`: the tab that asked, which gets no echo of its message. */
  private async _run(op: Op, args: unknown[], from: string): Promise<unknown> {
    const client = this._client!;
    // One connection's request budget serves every tab: what is already subscribed is not asked again, and
    // presence asked by several tabs at once is asked once.
    if (op === 'subscribe') {
      const target = args[0] as string;
      // Already wanted: subscribed once the client is ready (re-subscribed after a connect).
      return client.subscriptions.includes(target) ? client.ready().then(() => undefined) : client.subscribe(target);
    }
    if (op === 'typing') return client.typing(args[0] as string, args[1] as string | undefined);
    if (op === 'presence') {
      const pipe = args[0] as string;
      let asked = this._presence.get(pipe);
      if (!asked) this._presence.set(pipe, (asked = client.presence(pipe).finally(() => this._presence.delete(pipe))));
      return asked;
    }
    if (op === 'history') {
      const page = await client.history(args[0] as string, args[1] as HistoryOptions);
      return { list: [...page], more: page.more };
    }
    if (op !== 'publish') return (client[op] as (...a: unknown[]) => Promise<unknown>)(...args);
    const [pipe, data, options] = args as [string, unknown, PublishOptions];
    const report = await client.publish(pipe, data, options);
    const event = options.event;
    const auth = client.auth;
    if (report.marker !== undefined && auth) {
      const detail: IncomingMessage = {
        data,
        server_info: {
          pipe,
          event: event ?? 'undefined',
          user_id: auth.user_id,
          ...(auth.user_name === undefined ? {} : { user_name: auth.user_name }),
          history: false,
          marker: report.marker,
          time: Date.now(),
          ...(report.reply === undefined ? {} : { reply: report.reply }),
        },
      };
      if (from !== this._id) this._take('message', detail);
      this._post({ k: 'ev', type: 'message', detail, skip: from });
    }
    return report;
  }

  /** A request to the leader: this tab's client, or the leader's over the channel (again, to a new leader). */
  private _call(op: Op, args: unknown[]): Promise<unknown> {
    if (this._client) return this._run(op, args, this._id);
    if (!this._channel)
      return Promise.reject(new this._deps.Error('disconnected', 'not connected to the comet server'));
    return new Promise((resolve, reject) => {
      const id = ++this._seq;
      this._calls.set(id, { op, args, resolve, reject });
      this._post({ k: 'req', from: this._id, id, op, args });
    });
  }

  private _onPost(post: Post): void {
    if (post.k === 'ev') {
      if (post.skip !== this._id && (post.to === undefined || post.to === this._id)) this._take(post.type, post.detail);
    } else if (post.k === 'res') {
      const call = post.to === this._id ? this._calls.get(post.id) : undefined;
      if (!call) return;
      this._calls.delete(post.id);
      if (post.error) call.reject(new this._deps.Error(post.error.code, post.error.message));
      else call.resolve(post.value);
    } else if (post.k === 'lead') {
      // A new leader: tell it what this tab wants, and ask again what the last one left unanswered.
      this._post({ k: 'hi', from: this._id, targets: this._subs.targets() });
      for (const [id, call] of this._calls) this._post({ k: 'req', from: this._id, id, op: call.op, args: call.args });
    } else if (this._client) {
      const client = this._client;
      if (post.k === 'hi') {
        for (const target of post.targets) client.subscribe(target).catch(() => undefined);
        const to = post.from;
        this._post({ k: 'ev', type: 'status', detail: this.status, to });
        if (this.auth) this._post({ k: 'ev', type: 'auth', detail: this.auth, to });
        if (!this.available) this._post({ k: 'ev', type: 'availability', detail: { available: false }, to });
      } else {
        const { from, id } = post;
        this._run(post.op, post.args, from).then(
          (value) => this._post({ k: 'res', to: from, id, value }),
          (err: CometClientError) =>
            this._post({
              k: 'res',
              to: from,
              id,
              error: { code: err.code ?? 'internal', message: String(err.message) },
            }),
        );
      }
    }
  }

  /** An event of the shared connection, as this tab sees it. */
  private _take(type: EventType, detail: unknown): void {
    if (type === 'status') {
      // A tab that was connected sees a change of leader as a reconnect.
      detail = detail === 'connecting' && this.auth ? 'reconnecting' : detail;
      if (detail === this.status) return;
      this.status = detail as ConnectionStatus;
    } else if (type === 'auth') this.auth = detail as AuthInfo;
    else if (type === 'availability') this.available = (detail as { available: boolean }).available;
    else if (type === 'message') {
      const { pipe, event, marker } = (detail as IncomingMessage).server_info;
      if (marker > (this._high.get(pipe) ?? 0)) this._high.set(pipe, marker);
      if (!this._subs.wants(pipe, event)) return;
    }
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  private _post(post: Post): void {
    this._channel?.postMessage(post);
  }
}
