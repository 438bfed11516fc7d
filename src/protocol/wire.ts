/**
 * The Socket.IO wire protocol between the browser client and the server.
 * Every client→server event carries one payload and an acknowledgement callback;
 * the ack always answers `{ error: "" , ... }` on success or `{ error: CODE, message }` on failure.
 */

/** Machine-readable error codes (the seed's `error` field; "" means no error). */
export type ErrorCode =
  | 'invalid' // payload failed its schema
  | 'invalid_pipe' // bad pipe or event name
  | 'too_large' // data over the message size limit
  | 'rate_limited' // a rate limit of this connection (publish, requests, history bytes) was hit
  | 'backpressure' // too much is still waiting to be sent to this connection: read it first
  | 'unavailable' // the server cannot reach its store for now: try again shortly
  | 'forbidden' // this connection may not publish into this pipe
  | 'too_many_pipes' // over MAX_PIPES_PER_CONNECTION
  | 'banned' // user or connection banned (app-wide or in this pipe)
  | 'not_found'
  | 'internal';

export interface Failure {
  error: ErrorCode;
  message: string;
}
export type Result<T extends object = object> = ({ error: '' } & T) | Failure;

/** What the server adds to every message; never taken from the sender. */
export interface ServerInfo {
  pipe: string;
  event: string;
  /** 0 = anonymous. */
  user_id: number;
  /** Display name of an authorized user when the backend gave one. */
  user_name?: string;
  /** True when the message comes from pipe history, not live. */
  history: boolean;
  /** Stable id of the message, increasing within an app: for paging and de-duplication. */
  marker: number;
  /** Server time, milliseconds since the epoch. */
  time: number;
  /** The message this one answers, quoted as it was when the reply was sent. */
  reply?: ReplyQuote;
  /** When the author (or the backend) last changed `data`. */
  edited?: number;
  /** Deleted by its author and kept as a tombstone: `data` is null. */
  deleted?: boolean;
  /** Reaction counts by emoji; absent when there are none. */
  reactions?: Record<string, number>;
  /** History answers only: the emojis the asking user (a guest: the asking connection) reacted with. */
  my_reactions?: string[];
  /** History answers only: the asking user (a guest: the asking connection) wrote this message and may edit or delete it. */
  mine?: boolean;
}

/**
 * The message a reply answers, filled in by the server when the reply is published (never taken from
 * the sender): its author and the start of its text, so subscribers can show the quote without a lookup.
 */
export interface ReplyQuote {
  marker: number;
  user_id: number;
  /** The name the server stamped on the original (authorized authors only). */
  user_name?: string;
  /** A guest author's own name from the original's `data.name`: never stamped, never trusted. */
  guest_name?: string;
  /** The first REPLY_EXCERPT_MAX characters of the original's text (`data` when a string, else `data.text`); "" when it has none or was deleted. */
  excerpt: string;
}

/** What subscribers receive (the seed's shape). `data` is whatever the sender sent. */
export interface IncomingMessage<D = unknown> {
  data: D;
  server_info: ServerInfo;
}

/**
 * Live messages of one pipe (and event) that left the server together because the pipe was busy: each is
 * taken as if it had come alone in a `message` event, in array order. At most BATCH_MAX_MESSAGES; never
 * used in receipts mode (each message there is acknowledged on its own).
 */
export interface MessageBatch {
  messages: IncomingMessage[];
}

/** The sender's report for one publish (the seed's `#pipe` answer). */
export interface DeliveryReport {
  /** How many subscribers the message was handed to, across every node of the app. */
  number_messages: number;
  /** "" when fine. */
  error: ErrorCode | '';
  /** Marker of the published message (absent on error). */
  marker?: number;
  /** True when this answers a publish the server had already taken (same sender and id): nothing was sent again. */
  duplicate?: boolean;
  /** Human-readable detail when `error` is set. */
  message?: string;
  /** A reply's quote as the server stored it with the message (what subscribers got). */
  reply?: ReplyQuote;
}

/** Handshake `auth` object of the Socket.IO connection. */
export interface HandshakeAuth {
  dev_id: string | number;
  user_id?: string | number;
  user_key?: string;
  /** Signed user token (HS256 JWT over the app secret) instead of id + key. */
  token?: string;
  /** The client takes `batch` events as well as `message`: a busy pipe's messages may then come several to a frame. */
  batch?: boolean;
  /**
   * The client reads its AuthInfo from the CONNECT packet (ConnectData) and the server sends no `auth` event:
   * one frame less per connection. Without it (older clients) the `auth` event comes right after CONNECT.
   */
  auth_in_connect?: boolean;
}

