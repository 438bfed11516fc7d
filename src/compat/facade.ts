/**
 * A CometServerApi-compatible object (CppComet's browser library, as the seed's pages use it),
 * built on CometClient. Pages written for comet-server.ru keep their calls; only the script URL
 * (and `dev_id`/`node` where needed) change. See docs/compat.md.
 *
 * It never evaluates anything received from the network: data is handed to callbacks as parsed JSON.
 */
import { CometClient } from '../client/comet-client.js';
import { asClientError, CometClientError } from '../client/errors.js';
import { SubscriptionSet } from '../client/subscriptions.js';
import { DEFAULT_EVENT, parseSubscription } from '../protocol/names.js';
import type { AuthInfo, DeliveryReport, IncomingMessage } from '../protocol/wire.js';

/** What `start()` takes (the original's option names). */
export interface StartOptions {
  dev_id: string | number;
  user_id?: string | number;
  user_key?: string;
  /** Signed user token instead of user_id + user_key (comet-chat extension; CppComet v4 `user_key` JWT). */
  token?: string;
  /** Server: a URL or a bare host (then the page's protocol is used). An array takes its first entry. */
  node?: string | string[];
}

/** What subscription callbacks receive: the seed's `{data, server_info}`. */
export interface CompatMessage {
  data: unknown;
  server_info: {
    pipe: string;
    event: string;
    user_id: number;
    user_name?: string;
    history: boolean;
    marker?: number;
    time?: number;
  };
}

/** A delivery report as `#pipe` callbacks receive it: nested as in `p.data.number_messages`, and flat as in `p.number_messages`. */
export interface CompatReport extends CompatMessage {
  data: { number_messages: number; error: string };
  number_messages: number;
  error: string;
}

export type CompatCallback = (msg: CompatMessage) => void;

/** Prefix CppComet gives delivery-report pipes; `#pipe` is its short form. */
const ANSWER_PREFIX = '_answer_to_';

interface Listener {
  /** `pipe` or `pipe.event` for messages; the pipe name for delivery reports. */
  target: string;
  report: boolean;
  cb: CompatCallback;
}

