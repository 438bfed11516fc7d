/**
 * The one storage interface of the server. Memory, SQLite and Redis implement it; the core talks only to it.
 *
 * Rules every implementation keeps:
 * - Every method is async (Redis is remote) and takes the app id first: apps never share a row/key.
 * - Times are milliseconds since the epoch unless a name says otherwise.
 * - Message `data` is any JSON value; implementations store it serialized and give back an equal value.
 * - Nothing here validates names or sizes: the core has done that before calling.
 *
 * What is NOT here: presence and subscriber counts. Those are derived from Socket.IO rooms
 * (`fetchSockets` and broadcasts through the adapter), so with the Redis adapter they are
 * cluster-wide without any store bookkeeping, and a crashed node leaves no stale entries behind.
 */

import type { ReplyQuote } from '../../protocol/wire.js';

/** One message as kept in pipe history or a personal-message queue. */
export interface StoredMessage {
  /** From `nextMarker(appId)`: unique and increasing within the app. */
  marker: number;
  pipe: string;
  event: string;
  /** 0 = anonymous or the backend. */
  user_id: number;
  user_name?: string;
  time: number;
  data: unknown;
  /** The connection that sent it (browser messages only): how a guest author is known. Never sent to clients. */
  conn?: string;
  /** The message this one answers, quoted when it was sent. */
  reply?: ReplyQuote;
  /** When `data` was last changed. */
  edited?: number;
  /** Deleted by its author, kept as a tombstone (`data` null). */
  deleted?: boolean;
  /**
   * Reactions: emoji → reader (see ReaderPosition.reader) → the reactor's stamped name, or "" without one.
   * Kept inside the entry, so they count in its bytes and against the history quotas.
   */
  reactions?: Record<string, Record<string, string>>;
}

/** An entry changed by so many others at once that an update gave up: the caller may try again shortly. */
export class StoreBusyError extends Error {
  override name = 'StoreBusyError';
}

/** How far one reader has seen a pipe (see ReadPosition in the wire protocol). */
export interface ReaderPosition {
  /** `u<user_id>` for an authorized user, `g…` (random, one per connection) for a guest. */
  reader: string;
  user_id: number;
  user_name?: string;
  marker: number;
}

/** Is this reader (of a position or a reaction) an authorized user, rather than a guest's connection? */
export const isUserReader = (reader: string): boolean => reader.startsWith('u');

/** A history entry before and after `updateHistory` changed it. */
export interface HistoryUpdate {
  before: StoredMessage;
  after: StoredMessage;
}

/** Which page of a pipe's history to read. Results always come back oldest first (ascending marker). */
export interface HistoryRange {
  /** Most entries to return (the core passes 1..HISTORY_PAGE_MAX). */
  limit: number;
  /** Only markers strictly below this one. */
  before?: number;
  /**
   * Only markers strictly above this one. When given, the page is the OLDEST `limit` entries
   * above it (catching up forward); otherwise it is the NEWEST `limit` entries (paging back).
   */
  after?: number;
  /**
   * Most bytes of entries (their stored JSON) in the page: it ends before the entry that would go
   * over, but always holds at least one entry. Absent = no byte limit.
   */
  maxBytes?: number;
}

/** One page of a pipe's history, oldest first. */
export interface HistoryPage {
  messages: StoredMessage[];
  /** Bytes of those entries: the UTF-8 length of their stored JSON. */
  bytes: number;
  /** True when `maxBytes` ended the page while entries within `limit` were left: ask again from its edge. */
  more: boolean;
}

/**
 * Where a pipe's history stops growing. Beyond the pipe's own limits its oldest entries go; beyond
 * the app's, whole pipes go, least recently written first (never the one being written).
 */
export interface HistoryLimits {
  /** Entries the pipe keeps: its history length, ≥ 1. */
  keep: number;
  /** Bytes the pipe keeps; its newest entry stays whatever its size. */
  pipeBytes: number;
  /** Bytes all pipes of the app keep together. */
  appBytes: number;
  /** Pipes of the app that keep history. */
  appPipes: number;
}