/**
 * The data of the server's Socket.IO CONNECT packet. Socket.IO's own `sid`; `auth` when the handshake
 * asked for it (`HandshakeAuth.auth_in_connect`), in place of the `auth` event.
 */
export interface ConnectData {
  sid: string;
  auth?: AuthInfo;
}

/** Sent by the server right after connecting (in ConnectData, or as the `auth` event): who this connection is. */
export interface AuthInfo {
  authorized: boolean;
  user_id: number;
  user_name?: string;
  /** Why authorization failed (absent when it succeeded or none was asked). */
  reason?: 'bad_key' | 'bad_token' | 'expired_token' | 'revoked_token' | 'unknown_app' | 'origin';
  /** The app's marker epoch (see EpochNotice); absent when the server could not read it. */
  epoch?: string;
  /** This connection's reader name in read positions (see ReadPosition): its own position is not "seen by" anyone else. */
  reader: string;
  /** The reactions the app offers (at most REACTION_SET_MAX); a `react` with any other emoji is refused. */
  reactions?: string[];
  /** How long after sending authors may edit or delete a message, in seconds (0: never). */
  edit_window?: number;
}

export interface PresenceUser {
  user_id: number;
  user_name?: string;
}

/* ---- client → server payloads ---- */
export interface SubscribeRequest {
  /** `pipe` or `pipe.event` targets. */
  pipes: string[];
}
export interface PublishRequest {
  pipe: string;
  event?: string;
  data: unknown;
  /**
   * The message's id, made by the client (a UUID): the same publish sent again (its answer was lost)
   * gets the first one's report and is stored and delivered once. Optional: without it every publish is new.
   */
  id?: string;
  /** The marker of the message this one answers (in the same pipe): subscribers get it quoted in `server_info.reply`. */
  reply_to?: number;
}
/** The author changes the `data` of a message (within the app's edit window); backends may change any. */
export interface EditRequest {
  pipe: string;
  marker: number;
  data: unknown;
}
/** The author deletes a message (within the app's edit window): a tombstone or nothing stays, per the app's setting. */
export interface DeleteRequest {
  pipe: string;
  marker: number;
}
/** Adds (`on: true`) or takes back (`on: false`) the sender's reaction: one per user and emoji, from the app's set. */
export interface ReactRequest {
  pipe: string;
  marker: number;
  emoji: string;
  on: boolean;
}
/** Who reacted to a message. */
export interface ReactorsRequest {
  pipe: string;
  marker: number;
}
/** The reader has seen the pipe up to this marker (the element sends it when the feed is visible and at its end). */
export interface ReadRequest {
  pipe: string;
  marker: number;
}
/** Every reader's position in a pipe (to count "seen by"). */
export interface ReadersRequest {
  pipe: string;
}
export interface HistoryRequest {
  pipe: string;
  /** At most HISTORY_PAGE_MAX; default 50. */
  limit?: number;
  /** Only messages with a marker below this one (paging back). */
  before?: number;
  /** Only messages with a marker above this one (catching up after a reconnect). */
  after?: number;
}
export interface PresenceRequest {
  pipe: string;
}
export interface TypingRequest {
  pipe: string;
  /** A guest's self-chosen display name, relayed as `guest_name`; ignored for authorized users. */
  name?: string;
}

/* ---- server → client payloads ---- */
export interface DeleteNotice {
  pipe: string;
  marker: number;
  /** The message stays as a tombstone ("message deleted"); absent: it is gone. */
  tombstone?: boolean;
}
/** A message's `data` changed. */
export interface EditNotice {
  pipe: string;
  marker: number;
  data: unknown;
  /** Time of the edit. */
  edited: number;
}
/** Someone added or took back a reaction; `count` is the emoji's count on the message afterwards. */
export interface ReactionNotice {
  pipe: string;
  marker: number;
  emoji: string;
  count: number;
  on: boolean;
  /** Who: 0 for a guest. */
  user_id: number;
  user_name?: string;
}
/**
 * How far one reader has seen a pipe. `reader` names the reader without revealing a connection id:
 * `u<user_id>` for an authorized user (all their tabs are one reader), a random `g…` per guest connection.
 */