/** Turns `node` (URL, host or host:port) into a server URL; `fallback` when absent. */
export function resolveNode(node: StartOptions['node'], fallback: string): string {
  const first = Array.isArray(node) ? node[0] : node;
  if (!first) return fallback;
  if (/^(https?|wss?):\/\//i.test(first)) return first.replace(/^ws/i, 'http');
  const secure = typeof location !== 'undefined' && location.protocol === 'https:';
  return `${secure ? 'https' : 'http'}://${first}`;
}

/** Hands an exception from a page callback to the host, without stopping the other callbacks. */
function reportCallbackError(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(err);
  else console.error(err);
}

export class CometServerApi {
  private client: CometClient | null = null;
  private readonly listeners = new Map<string, Listener>();
  /** The message targets some listener wants: what is subscribed on the server, and what a message matches. */
  private readonly subs = new SubscriptionSet();
  private nextId = 1;
  private readonly authOk: (() => void)[] = [];
  private readonly authFail: (() => void)[] = [];
  private startOptions: StartOptions | null = null;

  /** @param defaultNode server used when `start()` gets no `node` (the script's own origin). */
  constructor(private readonly defaultNode: string) {}

  /** Connects. Calling it again with other options reconnects with those. */
  start(options: StartOptions): boolean {
    if (!options || options.dev_id === undefined || options.dev_id === null || options.dev_id === '') {
      console.error('CometServer().start: dev_id is required');
      return false;
    }
    this.stop();
    this.startOptions = { ...options };
    const userId = options.user_id === undefined || options.user_id === '' ? undefined : options.user_id;
    const client = new CometClient({
      server: resolveNode(options.node, this.defaultNode),
      devId: options.dev_id,
      ...(userId !== undefined ? { userId } : {}),
      ...(options.user_key ? { userKey: options.user_key } : {}),
      ...(options.token ? { token: options.token } : {}),
    });
    this.client = client;
    client.on('message', (msg) => this.dispatch(msg));
    client.on('auth', (info) => this.onAuth(info));
    for (const target of this.subs.targets()) client.subscribe(target).catch(reportCallbackError);
    client.connect();
    return true;
  }

  /** Disconnects; subscriptions are kept for the next `start()`. */
  stop(): void {
    this.client?.disconnect();
    this.client = null;
  }

  /**
   * Calls `cb` for every message of `"pipe"`, of one event with `"pipe.event"`, or with the delivery
   * report of this page's sends into a pipe with `"#pipe"` (also spelled `"_answer_to_pipe"`).
   * Returns an id for `unsubscription`, or false for an invalid name.
   */
  subscription(name: string, cb: CompatCallback): string | false {
    if (typeof cb !== 'function' || typeof name !== 'string') return false;
    const answerPipe = name.startsWith('#')
      ? name.slice(1)
      : name.startsWith(ANSWER_PREFIX)
        ? name.slice(ANSWER_PREFIX.length)
        : null;
    let listener: Listener;
    if (answerPipe !== null) {
      const sub = parseSubscription(answerPipe);
      if (!sub) return invalidName(name);
      listener = { target: sub.pipe, report: true, cb };
    } else {
      const target = this.subs.add(name);
      if (target === null) return invalidName(name);
      listener = { target, report: false, cb };
      this.client?.subscribe(target).catch(reportCallbackError);
    }
    const id = `sub${this.nextId++}`;
    this.listeners.set(id, listener);
    return id;
  }

  /** Removes a callback added by `subscription`; the server subscription goes when no callback needs it. */
  unsubscription(id: string): boolean {
    const listener = this.listeners.get(id);
    if (!listener) return false;
    this.listeners.delete(id);
    const { report, target } = listener;
    if (!report && ![...this.listeners.values()].some((l) => !l.report && l.target === target)) {
      this.subs.delete(target);
      this.client?.unsubscribe(target).catch(reportCallbackError);
    }
    return true;
  }

  /**
   * Sends `data` into a `web_` (or, when authorized, `webauth_`) pipe: `(pipe, data)`,
   * `("pipe.event", data)` or `(pipe, event, data)`. The report goes to `#pipe` subscribers.
   */
  web_pipe_send(pipe: string, eventOrData: unknown, maybeData?: unknown): boolean {
    let name = pipe;
    let event: string = DEFAULT_EVENT;
    let data = maybeData;
    if (arguments.length < 3) {
      data = eventOrData;
      const dot = typeof pipe === 'string' ? pipe.indexOf('.') : -1;
      if (dot > 0) {
        name = pipe.slice(0, dot);
        event = pipe.slice(dot + 1);
      }
    } else {
      event = String(eventOrData);
    }
    if (data === undefined) return false;
    const client = this.client;
    const sent: Promise<DeliveryReport> = client
      ? client.publish(name, data, event === DEFAULT_EVENT ? undefined : event)
      : Promise.reject(new CometClientError('disconnected', 'CometServer().start() was not called'));
    sent.then(
      (report) => this.report(name, event, report.number_messages, report.error, report.marker),
      (err: unknown) => this.report(name, event, 0, asClientError(err).code),
    );
    return true;
  }

  /**
   * Asks for a pipe's stored messages and hands each (oldest first, `server_info.history` true)
   * to that pipe's subscribers; with `cb`, also subscribes `cb` to the pipe first (as the original did).
   */
  get_pipe_log(pipe: string, cb?: CompatCallback): boolean {
    const sub = parseSubscription(pipe);
    if (!sub || sub.event !== undefined) return invalidName(pipe);
    if (cb) this.subscription(sub.pipe, cb);
    this.whenConnected((client) =>
      client.history(sub.pipe).then((messages) => {
        for (const msg of messages) this.dispatch({ ...msg, server_info: { ...msg.server_info, history: true } });
      }),
    );
    return true;
  }

  /** Calls `cb({data: {user_in_pipe}, server_info})` with how many users are in the pipe now. */
  count_users_in_pipe(
    pipe: string,
    cb: (res: { data: { user_in_pipe: number }; server_info: { pipe: string; event: string } }) => void,
  ): boolean {
    if (!parseSubscription(pipe) || typeof cb !== 'function') return invalidName(pipe);
    this.whenConnected((client) =>
      client
        .presence(pipe)
        .then((p) => cb({ data: { user_in_pipe: p.count }, server_info: { pipe, event: 'user_in_pipe' } })),
    );
    return true;
  }

  /** True when the server accepted the user id + key (or token) given to `start()`. */
  isAuthorized(): boolean {
    return this.client?.auth?.authorized === true;
  }

  /** Called after each successful authorization (and at once if already authorized). */
  onAuthSuccess(cb: () => void): void {
    this.authOk.push(cb);
    if (this.isAuthorized()) safely(cb);
  }

  /** Called when the server refused the given user key or token (the original's spelling). */
  onAuthFalill(cb: () => void): void {
    this.authFail.push(cb);
    const auth = this.client?.auth;
    if (auth && !auth.authorized && auth.reason) safely(cb);
  }

  /** The user id the server confirmed (0 for anonymous). */
  getUserId(): number {
    return this.client?.auth?.user_id ?? 0;
  }

  getDevId(): string | number | undefined {
    return this.startOptions?.dev_id;
  }

  /** The underlying CometClient (null before `start()`), for code that outgrows the facade. */
  getClient(): CometClient | null {
    return this.client;
  }

  /* ---- internals ---- */

  private whenConnected(run: (client: CometClient) => Promise<void>): void {
    const go = async () => {
      const client = this.client;
      if (!client) throw new CometClientError('disconnected', 'CometServer().start() was not called');
      await client.ready();
      await run(client);
    };
    go().catch(reportCallbackError);
  }

  private dispatch(msg: IncomingMessage): void {
    const targets = this.subs.matching(msg.server_info.pipe, msg.server_info.event);
    if (targets.length === 0) return;
    for (const l of [...this.listeners.values()]) {
      if (!l.report && targets.includes(l.target)) {
        safely(() => l.cb({ data: msg.data, server_info: { ...msg.server_info } }));
      }
    }
  }

  private report(pipe: string, event: string, numberMessages: number, error: string, marker?: number): void {
    for (const l of [...this.listeners.values()]) {
      if (!l.report || l.target !== pipe) continue;
      const report: CompatReport = {
        data: { number_messages: numberMessages, error },
        number_messages: numberMessages,
        error,
        server_info: {
          pipe: ANSWER_PREFIX + pipe,
          event,
          user_id: this.getUserId(),
          history: false,
          ...(marker !== undefined ? { marker } : {}),
        },
      };
      safely(() => l.cb(report));
    }
  }

  private onAuth(info: AuthInfo): void {
    if (info.authorized) for (const cb of this.authOk) safely(cb);
    else if (info.reason) for (const cb of this.authFail) safely(cb);
  }
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    reportCallbackError(err);
  }
}

function invalidName(name: unknown): false {
  console.error(`CometServer: invalid pipe name ${JSON.stringify(name)}`);
  return false;
}
