/**
 * Bytes waiting to be written to each connection, and the one way to cut a connection off at once.
 *
 * Socket.IO has no public measure of what a socket still has to send, so this module leans on
 * engine.io (6.x) and keeps that dependency here alone, pinned by test/server/output-meter.test.ts:
 * every packet of a connection passes `packetCreate` (public event of engine.io's Socket), packets
 * leave for the transport in batches (`flush`, which engine.io's Server emits too, with the socket: one
 * listener for every connection), and the transport emits `drain` once a batch was handed to the
 * operating system (for WebSocket: ws's write callback). Between the two a
 * client that does not read makes its batches, and everything queued behind them, stay in our heap.
 * engine.io flushes only to a writable transport, and a transport is writable again at its `drain`, so
 * one batch at most is in flight. An upgrade (polling to WebSocket) is seen at the next packet or batch,
 * when the socket's transport is no longer the one followed. Each event a connection listens to costs
 * (engine.io's event table is a dictionary that doubles past 3 and 5 events, 96–192 B), so only
 * `packetCreate` and `close` are listened to per connection. Listeners are `on`, not `once`: each is called
 * once anyway, and a `once` wrapper costs ~150 bytes per connection.
 */
import type { CometIo, CometSocket } from './types.js';

type EngineSocket = CometSocket['conn'];
type EngineServer = CometIo['engine'];

/** What the meter is told about the packets of engine.io (their data is the encoded Socket.IO packet). */
interface EnginePacket {
  data?: string | ArrayBufferLike | ArrayBufferView;
}

interface Transport {
  on(event: 'drain', listener: (this: object) => void): void;
  off(event: 'drain', listener: (this: object) => void): void;
}

/** What a total asks of whoever keeps the meters (the socket front keeps one per connection, with more in it). */
export interface MeterHooks<M extends OutputMeter> {
  /** The meter of a connection. */
  readonly find: (conn: EngineSocket) => M | undefined;
  /** After every change of a meter's `pending`. */
  changed(meter: M): void;
  /** The meter's connection closed (the meter has let go of it). */
  closed(meter: M): void;
}

/**
 * Node-wide sum of every meter of one engine.io server, kept as meters change. It holds the listeners every
 * meter shares: they find their meter through the hooks, not through a closure or a map entry per connection.
 */
export class OutputTotal<M extends OutputMeter = OutputMeter> {
  bytes = 0;
  readonly onPacketCreate: (this: EngineSocket, packet: EnginePacket) => void;
  readonly onClose: (this: EngineSocket) => void;

  constructor(
    engine: EngineServer,
    readonly hooks: MeterHooks<M>,
  ) {
    const { find } = hooks;
    // Emitters call their listeners with `this` set to themselves.
    this.onPacketCreate = function (packet) {
      find(this)?.created(sizeOf(packet.data));
    };
    this.onClose = function () {
      const meter = find(this);
      if (!meter) return;
      meter.closed();
      hooks.closed(meter);
    };
    // The server's `flush`: (socket, batch).
    engine.on('flush', (socket: EngineSocket) => find(socket)?.flushed());
  }
}

/** Which meter a transport belongs to: its `drain` listener is shared by every meter. */
const meterOfTransport = new WeakMap<object, OutputMeter>();

export class OutputMeter {
  /** Created, not yet flushed to the transport. */
  private queued = 0;
  /** Flushed to the transport, not drained yet. */
  private inFlight = 0;
  /** Since when the meter is over its budget (undefined while within). */
  overSince: number | undefined;
  private transport: Transport | undefined;

  constructor(
    readonly conn: EngineSocket,
    private readonly total: OutputTotal,
  ) {
    conn.on('packetCreate', total.onPacketCreate);
    conn.on('close', total.onClose);
    this.follow();
  }

  /** Bytes handed to this connection and not yet written out to the operating system. */
  get pending(): number {
    return this.queued + this.inFlight;
  }

  created(size: number): void {
    this.followUpgrade();
    this.queued += size;
    this.total.bytes += size;
    this.total.hooks.changed(this);
  }

  flushed(): void {
    this.followUpgrade();
    this.inFlight += this.queued;
    this.queued = 0;
  }

  drained(): void {
    this.total.bytes -= this.inFlight;
    this.inFlight = 0;
    this.total.hooks.changed(this);
  }

  /** A new transport starts with nothing in flight: what the old one held is discarded with it. */
  private followUpgrade(): void {
    if (this.conn.transport === this.transport) return;
    this.total.bytes -= this.inFlight;
    this.inFlight = 0;
    this.follow();
  }

  closed(): void {
    this.transport?.off('drain', onDrain);
    this.total.bytes -= this.queued + this.inFlight;
    this.queued = 0;
    this.inFlight = 0;
  }

  private follow(): void {
    this.transport?.off('drain', onDrain);
    this.transport = this.conn.transport;
    meterOfTransport.set(this.transport, this);
    this.transport.on('drain', onDrain);
  }
}

function onDrain(this: object): void {
  meterOfTransport.get(this)?.drained();
}

/**
 * Closes a connection now, dropping whatever waits to be written: engine.io's `close()` would first
 * wait for its buffer to drain, which a client that does not read never lets happen.
 */
export function cutOff(conn: EngineSocket): void {
  const websocket = conn.transport.name === 'websocket';
  conn.close(true);
  // Under WebSocket the first request's socket is the connection itself; ws would otherwise keep it
  // (and what it buffered) until the closing handshake times out. Under polling that socket is a
  // keep-alive HTTP connection that may carry other clients' requests (from a proxy): left alone.
  if (websocket) conn.request.socket.destroy();
}

function sizeOf(data: EnginePacket['data']): number {
  if (data === undefined) return 0;
  return typeof data === 'string' ? data.length : data.byteLength;
}