export interface ReadPosition {
  reader: string;
  user_id: number;
  user_name?: string;
  marker: number;
}
/** A reader's position moved forward. */
export interface ReadNotice extends ReadPosition {
  pipe: string;
}
/**
 * The node is shutting down (it no longer takes connections): reconnect, through the balancer, to
 * another node, each client at a random moment within `within` ms so they do not all arrive at once.
 */
export interface GoAwayNotice {
  within: number;
}
/**
 * The app's markers started again (its store lost them): markers of the new epoch may repeat ones
 * seen before, so a client forgets what it has seen and reloads. Sent live, and in AuthInfo.
 */
export interface EpochNotice {
  epoch: string;
}
/** Whether the server can serve requests now; sent when that changes, and after `auth` while it cannot. */
export interface AvailabilityNotice {
  available: boolean;
  /** Why not, when not. */
  reason?: 'store_unavailable';
}
/**
 * The server is closing this connection on purpose, and why. `flood`: it kept hitting limits; its
 * address is refused for `retry_after_ms`. (`slow_consumer`, a connection that did not read, is cut
 * off without a word: it would not read this either.)
 */
export interface ClosingNotice {
  reason: 'flood' | 'slow_consumer';
  retry_after_ms?: number;
}
export interface TypingNotice {
  pipe: string;
  user_id: number;
  /** The name the server stamped (authorized users only). */
  user_name?: string;
  /** An anonymous typist's own name, as typed (trimmed, at most USER_NAME_MAX): never stamped, never trusted. */
  guest_name?: string;
}

/** Event names and their payload / ack types. */
export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: Result<{ subscribed: string[] }>) => void) => void;
  unsubscribe: (req: SubscribeRequest, ack: (res: Result) => void) => void;
  publish: (req: PublishRequest, ack: (res: DeliveryReport) => void) => void;
  /** `more` is true when the page was cut short by the byte limit of one answer: ask again from its edge. */
  history: (req: HistoryRequest, ack: (res: Result<{ messages: IncomingMessage[]; more?: boolean }>) => void) => void;
  presence: (req: PresenceRequest, ack: (res: Result<{ count: number; users: PresenceUser[] }>) => void) => void;
  typing: (req: TypingRequest, ack?: (res: Result) => void) => void;
  edit: (req: EditRequest, ack: (res: Result<{ edited: number }>) => void) => void;
  delete: (req: DeleteRequest, ack: (res: Result) => void) => void;
  react: (req: ReactRequest, ack: (res: Result<{ count: number }>) => void) => void;
  /** Who reacted with each emoji: at most REACTORS_LIST_MAX each (guests as user_id 0), and every count. */
  reactors: (
    req: ReactorsRequest,
    ack: (res: Result<{ reactors: Record<string, PresenceUser[]>; reactions: Record<string, number> }>) => void,
  ) => void;
  read: (req: ReadRequest, ack?: (res: Result) => void) => void;
  /** The furthest READERS_LIST_MAX readers of the pipe, furthest first. */
  readers: (req: ReadersRequest, ack: (res: Result<{ readers: ReadPosition[] }>) => void) => void;
}

export interface ServerToClientEvents {
  auth: (info: AuthInfo) => void;
  /** Live messages. The optional ack is answered by clients so the server can count receipts. */
  message: (msg: IncomingMessage, ack?: () => void) => void;
  /** Several live messages of one pipe in one frame, in order: sent only to clients that asked (`HandshakeAuth.batch`). */
  batch: (batch: MessageBatch) => void;
  delete: (notice: DeleteNotice) => void;
  edit: (notice: EditNotice) => void;
  reaction: (notice: ReactionNotice) => void;
  read: (notice: ReadNotice) => void;
  typing: (notice: TypingNotice) => void;
  goaway: (notice: GoAwayNotice) => void;
  epoch: (notice: EpochNotice) => void;
  availability: (notice: AvailabilityNotice) => void;
  closing: (notice: ClosingNotice) => void;
}

export const CLIENT_EVENTS = [
  'subscribe',
  'unsubscribe',
  'publish',
  'history',
  'presence',
  'typing',
  'edit',
  'delete',
  'react',
  'reactors',
  'read',
  'readers',
] as const;
export type ClientEventName = (typeof CLIENT_EVENTS)[number];
