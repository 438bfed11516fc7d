/**
 * The transport-free core: every rule of the pipe server lives here. Browser connections come in
 * through the socket front (the `conn*` methods), backends through the BackendApi methods; both end
 * in the same publish path. Out goes only through the Fanout port and the Store.
 */
import {
  DEFAULT_EVENT,
  MSG_PIPE,
  TRACK_EVENTS,
  browserMayPublish,
  formatSubscription,
  isTrackPipe,
  isValidUserKey,
  isWebPipe,
  parseSubscription,
} from '../../protocol/names.js';
import {
  DEFAULT_EDIT_WINDOW_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_REACTIONS,
  DEFAULT_WEB_HISTORY_LENGTH,
  HISTORY_LENGTH_MAX,
  HISTORY_PAGE_MAX,
  MAX_PIPES_PER_CONNECTION,
  TYPING_INTERVAL_MS,
} from '../../protocol/limits.js';
import type {
  AuthInfo,
  DeliveryReport,
  HistoryRequest,
  IncomingMessage,
  PresenceUser,
  PublishRequest,
  ReadPosition,
  ReplyQuote,
  Result,
  TypingNotice,
} from '../../protocol/wire.js';
import type { Metrics } from '../metrics.js';
import type { HistoryLimits, HistoryPage, HistoryUsage, MarkerTicket, Store, StoredMessage } from '../store/types.js';
import type { AppInfo, BackendApi, BanSpec, HistoryQuery, PersonalResult, PublishResult } from './api.js';
import { appPipeKey } from './app-pipe.js';
import { AppRegistry, type App } from './apps.js';
import { authenticateUser, type Credentials } from './user-auth.js';
import {
  banTarget,
  checkData,
  checkEvent,
  checkName,
  checkPipe,
  checkToken,
  checkUserId,
  checkWebhookUrl,
} from './input-checks.js';
import {
  addSubscriptions,
  connectionRates,
  dropSubscription,
  isMember,
  isSubscribed,
  newConnection,
  type Connection,
  type ConnectionBucket,
} from './connection.js';
import { MessageLifecycle, type Reactors } from './message-lifecycle.js';
import { randomId } from './random-id.js';
import { toIncoming } from './message-view.js';
import type { WebhookEvent } from './webhook.js';
import { CoreError } from './errors.js';
import type { Fanout, SettingsChange } from './fanout-port.js';
import { DEFAULT_LIMITS, type Limits, type Quota } from './limits.js';
import { charge, refund, take, tokensLeft, TokenBucket, type Rates } from './rate-limit.js';
import { SettingsCache } from './settings-cache.js';
import { peekExpiry, signToken, TOKEN_CLOCK_TOLERANCE_S } from './tokens.js';

/** Personal messages kept per offline user; older ones are dropped first. */
export const PERSONAL_QUEUE_MAX = 100;
/** Default lifetime of an issued token. */
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;
const DEFAULT_HISTORY_PAGE = 50;

/** Where published messages and their changes are copied for the app's backend (the webhook dispatcher). */
export interface WebhookSink {
  /** `epoch` names the marker sequence of the message (see MarkerTicket): receivers de-duplicate by epoch and marker. */
  enqueue(appId: string, url: string, event: WebhookEvent, epoch: string): void;
}

export interface CoreOptions {
  store: Store;
  apps: AppRegistry;
  metrics: Metrics;
  webhooks?: WebhookSink;
  webHistoryLength?: number;
  maxMessageBytes?: number;
  /** The limit model (see limits.ts); default DEFAULT_LIMITS. */
  limits?: Limits;
  /** Milliseconds since the epoch; tests pass a clock they move. */
  clock?: () => number;
  /** Can the store be reached now? While not, calls that need it fail at once with `unavailable`. Default: the store's own answer. */
  available?: () => boolean;
}

/** Who publishes: stamped into server_info, never taken from the payload. */
interface Sender {
  user_id: number;
  user_name?: string;
  /** The connection not to echo to (and, kept with the message, the one a guest author edits from). */
  connId?: string;
  /** The message this one answers. */
  reply?: ReplyQuote;
}

export type OpenResult =
  { ok: true; conn: Connection; auth: AuthInfo } | { ok: false; reason: 'unknown_app' | 'origin' };