/** What an app's history takes: bytes of stored JSON and pipes that hold any. */
export interface HistoryUsage {
  bytes: number;
  pipes: number;
}

/** A marker with the epoch of the sequence it comes from. */
export interface MarkerTicket {
  marker: number;
  /**
   * Names the app's marker sequence. It changes only when the sequence starts again (a store that lost
   * its data, a memory store after a restart): markers of a new epoch may repeat older ones. Each epoch's
   * markers start at 1, which is how the core knows a ticket opened one.
   */
  epoch: string;
}

/** Who a ban hits: a user id or one connection id. */
export type BanSubject = { user_id: number; conn_id?: undefined } | { conn_id: string; user_id?: undefined };

/** A ban: app-wide when `pipe` is absent, else only in that pipe. */
export type BanTarget = BanSubject & { pipe?: string };

/**
 * What the server remembers of one publish that carried a client-made id: its report. `number_messages`
 * is -1 while the publish is still under way (the id is claimed, the delivery not counted yet).
 */
export interface PublishReceipt {
  marker: number;
  number_messages: number;
}

/** The registered key of a user (CppComet `users_auth`), with the display name the backend gave. */
export interface UserKeyRecord {
  key: string;
  name?: string;
}

export interface Store {
  /* ---- markers ---- */

  /**
   * The next marker of an app: a positive integer, strictly greater than every marker handed out
   * before in the same epoch (also across restarts and nodes).
   */
  nextMarker(appId: string): Promise<MarkerTicket>;
  /** The app's current marker epoch (created with the sequence when there is none yet). */
  markerEpoch(appId: string): Promise<string>;

  /* ---- pipe history ---- */

  /**
   * Appends a message to its pipe's history, then evicts what goes beyond `limits` (see HistoryLimits;
   * the core skips the call when the pipe's length is 0). Atomic across nodes.
   */
  appendHistory(appId: string, msg: StoredMessage, limits: HistoryLimits): Promise<void>;
  /** One page of a pipe's history, oldest first (see HistoryRange). */
  readHistory(appId: string, pipe: string, range: HistoryRange): Promise<HistoryPage>;
  /** How much history the app keeps. */
  historyUsage(appId: string): Promise<HistoryUsage>;
  /** Drops one entry; true when it was there. */
  deleteHistory(appId: string, pipe: string, marker: number): Promise<boolean>;
  /** Keeps only the newest `keep` entries of a pipe (0 = clear). */
  trimHistory(appId: string, pipe: string, keep: number): Promise<void>;
  /**
   * Changes one entry atomically across nodes: `change` gets the entry as stored and returns it changed
   * (same pipe and marker), or undefined to leave it; what it throws is thrown here, nothing written. It
   * may run more than once (Redis runs it again when another node changed the entry meanwhile), so it
   * only computes; under much contention it may give up with StoreBusyError. The pipe's and the app's bytes follow the entry's new size, and what then goes beyond
   * `limits` is evicted as after an append (the changed entry too, when it is the pipe's oldest). Resolves
   * with the entry before and after, or null when the pipe has no such entry.
   */
  updateHistory(
    appId: string,
    pipe: string,
    marker: number,
    change: (msg: StoredMessage) => StoredMessage | undefined,
    limits: HistoryLimits,
  ): Promise<HistoryUpdate | null>;

  /* ---- read positions ("seen by") ---- */

  /**
   * Moves a reader's position in a pipe forward (never back), atomically across nodes; true when it
   * moved. `now` is when, for `max`: a pipe keeps at most that many readers, the least recently moved go.
   */
  advanceReader(appId: string, pipe: string, position: ReaderPosition, now: number, max: number): Promise<boolean>;
  /** The `limit` furthest readers of a pipe, furthest first. */
  readers(appId: string, pipe: string, limit: number): Promise<ReaderPosition[]>;

  /* ---- pipe settings (CppComet `pipes_settings`) ---- */

