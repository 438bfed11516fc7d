/**
 * The core's one way out to connections: a port the socket front implements over Socket.IO rooms.
 * Every method is cluster-wide when the transport is (Socket.IO's Redis adapter makes it so).
 */
import type {
  DeleteNotice,
  EditNotice,
  EpochNotice,
  IncomingMessage,
  ReactionNotice,
  ReadNotice,
  TypingNotice,
} from '../../protocol/wire.js';
import type { Subscription } from '../../protocol/names.js';

/** What the transport knows about one connection (kept on the connection, readable from any node). */
export interface ConnectionIdentity {
  appId: string;
  user_id: number;
  user_name?: string;
}

/** A setting other nodes may hold cached: the app's webhook URL, a pipe's history length, the app's marker epoch. */
export type SettingsChange =
  | { appId: string; setting: 'webhook' }
  | { appId: string; setting: 'epoch' }
  | { appId: string; setting: 'pipeLength'; pipe: string };

/** One subscribed connection, as the presence query sees it. */
export interface Member extends ConnectionIdentity {
  connId: string;
}

export interface Fanout {
  /** Adds a connection to a `pipe` / `pipe.event` subscription. */
  join(connId: string, appId: string, sub: Subscription): void;
  leave(connId: string, appId: string, sub: Subscription): void;
  /**
   * Hands a message to every connection subscribed to its pipe or to its pipe.event (one copy
   * each), except `exceptConnId`. Resolves with how many connections it was handed to on every
   * node; with `receipts`, with how many acknowledged it within the receipt timeout instead.
   */
  deliver(appId: string, msg: IncomingMessage, exceptConnId: string | undefined, receipts: boolean): Promise<number>;
  /** Personal message to every connection of a user; resolves with how many it reached. */
  deliverToUser(appId: string, userId: number, msg: IncomingMessage): Promise<number>;
  /** A message deleted, and readers' positions: to every subscriber of the pipe, on every node. */
  notifyDelete(appId: string, notice: DeleteNotice): void;
  notifyRead(appId: string, notice: ReadNotice): void;
  /** A message of `event` changed: to those it was delivered to (the pipe's and that event's subscribers), on every node. */
  notifyEdit(appId: string, notice: EditNotice, event: string): void;
  notifyReaction(appId: string, notice: ReactionNotice, event: string): void;
  /** To every connection of the app, on every node. */
  notifyEpoch(appId: string, notice: EpochNotice): void;
  /** Volatile: may be dropped under load, never stored. */
  notifyTyping(appId: string, notice: TypingNotice, exceptConnId: string): void;
  /** Every connection subscribed to the pipe (whole or any of its events), on every node. */
  members(appId: string, pipe: string): Promise<Member[]>;
  /** Connections of a user on every node. */
  userConnections(appId: string, userId: number): Promise<number>;
  /** Subscribers of a pipe on this node only (for the metrics gauge). */
  localMemberCount(appId: string, pipe: string): number;
  disconnectUser(appId: string, userId: number): void;
  /** Tells the other nodes (none on a single node) that a setting changed, so they drop their cached copy. */
  shareSettingsChange(change: SettingsChange): void;
  /** Where the other nodes' setting changes go. */
  onSettingsChange(listener: (change: SettingsChange) => void): void;
}