export class Core implements BackendApi {
  readonly apps: AppRegistry;
  private readonly store: Store;
  private readonly metrics: Metrics;
  private readonly webhooks: WebhookSink | undefined;
  private readonly webHistoryLength: number;
  private readonly maxMessageBytes: number;
  readonly limits: Limits;
  /** The rates of every connection's buckets, from the limits. */
  private readonly connRates: Rates<ConnectionBucket>;
  readonly now: () => number;
  private fanout: Fanout | undefined;
  /** Read on every publish: cached (see SettingsCache). */
  private readonly webhookUrls = new SettingsCache<string | null>();
  private readonly pipeLengths = new SettingsCache<number | undefined>();
  /** Each app's backend budget, made on its first request (apps are a configured, bounded set). */
  private readonly backendBuckets = new Map<string, TokenBucket>();
  /** Each app's marker epoch as this node last saw it (see MarkerTicket). */
  private readonly epochs = new Map<string, string>();
  /** Replies, edits, deletes, reactions and read positions (see message-lifecycle.ts). */
  readonly messages: MessageLifecycle;

  constructor(options: CoreOptions) {
    this.store = refuseWhileUnavailable(options.store, options.available ?? (() => options.store.available()));
    this.apps = options.apps;
    this.metrics = options.metrics;
    this.webhooks = options.webhooks;
    this.webHistoryLength = options.webHistoryLength ?? DEFAULT_WEB_HISTORY_LENGTH;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.connRates = connectionRates(this.limits);
    this.now = options.clock ?? Date.now;
    this.messages = new MessageLifecycle({
      store: this.store,
      now: this.now,
      out: () => this.out,
      requireApp: (appId) => this.requireApp(appId),
      maxMessageBytes: this.maxMessageBytes,
      checkWriter: (conn, pipe) => this.checkWriter(conn, pipe),
      isBanned: (conn, pipe) => this.isBanned(conn, pipe),
      tellBackend: (appId, event) => this.tellBackend(appId, event),
      historyLimits: async (app, pipe) => historyLimits(app, Math.max(1, await this.pipeLength(app.id, pipe))),
      reserveReads: (conn, bytes) => {
        this.checkReplyBudget(conn, this.now());
        charge(conn, this.connRates, 'replyTokens', bytes, this.now());
      },
      settleReads: (conn, bytes) =>
        bytes > 0
          ? charge(conn, this.connRates, 'replyTokens', bytes, this.now())
          : refund(conn, this.connRates, 'replyTokens', -bytes),
    });
  }

  /** The socket front plugs itself in once it exists (it needs the core first). */
  attach(fanout: Fanout): void {
    this.fanout = fanout;
    fanout.onSettingsChange((change) => this.forgetSetting(change));
  }

  private get out(): Fanout {
    if (!this.fanout) throw new CoreError('internal', 'no transport attached');
    return this.fanout;
  }

  /* ================= browser connections ================= */

  /**
   * Identifies a new connection. Refuses unknown apps and foreign origins. Credentials that failed
   * validation at the front arrive as the reason they failed: the connection is then anonymous.
   */
  async openConnection(
    connId: string,
    devId: string,
    creds: Credentials | 'bad_key' | 'bad_token',
    origin: string | undefined,
  ): Promise<OpenResult> {
    const app = this.apps.get(devId);
    if (!app) return { ok: false, reason: 'unknown_app' };
    if (!this.apps.allowsOrigin(app, origin)) return { ok: false, reason: 'origin' };
    // Guests without credentials, and a known epoch, are answered without waiting: most connections are both.
    const found =
      typeof creds === 'string'
        ? { authorized: false, user_id: 0, reason: creds }
        : authenticateUser(this.store, app, creds, this.now());
    const who = found instanceof Promise ? await found : found;
    const reader = who.authorized && who.user_id > 0 ? `u${who.user_id}` : `g${randomId(9)}`;
    // Without it the client keeps the epoch it knows: a store that cannot be read must not refuse the connection.
    const epoch = this.epochs.get(app.id) ?? (await this.epochOf(app.id).catch(() => undefined));
    // One literal with every field, in the order the client has always been sent them: absent ones are
    // undefined, which JSON leaves out.
    const auth: AuthInfo = {
      authorized: who.authorized,
      user_id: who.user_id,
      user_name: who.user_name,
      reason: who.reason,
      reader,
      reactions: [...(app.reactions ?? DEFAULT_REACTIONS)],
      edit_window: app.editWindowSeconds ?? DEFAULT_EDIT_WINDOW_SECONDS,
      epoch,
    };
    const identity = {
      appId: app.id,
      user_id: who.user_id,
      authorized: who.authorized,
      reader,
      user_name: who.user_name,
    };
    this.metrics.connectionOpened();
    return { ok: true, conn: newConnection(connId, identity, this.connRates, this.now()), auth };
  }

  /**
   * May the connection make another request? What writes into a pipe or is told to its subscribers
   * (publish, edit, delete, react, read) takes from its publish bucket, anything else from the request bucket. The front asks before even
   * reading the payload, so a flood costs little.
   */
  admitRequest(conn: Connection, writes: boolean): boolean {
    return take(conn, this.connRates, writes ? 'publishTokens' : 'requestTokens', this.now());
  }