  /** The history length set for a pipe, or undefined when none was set (the core then applies its default). */
  getPipeLength(appId: string, pipe: string): Promise<number | undefined>;
  setPipeLength(appId: string, pipe: string, length: number): Promise<void>;
  /** Forgets the pipe's setting (back to the default). */
  deletePipeLength(appId: string, pipe: string): Promise<void>;

  /* ---- user keys (CppComet `users_auth`) ---- */

  setUserKey(appId: string, userId: number, record: UserKeyRecord): Promise<void>;
  getUserKey(appId: string, userId: number): Promise<UserKeyRecord | undefined>;
  /** True when a key was there. */
  deleteUserKey(appId: string, userId: number): Promise<boolean>;

  /* ---- revoked tokens ---- */

  /**
   * Remembers a revoked token. `expiresAt` (ms) is when the token would have expired anyway:
   * after it the entry may be forgotten (null = keep).
   */
  revokeToken(appId: string, token: string, expiresAt: number | null): Promise<void>;
  unrevokeToken(appId: string, token: string): Promise<void>;
  isTokenRevoked(appId: string, token: string): Promise<boolean>;

  /* ---- bans ---- */

  /** Adds or replaces a ban. `expiresAt` in ms; null = until removed. */
  addBan(appId: string, target: BanTarget, expiresAt: number | null): Promise<void>;
  /** Removes exactly that ban (same subject and same pipe / app-wide). */
  removeBan(appId: string, target: BanTarget): Promise<void>;
  /**
   * Is any unexpired ban hitting this speaker in this pipe? Checks the app-wide and the per-pipe
   * bans of the user id (when user_id > 0) and of the connection id.
   */
  isBanned(appId: string, who: { user_id: number; conn_id: string }, pipe: string, now: number): Promise<boolean>;

  /* ---- publish ids (every message once) ---- */

  /**
   * Claims a publish id (`key`: the sender and its id) for `receipt`, atomically across nodes, or returns
   * the receipt of the publish that claimed it first. First forgets the app's ids whose time ran out
   * (expiry at or before `now`); a new id is kept until `expiresAt`, and the app keeps at most `max` ids:
   * the ones that expire first go to make room.
   */
  claimPublish(
    appId: string,
    key: string,
    receipt: PublishReceipt,
    now: number,
    expiresAt: number,
    max: number,
  ): Promise<PublishReceipt | null>;
  /** Sets the receipt of a claimed id (once its publish is done); nothing when the id was forgotten meanwhile. */
  settlePublish(appId: string, key: string, receipt: PublishReceipt): Promise<void>;
  /** Forgets a claim whose publish failed, so the same id sent again is published. */
  releasePublish(appId: string, key: string): Promise<void>;

  /* ---- personal messages (CppComet `users_messages`) ---- */

  /** Queues a personal message for an offline user, keeping at most `max` newest per user. */
  enqueuePersonal(appId: string, userId: number, msg: StoredMessage, max: number): Promise<void>;
  /** Takes (and removes) the user's queued messages, oldest first. */
  drainPersonal(appId: string, userId: number): Promise<StoredMessage[]>;

  /* ---- users' last-seen time (CppComet `users_time`) ---- */

  /** Unix seconds of the last time the user was connected. */
  setLastSeen(appId: string, userId: number, unixSeconds: number): Promise<void>;
  getLastSeen(appId: string, userId: number): Promise<number | undefined>;

  /* ---- per-app settings ---- */

  setWebhook(appId: string, url: string | null): Promise<void>;
  getWebhook(appId: string): Promise<string | null>;
  /**
   * The app's stored secret; when none is stored yet, stores `candidate` and returns it.
   * Atomic across nodes, so every node of a cluster ends up with the same secret.
   */
  ensureAppSecret(appId: string, candidate: string): Promise<string>;

  /**
   * False while the store cannot be reached (Redis down): the core then refuses at once what needs
   * it, instead of letting requests wait. Cheap: read on every request.
   */
  available(): boolean;

  /** Releases connections / file handles. */
  close(): Promise<void>;
}
