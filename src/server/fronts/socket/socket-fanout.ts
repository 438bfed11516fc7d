/**
 * The core's Fanout port over Socket.IO rooms. Broadcasts go through the namespace adapter, so with
 * the Redis adapter they reach, and count, the subscribers of every node.
 */
import { BATCH_MAX_MESSAGES } from '../../../protocol/limits.js';
import type { Subscription } from '../../../protocol/names.js';
import type {
  DeleteNotice,
  EditNotice,
  EpochNotice,
  IncomingMessage,
  ReactionNotice,
  ReadNotice,
  TypingNotice,
} from '../../../protocol/wire.js';
import { appPipeKey } from '../../core/app-pipe.js';
import type { Fanout, Member, SettingsChange } from '../../core/fanout-port.js';
import { Coalescer } from './coalesce.js';
import {
  appRoom,
  batchingRoom,
  eventRoom,
  isSubscriptionRoomOf,
  memberRoom,
  pipeRoom,
  RoomNames,
  userRoom,
} from './rooms.js';
import { StaleAckSweep } from './stale-acks.js';
import type { CometIo } from './types.js';

/** Between nodes: "how many of your sockets are in these rooms, these excepted?" */
const COUNT_EVENT = 'comet:count';
/** Between nodes: "drop your cached copy of this setting". */
const SETTINGS_EVENT = 'comet:settings';
/** A pipe that sent less than this long ago is busy: its next messages wait this long for company. */
export const DEFAULT_COALESCE_MS = 20;

/** A message waiting in a busy pipe, and whom to tell how many it reached. */
interface Delivery {
  appId: string;
  msg: IncomingMessage;
  except: string | undefined;
  resolve: (count: number) => void;
}

export interface SocketFanoutOptions {
  /** How long a report waits for receipts (receipt mode) or for other nodes' counts. Default 3000 ms. */
  ackTimeoutMs?: number;
  /** True when the adapter spans several nodes (Redis): counts must then be collected from every node. */
  clustered?: boolean;
  /** A busy pipe's messages wait this long to leave together (0: never). Default DEFAULT_COALESCE_MS. */
  coalesceMs?: number;
}

/**
 * A `message` broadcast that waits for acks. The wire types declare its ack optional (it is sent only in
 * receipt mode), which Socket.IO's types cannot turn into the many-answers callback of a timed broadcast.
 */
interface ReceiptBroadcast {
  emit(event: 'message', msg: IncomingMessage, done: (err: Error | null, answers: unknown[]) => void): boolean;
}

export class SocketFanout implements Fanout {
  private readonly ackTimeoutMs: number;
  private readonly clustered: boolean;
  private readonly sweeper: NodeJS.Timeout;
  /** Other nodes' receipt broadcasts leave ack ids behind on this node's sockets (see stale-acks.ts). */
  private readonly staleAcks: StaleAckSweep | undefined;
  private settingsListener: ((change: SettingsChange) => void) | undefined;
  private readonly coalescer: Coalescer<Delivery> | undefined;
  /** Publishes received from each connection and not answered yet: an entry only while there are some. */
  private readonly underWay = new Map<string, number>();
  /** Names of the rooms sockets join, one copy each. */
  readonly roomNames: RoomNames;