  /**
   * The connection was refused for a limit once more: true when that makes too many within the
   * strike window, and the front should close it.
   */
  strike(conn: Connection): boolean {
    return !take(conn, this.connRates, 'strikeTokens', this.now());
  }

  /**
   * After the `auth` event went out: hand over queued personal messages and note the user online. Guests have
   * neither: undefined, not a promise (most connections are guests).
   */
  connectionReady(conn: Connection): Promise<void> | undefined {
    if (conn.user_id <= 0) return undefined;
    return this.userReady(conn.appId, conn.user_id);
  }

  private async userReady(appId: string, userId: number): Promise<void> {
    await this.store.setLastSeen(appId, userId, this.nowSeconds());
    await this.deliverQueued(appId, userId);
  }

  /**
   * Takes the user's queued personal messages and hands them to every connection of the user (a
   * second tab opening at the same moment gets them too). The drain is atomic, so whoever drains
   * delivers, once; a message that finds the user gone again goes back into the queue.
   * Resolves with how many connections the last message reached.
   */
  private async deliverQueued(appId: string, userId: number): Promise<number> {
    let reached = 0;
    for (const msg of await this.store.drainPersonal(appId, userId)) {
      reached = await this.out.deliverToUser(appId, userId, toIncoming(msg, false));
      this.metrics.messagesOut(reached);
      if (reached === 0) await this.store.enqueuePersonal(appId, userId, msg, PERSONAL_QUEUE_MAX);
    }
    return reached;
  }

  async connectionClosed(conn: Connection): Promise<void> {
    if (conn.closed) return;
    conn.closed = true;
    this.metrics.connectionClosed();
    const pipes = new Set(conn.subscriptions.map((s) => s.pipe));
    conn.subscriptions = [];
    for (const pipe of pipes) {
      this.metrics.setPipeSubscribers(conn.appId, pipe, this.out.localMemberCount(conn.appId, pipe));
      await this.announceLeaving(conn, pipe);
    }
    if (conn.user_id > 0) await this.store.setLastSeen(conn.appId, conn.user_id, this.nowSeconds());
  }

  async connSubscribe(conn: Connection, targets: string[]): Promise<Result<{ subscribed: string[] }>> {
    const subs = targets.map((t) => parseSubscription(t));
    if (subs.some((s) => s === null)) return { error: 'invalid_pipe', message: 'bad pipe or event name' };
    // Joining a track_ pipe makes the server publish for this connection, and nothing is published for the
    // banned: bans are looked up first, so nothing waits between the count below and the adding, and requests
    // handled at once cannot each find room, or the same target missing, and all add.
    const banned = new Set<string>();
    for (const pipe of new Set(subs.map((sub) => sub!.pipe))) {
      if (isTrackPipe(pipe) && (await this.isBanned(conn, pipe))) banned.add(pipe);
    }
    const fresh = new Map<string, NonNullable<(typeof subs)[number]>>();
    for (const sub of subs) {
      const key = formatSubscription(sub!);
      if (!isSubscribed(conn, sub!)) fresh.set(key, sub!);
    }
    if (conn.subscriptions.length + fresh.size > MAX_PIPES_PER_CONNECTION) {
      return { error: 'too_many_pipes', message: `at most ${MAX_PIPES_PER_CONNECTION} subscriptions per connection` };
    }
    const joinedPipes = new Set([...fresh.values()].filter((sub) => !isMember(conn, sub.pipe)).map((sub) => sub.pipe));
    const announce = [...joinedPipes].filter((pipe) => isTrackPipe(pipe) && !banned.has(pipe));
    if (announce.length > 0) {
      const now = this.now();
      if (tokensLeft(conn, this.connRates, 'publishTokens', now) < 1) {
        return { error: 'rate_limited', message: 'joining presence pipes counts as publishing; slow down' };
      }
      // Charged whole even past the burst, so a request for many track_ pipes can pass once, and then waits.
      charge(conn, this.connRates, 'publishTokens', announce.length, now);
    }
    addSubscriptions(conn, [...fresh.values()]);
    for (const sub of fresh.values()) this.out.join(conn.id, conn.appId, sub);
    for (const pipe of joinedPipes)
      this.metrics.setPipeSubscribers(conn.appId, pipe, this.out.localMemberCount(conn.appId, pipe));
    for (const pipe of announce) {
      (conn.announced ??= new Set()).add(pipe);
      await this.track(conn, pipe, TRACK_EVENTS.subscription);
    }
    return { error: '', subscribed: subs.map((s) => formatSubscription(s!)) };
  }

