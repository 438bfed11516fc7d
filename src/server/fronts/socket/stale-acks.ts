/**
 * The one place that reads Socket.IO's private state, for what its public API leaves behind.
 *
 * A receipt-mode broadcast from another node reaches this node's sockets through the Redis adapter,
 * which hands each receiving socket an ack id (`socket.acks`) and never drops it: a client that never
 * answers would grow the server's memory with every message. (Socket.IO drops the ids of this node's
 * own broadcasts when their timeout passes.) Every receipt report has timed out by the next sweep, so
 * the ids handed out before the previous sweep are dropped.
 *
 * Written against socket.io 4.8.4 and @socket.io/redis-adapter 8.3.0; test/server/socket-io-internals.test.ts
 * pins the behaviour this relies on.
 */
import type { Namespace } from 'socket.io';

/** What the sweep reads: the namespace's ack id counter and each socket's pending acks. */
interface AckInternals {
  _ids: number;
  sockets: Map<string, { acks: Map<number, unknown> }>;
}

export class StaleAckSweep {
  private readonly timer: NodeJS.Timeout;
  private sweptBelow = 0;

  /** `everyMs` must be longer than the longest receipt timeout. */
  constructor(
    private readonly nsp: Namespace,
    everyMs: number,
  ) {
    this.timer = setInterval(() => this.sweep(), everyMs).unref();
  }

  /** Drops every pending ack id handed out before the previous sweep. */
  sweep(): void {
    const nsp = this.nsp as unknown as AckInternals;
    const below = this.sweptBelow;
    this.sweptBelow = nsp._ids;
    for (const socket of nsp.sockets.values()) {
      // Ids grow with insertion order, so the stale ones come first.
      for (const id of socket.acks.keys()) {
        if (id >= below) break;
        socket.acks.delete(id);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