  constructor(
    private readonly io: CometIo,
    options: SocketFanoutOptions = {},
  ) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    this.roomNames = new RoomNames(io.of('/').adapter);
    this.clustered = options.clustered ?? false;
    // Answer the other nodes' count queries (see addRemoteCounts).
    io.on(COUNT_EVENT, (query, reply) => reply(this.localCount(new Set(query.rooms), new Set(query.except))));
    io.on(SETTINGS_EVENT, (change) => this.settingsListener?.(change));
    const coalesceMs = options.coalesceMs ?? DEFAULT_COALESCE_MS;
    this.coalescer =
      coalesceMs > 0
        ? new Coalescer({ windowMs: coalesceMs, maxItems: BATCH_MAX_MESSAGES, send: (items) => this.sendGroup(items) })
        : undefined;
    const sweepMs = Math.max(2 * this.ackTimeoutMs, 1000);
    this.sweeper = setInterval(() => this.coalescer?.sweep(), sweepMs).unref();
    this.staleAcks = this.clustered ? new StaleAckSweep(io.of('/'), sweepMs) : undefined;
  }

  close(): void {
    this.coalescer?.flushAll();
    clearInterval(this.sweeper);
    this.staleAcks?.close();
  }

  private socket(connId: string) {
    return this.io.of('/').sockets.get(connId);
  }

  join(connId: string, appId: string, sub: Subscription): void {
    const socket = this.socket(connId);
    if (!socket) return;
    void socket.join([
      this.roomNames.of(roomOf(appId, sub, socket.data.batch === true)),
      this.roomNames.of(memberRoom(appId, sub.pipe)),
    ]);
  }

  leave(connId: string, appId: string, sub: Subscription): void {
    const socket = this.socket(connId);
    if (!socket) return;
    void socket.leave(roomOf(appId, sub, socket.data.batch === true));
    const stillIn = [...socket.rooms].some((room) => isSubscriptionRoomOf(room, appId, sub.pipe));
    if (!stillIn) void socket.leave(memberRoom(appId, sub.pipe));
  }

  deliver(appId: string, msg: IncomingMessage, exceptConnId: string | undefined, receipts: boolean): Promise<number> {
    const { pipe, event } = msg.server_info;
    // Receipts are counted per message, so such messages never wait for company; what waits goes first.
    if (receipts || !this.coalescer) {
      this.coalescer?.flush(appPipeKey(appId, pipe));
      return this.broadcastCounting(subscriberRooms(appId, pipe, event), exceptConnId, msg, receipts);
    }
    const coalescer = this.coalescer;
    // A connection with other publishes under way is not waiting for this report (a backend without one may be).
    const sender =
      exceptConnId === undefined ? '' : (this.underWay.get(exceptConnId) ?? 0) > 1 ? undefined : exceptConnId;
    return new Promise((resolve) =>
      coalescer.add(appPipeKey(appId, pipe), event, sender, { appId, msg, except: exceptConnId, resolve }),
    );
  }

  /** A connection's publish was received (+1) or answered (-1): see deliver. */
  publishing(connId: string, change: 1 | -1): void {
    const n = (this.underWay.get(connId) ?? 0) + change;
    if (n > 0) this.underWay.set(connId, n);
    else this.underWay.delete(connId);
  }

  /** A busy pipe's group of messages (one pipe, one event, in order), or one message alone. */
  private sendGroup(items: Delivery[]): void {
    const [first] = items;
    if (items.length === 1) {
      const { pipe, event } = first.msg.server_info;
      void this.broadcastCounting(subscriberRooms(first.appId, pipe, event), first.except, first.msg, false).then(
        first.resolve,
      );
      return;
    }
    const { appId } = first;
    const { pipe, event } = first.msg.server_info;
    const single = [pipeRoom(appId, pipe), eventRoom(appId, pipe, event)];
    const batching = single.map(batchingRoom);
    const senders = new Set(items.flatMap((item) => (item.except === undefined ? [] : [item.except])));
    const rooms = this.io.of('/').adapter.rooms;
    // Clients that take messages one by one get them so (on other nodes there may be some).
    if (this.clustered || single.some((room) => (rooms.get(room)?.size ?? 0) > 0)) {
      for (const item of items) {
        const to = this.io.to(single);
        (item.except === undefined ? to : to.except(item.except)).emit('message', item.msg);
      }
    }
    // The others get the group in one frame, its senders excepted...
    this.io
      .to(batching)
      .except([...senders])
      .emit('batch', { messages: items.map((item) => item.msg) });
    // ...who get it without their own messages.
    for (const id of senders) {
      const socket = this.socket(id);
      if (!socket || !batching.some((room) => socket.rooms.has(room))) continue;
      const theirs = items.filter((item) => item.except !== id).map((item) => item.msg);
      if (theirs.length === 1) socket.emit('message', theirs[0]);
      else if (theirs.length > 1) socket.emit('batch', { messages: theirs });
    }
    // Each message reached everyone in the rooms but its sender: one count for the group.
    const all = new Set([...single, ...batching]);
    const here = this.localIds(all);
    const report = (remote: number): void => {
      for (const item of items) {
        item.resolve(here.size + remote - (item.except !== undefined && here.has(item.except) ? 1 : 0));
      }
    };
    if (!this.clustered) return report(0);
    this.io
      .of('/')
      .serverSideEmit(COUNT_EVENT, { rooms: [...all], except: [] }, (_err: Error | null, counts: number[]) =>
        report((counts ?? []).reduce((sum, n) => sum + n, 0)),
      );
  }

  deliverToUser(appId: string, userId: number, msg: IncomingMessage): Promise<number> {
    return this.broadcastCounting(new Set([userRoom(appId, userId)]), undefined, msg, false);
  }

  /**
   * One `message` packet to the union of `rooms` (each socket once), counted across nodes: how many
   * sockets it was handed to, or in receipt mode how many clients acknowledged it within the timeout.
   */
  private broadcastCounting(
    rooms: Set<string>,
    exceptConnId: string | undefined,
    msg: IncomingMessage,
    receipts: boolean,
  ): Promise<number> {
    const except = exceptConnId === undefined ? [] : [exceptConnId];
    const target = this.io.to([...rooms]).except(except);
    if (receipts) {
      // Socket.IO gathers the acks of every node and, on timeout, passes on those that came.
      const withReceipts = target.timeout(this.ackTimeoutMs) as unknown as ReceiptBroadcast;
      return new Promise((resolve) => withReceipts.emit('message', msg, (_err, answers) => resolve(answers.length)));
    }
    // Without an ack the clients owe no answer (one would cost a Redis message per remote delivery).
    target.emit('message', msg);
    const local = this.localCount(rooms, new Set(except));
    return this.clustered ? this.addRemoteCounts(local, rooms, except) : Promise.resolve(local);
  }

  /**
   * Asks every other node how many of its sockets the broadcast reached. The query leaves after the
   * broadcast on the same Redis connection, so each node counts right after handing it out.
   */
  private async addRemoteCounts(local: number, rooms: Set<string>, except: string[]): Promise<number> {
    const remote = await new Promise<number[]>((resolve) => {
      // On timeout the adapter passes on the answers it has.
      this.io.serverSideEmit(COUNT_EVENT, { rooms: [...rooms], except }, (_err: Error | null, counts: number[]) =>
        resolve(counts ?? []),
      );
    });
    return remote.reduce((sum, n) => sum + n, local);
  }

  /** Distinct sockets of this node in any of the rooms, minus the excepted ones. */
  private localCount(rooms: Set<string>, except: Set<string>): number {
    const ids = this.localIds(rooms);
    for (const id of except) ids.delete(id);
    return ids.size;
  }

  private localIds(rooms: Set<string>): Set<string> {
    const ids = new Set<string>();
    for (const room of rooms) for (const id of this.io.of('/').adapter.rooms.get(room) ?? []) ids.add(id);
    return ids;
  }

  notifyDelete(appId: string, notice: DeleteNotice): void {
    // After the messages still waiting, one of which may be the one deleted.
    this.coalescer?.flush(appPipeKey(appId, notice.pipe));
    this.io.to(memberRoom(appId, notice.pipe)).emit('delete', notice);
  }

  notifyEdit(appId: string, notice: EditNotice, event: string): void {
    // After the messages still waiting, one of which may be the one edited.
    this.coalescer?.flush(appPipeKey(appId, notice.pipe));
    this.io.to([...subscriberRooms(appId, notice.pipe, event)]).emit('edit', notice);
  }

  notifyReaction(appId: string, notice: ReactionNotice, event: string): void {
    this.coalescer?.flush(appPipeKey(appId, notice.pipe));
    this.io.to([...subscriberRooms(appId, notice.pipe, event)]).emit('reaction', notice);
  }

  notifyRead(appId: string, notice: ReadNotice): void {
    this.coalescer?.flush(appPipeKey(appId, notice.pipe));
    this.io.to(memberRoom(appId, notice.pipe)).emit('read', notice);
  }

  notifyEpoch(appId: string, notice: EpochNotice): void {
    this.io.to(appRoom(appId)).emit('epoch', notice);
  }

  notifyTyping(appId: string, notice: TypingNotice, exceptConnId: string): void {
    this.io.to(memberRoom(appId, notice.pipe)).except(exceptConnId).volatile.emit('typing', notice);
  }

  async members(appId: string, pipe: string): Promise<Member[]> {
    const sockets = await this.io.in(memberRoom(appId, pipe)).fetchSockets();
    return sockets.map((s) => ({ connId: s.id, ...s.data }));
  }

  async userConnections(appId: string, userId: number): Promise<number> {
    return (await this.io.in(userRoom(appId, userId)).fetchSockets()).length;
  }

  localMemberCount(appId: string, pipe: string): number {
    return this.io.of('/').adapter.rooms.get(memberRoom(appId, pipe))?.size ?? 0;
  }

  disconnectUser(appId: string, userId: number): void {
    this.io.in(userRoom(appId, userId)).disconnectSockets(true);
  }

  shareSettingsChange(change: SettingsChange): void {
    if (this.clustered) this.io.serverSideEmit(SETTINGS_EVENT, change);
  }

  onSettingsChange(listener: (change: SettingsChange) => void): void {
    this.settingsListener = listener;
  }
}

/** The room a subscription joins: its batching twin for clients that take `batch` events. */
function roomOf(appId: string, sub: Subscription, batching: boolean): string {
  const room = sub.event === undefined ? pipeRoom(appId, sub.pipe) : eventRoom(appId, sub.pipe, sub.event);
  return batching ? batchingRoom(room) : room;
}

/** Every room whose sockets want a message of `pipe` and `event`. */
function subscriberRooms(appId: string, pipe: string, event: string): Set<string> {
  const rooms = [pipeRoom(appId, pipe), eventRoom(appId, pipe, event)];
  return new Set([...rooms, ...rooms.map(batchingRoom)]);
}