  async connUnsubscribe(conn: Connection, targets: string[]): Promise<Result> {
    const subs = targets.map((t) => parseSubscription(t));
    if (subs.some((s) => s === null)) return { error: 'invalid_pipe', message: 'bad pipe or event name' };
    const leftPipes = new Set<string>();
    for (const sub of subs) {
      if (!dropSubscription(conn, sub!)) continue;
      this.out.leave(conn.id, conn.appId, sub!);
      if (!isMember(conn, sub!.pipe)) leftPipes.add(sub!.pipe);
    }
    for (const pipe of leftPipes) {
      this.metrics.setPipeSubscribers(conn.appId, pipe, this.out.localMemberCount(conn.appId, pipe));
      await this.announceLeaving(conn, pipe);
    }
    return { error: '' };
  }

  /** The unsubscription notice of a track_ pipe whose subscription was announced; it too counts as a publish. */
  private async announceLeaving(conn: Connection, pipe: string): Promise<void> {
    if (!conn.announced?.delete(pipe)) return;
    charge(conn, this.connRates, 'publishTokens', 1, this.now());
    await this.track(conn, pipe, TRACK_EVENTS.unsubscription);
  }

  private isBanned(conn: Connection, pipe: string): Promise<boolean> {
    return this.store.isBanned(conn.appId, { user_id: conn.user_id, conn_id: conn.id }, pipe, this.now());
  }

  /** May a browser write into the pipe (publish, or change a message there)? Throws the refusal when not. */
  private async checkWriter(conn: Connection, pipe: string): Promise<void> {
    if (pipe === MSG_PIPE || !browserMayPublish(pipe, conn.authorized)) {
      throw new CoreError('forbidden', `browsers may not publish into ${pipe}`);
    }
    if (await this.isBanned(conn, pipe)) throw new CoreError('banned', 'you are banned from this pipe');
  }

  /**
   * A browser's publish, admitted by the front (admitRequest): pipe rules, size limit, bans, the quoted
   * message of a reply; then the common path. Refusals are CoreErrors, answered by the front.
   */
  async connPublish(conn: Connection, req: PublishRequest): Promise<DeliveryReport> {
    await this.checkWriter(conn, req.pipe);
    checkData(req.data, this.maxMessageBytes);
    const sender: Sender = { user_id: conn.user_id, connId: conn.id };
    if (conn.user_name !== undefined) sender.user_name = conn.user_name;
    if (req.reply_to !== undefined) sender.reply = await this.messages.quote(conn.appId, req.pipe, req.reply_to);
    const publish = (ticket?: MarkerTicket) =>
      this.publishAs(conn.appId, req.pipe, req.event, req.data ?? null, sender, ticket);
    const result: PublishResult & { duplicate?: boolean } =
      req.id === undefined ? await publish() : await this.publishOnce(conn.appId, publishKey(conn, req.id), publish);
    const report: DeliveryReport = { error: '', number_messages: result.number_messages, marker: result.marker };
    if (result.duplicate) report.duplicate = true;
    if (sender.reply !== undefined) {
      report.reply = sender.reply;
      // Its original may have been edited or deleted since the quote was read, that change's requote missing this.
      if (!result.duplicate && result.marker !== undefined) {
        await this.messages.settleReply(conn.appId, req.pipe, result.marker, sender.reply);
      }
    }
    return report;
  }

  /**
   * A publish that carries an id: claimed in the store (with the marker it will have) before it is made, so
   * the same id sent again, on any node, within the window gets the first publish's report instead of a copy.
   * One still under way answers with its marker and a count of 0. A publish that fails gives its id back.
   */
  private async publishOnce(
    appId: string,
    key: string,
    publish: (ticket: MarkerTicket) => Promise<PublishResult>,
  ): Promise<PublishResult & { duplicate?: boolean }> {
    const ticket = await this.nextMarker(appId);
    const { windowMs, perApp } = this.limits.publishIds;
    const now = this.now();
    const prior = await this.store.claimPublish(
      appId,
      key,
      { marker: ticket.marker, number_messages: -1 },
      now,
      now + windowMs,
      perApp,
    );
    if (prior) return { marker: prior.marker, number_messages: Math.max(prior.number_messages, 0), duplicate: true };
    let result: PublishResult;
    try {
      result = await publish(ticket);
    } catch (err) {
      await this.store.releasePublish(appId, key).catch(() => undefined);
      throw err;
    }
    // The message is out: a store that cannot take the count now only leaves a later duplicate's count at 0.
    await this.store.settlePublish(appId, key, result).catch(() => undefined);
    return result;
  }

