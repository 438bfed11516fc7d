/** The public surface of the browser client (CometClient), shared by the element and page scripts. */
import type {
  AuthInfo,
  AvailabilityNotice,
  ClosingNotice,
  DeliveryReport,
  DeleteNotice,
  EditNotice,
  IncomingMessage,
  PresenceUser,
  ReactionNotice,
  ReadNotice,
  ReadPosition,
  ReplyQuote,
  ServerToClientEvents,
  TypingNotice,
} from '../protocol/wire.js';

export interface CometClientOptions {
  /** Server URL, e.g. "https://chat.example.com". */
  server: string;
  devId: string | number;
  userId?: string | number;
  userKey?: string;
  /** Signed user token, instead of userId + userKey. */
  token?: string;
  /** Transports to use; default ["websocket"]. */
  transports?: ('websocket' | 'polling')[];
  /** Reconnect backoff: first delay and cap in ms (jitter is always applied). */
  reconnectDelay?: number;
  reconnectDelayMax?: number;
  /** How long a request (publish, history, presence, subscribe) may wait for its answer; default 10000 ms. */
  requestTimeout?: number;
}

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/**
 * The server's notices a CometClient hands to its listeners as they came, as events of the same name: the
 * one list of them. The client's handlers, the shared connection's forwarding and CometClientEventMap
 * follow it, so a notice added here reaches listeners everywhere.
 */
export const NOTICE_EVENTS = [
  'delete',
  'edit',
  'reaction',
  'read',
  'typing',
  'availability',
  'closing',
] as const satisfies readonly (keyof ServerToClientEvents)[];
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

/** The events a CometClient makes itself, not one notice each. */
interface ClientOwnEvents {
  status: ConnectionStatus;
  auth: AuthInfo;
  /** After each (re)connect, once every subscription is re-sent and the missed messages are emitted. */
  ready: AuthInfo;
  /** Every live message, history catch-up included, once per marker, per subscribed target. */
  message: IncomingMessage;
  error: { error: string; message: string };
  /**
   * The app's markers started again on the server (its store lost them): markers seen before mean
   * nothing now and history may be gone. Whoever shows messages should clear and load them anew.
   */
  reset: { epoch: string };
}

/** Events a CometClient emits (it is an EventTarget; `detail` carries the payload). */
export type CometClientEventMap = ClientOwnEvents & {
  [K in NoticeEvent]: Parameters<ServerToClientEvents[K]>[0];
};

/** A page of history: the messages, oldest first, and `more` when the server cut it short by size (ask again from its edge). */
export type HistoryPage = IncomingMessage[] & { more: boolean };

/** publish()'s options, in place of its `event` argument. */
export interface PublishOptions {
  event?: string;
  /** The message's id (see publish); a fresh one when absent. */
  id?: string;
  /** The marker of the message this one answers: subscribers get it quoted in `server_info.reply`. */
  replyTo?: number;
}

/** Who reacted to a message: at most REACTORS_LIST_MAX users per emoji (guests as user_id 0), and every count. */
export interface ReactorsInfo {
  reactors: Record<string, PresenceUser[]>;
  reactions: Record<string, number>;
}

export type {
  AuthInfo,
  AvailabilityNotice,
  ClosingNotice,
  DeliveryReport,
  DeleteNotice,
  EditNotice,
  IncomingMessage,
  PresenceUser,
  ReactionNotice,
  ReadNotice,
  ReadPosition,
  ReplyQuote,
  TypingNotice,
};
