/**
 * What the core offers to the backend fronts (HTTP /api/v1 and CometQL): one core, two fronts.
 * Every method is scoped to one app; an app never sees another's pipes, users or history.
 * Methods throw CoreError (./errors.js) for bad input, never anything else on purpose.
 */
import type { IncomingMessage, PresenceUser, ReadPosition } from '../../protocol/wire.js';
import type { HistoryUsage } from '../store/types.js';
import type { Quota } from './limits.js';

export interface AppInfo {
  /** The dev id. */
  id: string;
  /** The app secret: the backend's password (HTTP bearer / CometQL password). */
  secret: string;
}

export interface PublishResult {
  marker: number;
  /** Subscribers the message was handed to, across every node. */
  number_messages: number;
}

export interface HistoryQuery {
  limit?: number;
  before?: number;
  after?: number;
}

export interface BanSpec {
  /** Ban this user id (app-wide unless `pipe` is given). */
  user_id?: number;
  /** Ban one connection. */
  conn_id?: string;
  /** Restrict the ban to one pipe. */
  pipe?: string;
  /** Lift the ban after this many seconds; absent = until unbanned. */
  seconds?: number;
}

export interface PersonalResult {
  /** Connections of the user it reached now. */
  delivered: number;
  /** True when the user was offline and the message waits in the queue. */
  queued: boolean;
}

export interface BackendApi {
  /** Looks up an app by dev id (for authenticating a backend). */
  getApp(devId: string): AppInfo | undefined;
  /** Takes one request from the app's backend budget (`limits.backendRequests`); false when spent. */
  admitBackendRequest(appId: string): boolean;

  /** What the app's history takes, and its quota: beyond it the least recently written pipes are dropped. */
  usage(appId: string): Promise<{ history: HistoryUsage; quota: Quota }>;

  /** Publish into any pipe (the backend may publish where browsers may not). */
  publish(appId: string, pipe: string, event: string | undefined, data: unknown): Promise<PublishResult>;
  /** Newest-last list of stored messages, `history: true`. */
  history(appId: string, pipe: string, query?: HistoryQuery): Promise<IncomingMessage[]>;
  /** Deletes one message: history drops it and every subscriber gets a delete notice. */
  deleteMessage(appId: string, pipe: string, marker: number): Promise<boolean>;
  /** Changes the data of any message in history (no edit window for the backend); subscribers get an edit notice. */
  editMessage(appId: string, pipe: string, marker: number, data: unknown): Promise<{ edited: number }>;
  /** Who reacted to a message: at most REACTORS_LIST_MAX per emoji (guests as user 0), and every count. */
  reactors(
    appId: string,
    pipe: string,
    marker: number,
  ): Promise<{ reactors: Record<string, PresenceUser[]>; reactions: Record<string, number> }>;
  /** How far the readers of a pipe have seen it: the furthest READERS_LIST_MAX, furthest first. */
  readers(appId: string, pipe: string): Promise<ReadPosition[]>;

  /** Subscriber count of a pipe across every node. */
  pipeStats(appId: string, pipe: string): Promise<{ pipe: string; users: number }>;
  /** Who is in a pipe (distinct users; anonymous connections counted, listed with user_id 0). */
  presence(appId: string, pipe: string): Promise<{ count: number; users: PresenceUser[] }>;

  getPipeSettings(appId: string, pipe: string): Promise<{ pipe: string; length: number }>;
  /** History length 0–1000; shortening trims stored history. */
  setPipeSettings(appId: string, pipe: string, settings: { length: number }): Promise<void>;
  /** Back to the default length, and the pipe's stored history is cleared. */
  resetPipeSettings(appId: string, pipe: string): Promise<void>;

  /** Register (or replace) a user's key, with an optional display name stamped on what they send. */
  setUserKey(appId: string, userId: number, key: string, name?: string): Promise<void>;
  getUserKey(appId: string, userId: number): Promise<string | undefined>;
  /** Removes the key and disconnects every connection of that user. */
  removeUserKey(appId: string, userId: number): Promise<void>;

  /** A signed user token: HS256 JWT over the app secret with claims user_id, name, exp. */
  issueToken(
    appId: string,
    claims: { user_id: number; name?: string; ttl_seconds?: number },
  ): Promise<{ token: string; expires: number }>;
  revokeToken(appId: string, token: string): Promise<void>;
  unrevokeToken(appId: string, token: string): Promise<void>;
  isTokenRevoked(appId: string, token: string): Promise<boolean>;

  /** Personal message on pipe `msg` to every connection of a user; queued while they are offline. */
  sendToUser(appId: string, userId: number, event: string | undefined, data: unknown): Promise<PersonalResult>;
  /** 0 = online now, -1 = unknown, otherwise unix seconds of the last time seen. */
  userTime(appId: string, userId: number): Promise<number>;

  ban(appId: string, spec: BanSpec): Promise<void>;
  unban(appId: string, spec: BanSpec): Promise<void>;

  /** Per-app webhook receiving every published message; null removes it. */
  setWebhook(appId: string, url: string | null): Promise<void>;
  getWebhook(appId: string): Promise<string | null>;
}