  /** `guestName` is shown by other browsers only for an anonymous typist, marked as a guest's own name. */
  async connTyping(conn: Connection, pipe: string, guestName?: string): Promise<Result> {
    if (!browserMayPublish(pipe, conn.authorized)) {
      this.metrics.error('forbidden');
      return { error: 'forbidden', message: `browsers may not type into ${pipe}` };
    }
    const now = this.now();
    if (now - (conn.typingAt?.get(pipe) ?? 0) < TYPING_INTERVAL_MS) {
      return { error: 'rate_limited', message: 'one typing notice per second' };
    }
    if (await this.isBanned(conn, pipe)) return { error: 'banned', message: 'you are banned from this pipe' };
    const typingAt = (conn.typingAt ??= new Map());
    if (typingAt.size >= MAX_PIPES_PER_CONNECTION) {
      // Typing into ever new pipes must not grow the map for the connection's lifetime: drop what no longer limits.
      for (const [p, at] of typingAt) if (now - at >= TYPING_INTERVAL_MS) typingAt.delete(p);
    }
    typingAt.set(pipe, now);
    const guest = conn.authorized ? '' : (guestName ?? '').trim();
    const notice: TypingNotice = { pipe, user_id: conn.user_id };
    if (conn.user_name !== undefined) notice.user_name = conn.user_name;
    if (guest) notice.guest_name = guest;
    this.out.notifyTyping(conn.appId, notice, conn.id);
    return { error: '' };
  }

  /**
   * A connection's history request, priced by bytes: the answer is cut at `maxReplyBytes` (with
   * `more`), its bytes are taken from the connection's reply budget, and an empty budget refuses.
   */
  async connHistory(conn: Connection, req: HistoryRequest): Promise<{ messages: IncomingMessage[]; more: boolean }> {
    const { maxReplyBytes } = this.limits;
    const now = this.now();
    this.checkReplyBudget(conn, now);
    // The largest answer is taken before reading, so requests sent together cannot all find the budget full.
    charge(conn, this.connRates, 'replyTokens', maxReplyBytes, now);
    let page: HistoryPage;
    try {
      page = await this.readHistory(conn.appId, req.pipe, req, maxReplyBytes);
    } catch (err) {
      refund(conn, this.connRates, 'replyTokens', maxReplyBytes);
      throw err;
    }
    refund(conn, this.connRates, 'replyTokens', Math.max(0, maxReplyBytes - page.bytes));
    return { messages: page.messages.map((m) => toIncoming(m, true, conn)), more: page.more };
  }

  /**
   * Another answer of stored data (readers, reactors) for a connection, priced like history: its JSON
   * bytes are taken from the reply budget (each is bounded, READERS_LIST_MAX / REACTORS_LIST_MAX).
   */
  async connAnswer<T>(conn: Connection, answer: () => Promise<T>): Promise<T> {
    this.checkReplyBudget(conn, this.now());
    const value = await answer();
    charge(conn, this.connRates, 'replyTokens', Buffer.byteLength(JSON.stringify(value)), this.now());
    return value;
  }

  private checkReplyBudget(conn: Connection, now: number): void {
    if (tokensLeft(conn, this.connRates, 'replyTokens', now) < 1) {
      throw new CoreError(
        'rate_limited',
        `answers of stored data are limited to ${this.limits.replyBytes.perSecond} bytes per second; wait a little`,
      );
    }
  }

  /* ================= the publish path ================= */

  private async publishAs(
    appId: string,
    pipe: string,
    event: string | undefined,
    data: unknown,
    sender: Sender,
    ticket?: MarkerTicket,
  ): Promise<PublishResult> {
    const app = this.requireApp(appId);
    const { marker, epoch } = ticket ?? (await this.nextMarker(appId));
    const stored: StoredMessage = {
      marker,
      pipe,
      event: event ?? DEFAULT_EVENT,
      user_id: sender.user_id,
      time: this.now(),
      data,
    };
    if (sender.user_name !== undefined) stored.user_name = sender.user_name;
    if (sender.connId !== undefined) stored.conn = sender.connId;
    if (sender.reply !== undefined) stored.reply = sender.reply;
    const length = await this.pipeLength(appId, pipe);
    if (length > 0) await this.store.appendHistory(appId, stored, historyLimits(app, length));
    const live = toIncoming(stored, false);
    this.metrics.messageIn(appId);
    const count = await this.out.deliver(appId, live, sender.connId, app.receipts);
    if (app.receipts) this.metrics.delivered(count);
    else this.metrics.messagesOut(count);
    await this.tellBackend(appId, { type: 'message.published', message: live }, epoch);
    return { marker, number_messages: count };
  }

  /** Copies what happened to the app's webhook, when it has one. */
  private async tellBackend(appId: string, event: WebhookEvent, epoch?: string): Promise<void> {
    const url = await this.webhookUrls.get(appId, () => this.store.getWebhook(appId), this.now());
    if (url && this.webhooks) this.webhooks.enqueue(appId, url, event, epoch ?? (await this.epochOf(appId)));
  }

  /**
   * A marker from the store. A new epoch means the app's markers started again: every connection
   * of the app is told (so clients stop dropping "seen" markers), and other nodes forget theirs.
   */
  private async nextMarker(appId: string): Promise<MarkerTicket> {
    const ticket = await this.store.nextMarker(appId);
    const { epoch, marker } = ticket;
    const known = this.epochs.get(appId);
    this.epochs.set(appId, epoch);
    // Marker 1 is an epoch's first: said even by a node that had not read the old epoch (or had read only the new
    // one), since others may still hand out the old. A node that merely has not read the epoch (it started, or a
    // notice made it forget) says nothing, or each notice would make the next node to publish say it again.
    if (marker === 1 || (known !== undefined && known !== epoch)) {
      this.out.notifyEpoch(appId, { epoch });
      this.fanout?.shareSettingsChange({ appId, setting: 'epoch' });
    }
    return ticket;
  }

  private async epochOf(appId: string): Promise<string> {
    let epoch = this.epochs.get(appId);
    if (epoch === undefined) {
      epoch = await this.store.markerEpoch(appId);
      this.epochs.set(appId, epoch);
    }
    return epoch;
  }

  /** The server's own message into a track_ pipe about one connection joining or leaving it. */
  private async track(conn: Connection, pipe: string, event: string): Promise<void> {
    const data = { user_id: conn.user_id, ...(conn.user_name === undefined ? {} : { user_name: conn.user_name }) };
    const sender: Sender = { user_id: conn.user_id, connId: conn.id };
    if (conn.user_name !== undefined) sender.user_name = conn.user_name;
    await this.publishAs(conn.appId, pipe, event, data, sender);
  }

  private async pipeLength(appId: string, pipe: string): Promise<number> {
    const set = await this.pipeLengths.get(
      appPipeKey(appId, pipe),
      () => this.store.getPipeLength(appId, pipe),
      this.now(),
    );
    if (set !== undefined) return set;
    return isWebPipe(pipe) ? this.webHistoryLength : 0;
  }

  /* ================= BackendApi ================= */

  getApp(devId: string): AppInfo | undefined {
    const app = this.apps.get(devId);
    return app && { id: app.id, secret: app.secret };
  }

  admitBackendRequest(appId: string): boolean {
    let bucket = this.backendBuckets.get(appId);
    if (!bucket) {
      const { burst, perSecond } = this.limits.backendRequests;
      bucket = new TokenBucket(burst, perSecond, this.now());
      this.backendBuckets.set(appId, bucket);
    }
    if (bucket.take(this.now())) return true;
    this.metrics.error('backend_rate_limited');
    return false;
  }

  async usage(appId: string): Promise<{ history: HistoryUsage; quota: Quota }> {
    const app = this.requireApp(appId);
    return { history: await this.store.historyUsage(appId), quota: app.quota };
  }

  async publish(appId: string, pipe: string, event: string | undefined, data: unknown): Promise<PublishResult> {
    this.requireApp(appId);
    checkPipe(pipe);
    if (pipe === MSG_PIPE) throw new CoreError('invalid_pipe', 'personal messages go through sendToUser');
    if (event !== undefined) checkEvent(event);
    checkData(data, this.maxMessageBytes);
    return this.publishAs(appId, pipe, event, data ?? null, { user_id: 0 });
  }

  async history(appId: string, pipe: string, query: HistoryQuery = {}): Promise<IncomingMessage[]> {
    const page = await this.readHistory(appId, pipe, query);
    return page.messages.map((m) => toIncoming(m, true));
  }

  private async readHistory(appId: string, pipe: string, query: HistoryQuery, maxBytes?: number): Promise<HistoryPage> {
    this.requireApp(appId);
    checkPipe(pipe);
    const limit = query.limit ?? DEFAULT_HISTORY_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_PAGE_MAX) {
      throw new CoreError('invalid', `limit must be 1-${HISTORY_PAGE_MAX}`);
    }
    for (const m of [query.before, query.after]) {
      if (m !== undefined && (!Number.isSafeInteger(m) || m < 0))
        throw new CoreError('invalid', 'markers are non-negative integers');
    }
    return this.store.readHistory(appId, pipe, {
      limit,
      ...(query.before === undefined ? {} : { before: query.before }),
      ...(query.after === undefined ? {} : { after: query.after }),
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
  }

  async deleteMessage(appId: string, pipe: string, marker: number): Promise<boolean> {
    const app = this.requireApp(appId);
    checkPipe(pipe);
    if (!Number.isSafeInteger(marker) || marker <= 0) throw new CoreError('invalid', 'markers are positive integers');
    const found = await this.store.deleteHistory(appId, pipe, marker);
    if (found) await this.messages.requote(app, pipe, marker);
    // Live-only messages (pipes without history) are on screens too: always tell subscribers.
    this.out.notifyDelete(appId, { pipe, marker });
    await this.tellBackend(appId, { type: 'message.deleted', deleted: { pipe, marker } });
    return found;
  }

  editMessage(appId: string, pipe: string, marker: number, data: unknown): Promise<{ edited: number }> {
    return this.messages.edit(appId, pipe, marker, data);
  }

  reactors(appId: string, pipe: string, marker: number): Promise<Reactors> {
    return this.messages.reactors(appId, pipe, marker);
  }

  readers(appId: string, pipe: string): Promise<ReadPosition[]> {
    return this.messages.readers(appId, pipe);
  }

  async pipeStats(appId: string, pipe: string): Promise<{ pipe: string; users: number }> {
    this.requireApp(appId);
    checkPipe(pipe);
    return { pipe, users: (await this.out.members(appId, pipe)).length };
  }

  async presence(appId: string, pipe: string): Promise<{ count: number; users: PresenceUser[] }> {
    this.requireApp(appId);
    checkPipe(pipe);
    const users: PresenceUser[] = [];
    const seen = new Set<number>();
    for (const m of await this.out.members(appId, pipe)) {
      if (m.user_id > 0) {
        if (seen.has(m.user_id)) continue;
        seen.add(m.user_id);
      }
      users.push(m.user_name === undefined ? { user_id: m.user_id } : { user_id: m.user_id, user_name: m.user_name });
    }
    return { count: users.length, users };
  }

  async getPipeSettings(appId: string, pipe: string): Promise<{ pipe: string; length: number }> {
    this.requireApp(appId);
    checkPipe(pipe);
    return { pipe, length: await this.pipeLength(appId, pipe) };
  }

  async setPipeSettings(appId: string, pipe: string, settings: { length: number }): Promise<void> {
    this.requireApp(appId);
    checkPipe(pipe);
    const { length } = settings;
    if (!Number.isInteger(length) || length < 0 || length > HISTORY_LENGTH_MAX) {
      throw new CoreError('invalid', `history length must be 0-${HISTORY_LENGTH_MAX}`);
    }
    await this.store.setPipeLength(appId, pipe, length);
    this.settingChanged({ appId, setting: 'pipeLength', pipe });
    await this.store.trimHistory(appId, pipe, length);
  }

  async resetPipeSettings(appId: string, pipe: string): Promise<void> {
    this.requireApp(appId);
    checkPipe(pipe);
    await this.store.deletePipeLength(appId, pipe);
    this.settingChanged({ appId, setting: 'pipeLength', pipe });
    await this.store.trimHistory(appId, pipe, 0);
  }

  async setUserKey(appId: string, userId: number, key: string, name?: string): Promise<void> {
    this.requireApp(appId);
    checkUserId(userId);
    if (!isValidUserKey(key)) throw new CoreError('invalid', 'user keys are 1-32 characters of [0-9A-Za-z=+/_]');
    if (name !== undefined) checkName(name);
    await this.store.setUserKey(appId, userId, name === undefined ? { key } : { key, name });
  }

  async getUserKey(appId: string, userId: number): Promise<string | undefined> {
    this.requireApp(appId);
    checkUserId(userId);
    return (await this.store.getUserKey(appId, userId))?.key;
  }

  async removeUserKey(appId: string, userId: number): Promise<void> {
    this.requireApp(appId);
    checkUserId(userId);
    await this.store.deleteUserKey(appId, userId);
    this.out.disconnectUser(appId, userId);
  }

  async issueToken(
    appId: string,
    claims: { user_id: number; name?: string; ttl_seconds?: number },
  ): Promise<{ token: string; expires: number }> {
    const app = this.requireApp(appId);
    checkUserId(claims.user_id);
    if (claims.name !== undefined) checkName(claims.name);
    const ttl = claims.ttl_seconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl <= 0) throw new CoreError('invalid', 'ttl_seconds must be a positive integer');
    const exp = this.nowSeconds() + ttl;
    const token = signToken(app.secret, {
      user_id: claims.user_id,
      ...(claims.name === undefined ? {} : { name: claims.name }),
      exp,
    });
    return { token, expires: exp };
  }

  async revokeToken(appId: string, token: string): Promise<void> {
    this.requireApp(appId);
    checkToken(token);
    const exp = peekExpiry(token);
    // Kept as long as the token could still pass: its expiry plus the clock tolerance of the check.
    await this.store.revokeToken(appId, token, exp === null ? null : (exp + TOKEN_CLOCK_TOLERANCE_S) * 1000);
  }

  async unrevokeToken(appId: string, token: string): Promise<void> {
    this.requireApp(appId);
    checkToken(token);
    await this.store.unrevokeToken(appId, token);
  }

  async isTokenRevoked(appId: string, token: string): Promise<boolean> {
    this.requireApp(appId);
    checkToken(token);
    return this.store.isTokenRevoked(appId, token);
  }

  async sendToUser(appId: string, userId: number, event: string | undefined, data: unknown): Promise<PersonalResult> {
    this.requireApp(appId);
    checkUserId(userId);
    if (event !== undefined) checkEvent(event);
    checkData(data, this.maxMessageBytes);
    const stored: StoredMessage = {
      marker: (await this.nextMarker(appId)).marker,
      pipe: MSG_PIPE,
      event: event ?? DEFAULT_EVENT,
      user_id: 0,
      time: this.now(),
      data: data ?? null,
    };
    this.metrics.messageIn(appId);
    const delivered = await this.out.deliverToUser(appId, userId, toIncoming(stored, false));
    this.metrics.messagesOut(delivered);
    if (delivered > 0) return { delivered, queued: false };
    await this.store.enqueuePersonal(appId, userId, stored, PERSONAL_QUEUE_MAX);
    // The user may have connected, and drained an empty queue, between the delivery and the enqueue.
    if ((await this.out.userConnections(appId, userId)) > 0) {
      const reached = await this.deliverQueued(appId, userId);
      if (reached > 0) return { delivered: reached, queued: false };
    }
    return { delivered: 0, queued: true };
  }

  async userTime(appId: string, userId: number): Promise<number> {
    this.requireApp(appId);
    checkUserId(userId);
    if ((await this.out.userConnections(appId, userId)) > 0) return 0;
    return (await this.store.getLastSeen(appId, userId)) ?? -1;
  }

  async ban(appId: string, spec: BanSpec): Promise<void> {
    this.requireApp(appId);
    const target = banTarget(spec);
    if (spec.seconds !== undefined && (!Number.isFinite(spec.seconds) || spec.seconds <= 0)) {
      throw new CoreError('invalid', 'seconds must be positive');
    }
    await this.store.addBan(appId, target, spec.seconds === undefined ? null : this.now() + spec.seconds * 1000);
  }

  async unban(appId: string, spec: BanSpec): Promise<void> {
    this.requireApp(appId);
    await this.store.removeBan(appId, banTarget(spec));
  }

  async setWebhook(appId: string, url: string | null): Promise<void> {
    const app = this.requireApp(appId);
    if (url !== null) checkWebhookUrl(url, app.allowPrivateWebhooks === true);
    await this.store.setWebhook(appId, url);
    this.settingChanged({ appId, setting: 'webhook' });
  }

  async getWebhook(appId: string): Promise<string | null> {
    this.requireApp(appId);
    return this.store.getWebhook(appId);
  }

  /** After a setting was written: drop the cached copy here and on every other node. */
  private settingChanged(change: SettingsChange): void {
    this.forgetSetting(change);
    this.fanout?.shareSettingsChange(change);
  }

  private forgetSetting(change: SettingsChange): void {
    if (change.setting === 'webhook') this.webhookUrls.forget(change.appId);
    else if (change.setting === 'epoch') this.epochs.delete(change.appId);
    else this.pipeLengths.forget(appPipeKey(change.appId, change.pipe));
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private requireApp(appId: string): App {
    const app = this.apps.get(appId);
    if (!app) throw new CoreError('not_found', `no app ${appId}`);
    return app;
  }
}

/**
 * Whose publish id it is. An authorized user's ids are theirs across connections and tabs. An anonymous
 * sender has no identity that outlives its connection (a retry comes over a new one), so guests' ids share
 * one space per app: they are random UUIDs never shown to anyone else, and reusing one only answers the
 * reuser with the first report (its own message is dropped), never someone else's message.
 */
function publishKey(conn: Connection, id: string): string {
  return conn.authorized && conn.user_id > 0 ? `u${conn.user_id}:${id}` : `g:${id}`;
}

/**
 * The store as the core uses it: while it cannot be reached every call fails at once with
 * `unavailable`, rather than waiting on a connection that is down (and pinning the caller meanwhile).
 */
function refuseWhileUnavailable(store: Store, available: () => boolean): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || name === 'available' || name === 'close') return value;
      return (...args: unknown[]) =>
        available()
          ? (value as (...a: unknown[]) => unknown).apply(target, args)
          : Promise.reject(new CoreError('unavailable', 'the server cannot reach its store; try again shortly'));
    },
  });
}

function historyLimits(app: App, keep: number): HistoryLimits {
  return {
    keep,
    pipeBytes: app.quota.pipeHistoryBytes,
    appBytes: app.quota.historyBytes,
    appPipes: app.quota.historyPipes,
  };
}
