/**
 * The socket front: browser connections over Socket.IO. It checks each payload against its schema,
 * calls the core, and answers through the ack. Around that it keeps connections within the limit
 * model (core/limits.ts): addresses are admitted before a WebSocket is accepted, requests are
 * refused while too much waits to be written to the connection, and connections that keep hitting
 * limits, or stop reading, are closed.
 */
import type { z } from 'zod';
import { MAX_PIPES_PER_CONNECTION } from '../../../protocol/limits.js';
import { clientEventSchemas, describeIssues, handshakeAuthSchema } from '../../../protocol/schemas.js';
import type { AuthInfo, ClientEventName, ClosingNotice, ErrorCode } from '../../../protocol/wire.js';
import type { Credentials } from '../../core/user-auth.js';
import type { Connection } from '../../core/connection.js';
import type { Core } from '../../core/core.js';
import { CoreError } from '../../core/errors.js';
import type { Metrics } from '../../metrics.js';
import { clientAddress, DEFAULT_TRUSTED_PROXIES } from '../address.js';
import { AddressGuard } from './address-guard.js';
import { SocketFanout, type SocketFanoutOptions } from './socket-fanout.js';
import { cutOff, OutputMeter, OutputTotal } from './output-meter.js';
import { TokenBucket } from '../../core/rate-limit.js';
import { appRoom, userRoom } from './rooms.js';
import { carryAuthInConnect } from './connect-auth.js';
import type { CometIo, CometSocket, SocketData } from './types.js';

/** Refusals that mean "you are asking too much": enough of them close the connection. */
const LIMIT_ERRORS: ReadonlySet<string> = new Set<ErrorCode>(['rate_limited', 'backpressure']);
/** Requests that only read: their answer may be replaced by a refusal without leaving anything half done. */
const READS: ReadonlySet<ClientEventName> = new Set<ClientEventName>(['history', 'presence', 'reactors', 'readers']);
/** How often connections over their output budget, and the node's total, are looked at. */
const OUTPUT_SWEEP_MS = 1000;
/** A connection is cut off at once when this many times its output budget waits for it. */
const OUTPUT_HARD_FACTOR = 4;
/** CONNECT packets one engine.io connection may send: a client sends one, and one again after a refusal it retries. */
const CONNECT_ATTEMPTS = { burst: 5, perSecond: 0.1 };
/** How often the store's availability is looked at. */
const AVAILABILITY_POLL_MS = 500;

export interface SocketFrontOptions extends SocketFanoutOptions {
  /** Where handler faults are reported; default console.error. */
  log?: (message: string, err: unknown) => void;
  /** Peers whose X-Forwarded-For names the client; default loopback (a proxy on this host). */
  trustedProxies?: readonly string[];
  /** Can the node serve requests now (its store reachable)? Default: always. */
  available?: () => boolean;
}

type Reply = (res: object) => void;

/** What each request does once its payload has passed its schema. */
const REQUESTS: {
  [E in ClientEventName]: (
    core: Core,
    conn: Connection,
    req: z.infer<(typeof clientEventSchemas)[E]>,
  ) => Promise<object>;
} = {
  subscribe: (core, conn, req) => core.connSubscribe(conn, req.pipes),
  unsubscribe: (core, conn, req) => core.connUnsubscribe(conn, req.pipes),
  publish: (core, conn, req) => core.connPublish(conn, req),
  history: async (core, conn, req) => {
    const page = await core.connHistory(conn, req);
    return page.more ? { error: '', messages: page.messages, more: true } : { error: '', messages: page.messages };
  },
  presence: async (core, conn, req) => ({ error: '', ...(await core.presence(conn.appId, req.pipe)) }),
  typing: (core, conn, req) => core.connTyping(conn, req.pipe, req.name),
  edit: async (core, conn, req) => ({
    error: '',
    ...(await core.messages.edit(conn.appId, req.pipe, req.marker, req.data, conn)),
  }),
  delete: async (core, conn, req) => {
    await core.messages.remove(conn, req.pipe, req.marker);
    return { error: '' };
  },
  react: async (core, conn, req) => ({ error: '', ...(await core.messages.react(conn, req)) }),
  reactors: async (core, conn, req) => ({
    error: '',
    ...(await core.connAnswer(conn, () => core.messages.reactors(conn.appId, req.pipe, req.marker))),
  }),
  read: async (core, conn, req) => {
    await core.messages.read(conn, req.pipe, req.marker);
    return { error: '' };
  },
  readers: async (core, conn, req) => ({
    error: '',
    readers: await core.connAnswer(conn, () => core.messages.readers(conn.appId, req.pipe)),
  }),
};
/**
 * Requests that write into a pipe or are told to its subscribers: they take from the connection's publish
 * bucket, the rest from its request bucket.
 */
const WRITES: ReadonlySet<ClientEventName> = new Set<ClientEventName>(['publish', 'edit', 'delete', 'react', 'read']);
/** Fields a refusal carries besides the error, per request kind. */
const FAILURE_EXTRA: Partial<Record<ClientEventName, object>> = { publish: { number_messages: 0 } };
type EngineConn = CometSocket['conn'];

/** What the front keeps about one engine.io connection: its output meter, and what else it needs. One object per connection. */
class Link extends OutputMeter {
  /** CONNECT attempts over this connection: none yet, the first (all most clients make), then a bucket. */
  connects: undefined | true | TokenBucket = undefined;
  /** The Socket.IO socket it carries, once connected. */
  socket: CometSocket | undefined = undefined;
  /** The core's record of that socket's connection. */
  connection: Connection | undefined = undefined;
  /** Being closed on purpose. */
  closing = false;

  constructor(
    raw: EngineConn,
    total: OutputTotal<Link>,
    readonly address: string,
  ) {
    super(raw, total);
  }
}

export interface SocketFront {
  /**
   * Shutting down: asks every client of this node to reconnect elsewhere (`goaway`), each at a random
   * moment within `withinMs`; clients that connect meanwhile are asked at once. Resolves with how many
   * are still here when they have all gone or `deadlineMs` has passed.
   */
  drain(withinMs: number, deadlineMs: number): Promise<number>;
  /**
   * Resolves once no request is being handled and no disconnect is being cleaned up. Their cross-node
   * queries need the adapter: wait for this before io.close() closes it, or they wait for their timeout.
   */
  idle(): Promise<void>;
  /**
   * Stops background work and resolves once every request under way is answered and every disconnect's
   * cleanup (track notices, last-seen) has finished: call after io.close(), before closing the store.
   */
  settle(): Promise<void>;
}

/** Wires the core to a Socket.IO server: plugs the fanout into the core and handles every connection. */
export function attachSocketFront(
  io: CometIo,
  core: Core,
  metrics: Metrics,
  options: SocketFrontOptions = {},
): SocketFront {
  const log = options.log ?? ((message: string, err: unknown) => console.error(`[socket] ${message}`, err));
  const { limits } = core;
  const fanout = new SocketFanout(io, options);
  core.attach(fanout);
  /** Sockets past the handshake, until their `connection`: their record, and AuthInfo (whether their CONNECT packet carries it). */
  const pending = new Map<string, { conn: Connection; auth: AuthInfo; inConnect: boolean }>();
  carryAuthInConnect(io, (id) => {
    const entry = pending.get(id);
    return entry?.inConnect ? entry.auth : undefined;
  });
  /** Guests' `socket.data`, one per app and batch choice: every guest of an app would otherwise hold an equal copy. */
  const guestData = new Map<string, SocketData>();
  const socketData = (conn: Connection, batch: boolean): SocketData => {
    const data: SocketData = {
      appId: conn.appId,
      user_id: conn.user_id,
      ...(conn.user_name === undefined ? {} : { user_name: conn.user_name }),
      ...(batch ? { batch: true } : {}),
    };
    if (conn.user_id !== 0 || conn.user_name !== undefined) return data;
    const key = `${conn.appId}\u0000${batch}`;
    let shared = guestData.get(key);
    if (!shared) guestData.set(key, (shared = Object.freeze(data)));
    return shared;
  };
  /** Requests being handled and disconnects being cleaned up: settle() waits for both before the store closes. */
  const work = new Set<Promise<void>>();
  const track = (job: Promise<void>): void => {
    const tracked = job.finally(() => work.delete(tracked));
    work.add(tracked);
  };
  /** Set while draining: called whenever a client of this node leaves. */
  let onLeave: (() => void) | undefined;
  const trusted = options.trustedProxies ?? DEFAULT_TRUSTED_PROXIES;
  const addresses = new AddressGuard(limits, core.now);
  /** Every engine.io connection of this node: what is counted and metered is the connection, whatever it carries. */
  const links = new Map<EngineConn, Link>();
  const output = new OutputTotal<Link>(io.engine, {
    find: (raw) => links.get(raw),
    changed: onMeterChange,
    closed(link) {
      links.delete(link.conn);
      addresses.closed(link.address);
    },
  });
  const available = options.available ?? (() => true);
  let availableNow = available();

  // Before the WebSocket is accepted: a refused address costs one HTTP answer.
  io.engine.opts.allowRequest = (req, callback) => {
    const refusal = addresses.admit(clientAddress(req, trusted));
    if (!refusal) return callback(null, true);
    metrics.error(`address_${refusal.reason}`);
    callback(`too many connections from your address; retry in ${Math.ceil(refusal.retryAfterMs / 1000)} s`, false);
  };

  /**
   * Ends a connection. One that kept hitting limits is told why and when its address may come back,
   * and the address is refused meanwhile. One that does not read is cut off at once, dropping what
   * waits for it; any other is disconnected the usual way.
   */
  const close = (raw: EngineConn, link: Link, reason: ClosingNotice['reason']): void => {
    const first = !link.closing;
    link.closing = true;
    if (first) metrics.error(reason);
    if (first && reason === 'flood') {
      const retryAfterMs = addresses.penalize(link.address);
      link.socket?.emit('closing', { reason, retry_after_ms: retryAfterMs });
    }
    if (reason !== 'flood' || link.pending > limits.outputBytes || !link.socket) cutOff(raw);
    else if (first) link.socket.disconnect(true);
  };

  /** Connections too long over their output budget, or the node over its total, are closed (biggest first). */
  const sweepOutput = (): void => {
    const now = core.now();
    for (const [raw, link] of links) {
      if (link.overSince !== undefined && now - link.overSince >= limits.slowConsumerMs)
        close(raw, link, 'slow_consumer');
    }
    if (output.bytes <= limits.totalOutputBytes) return;
    const biggest = [...links].sort(([, a], [, b]) => b.pending - a.pending);
    for (const [raw, link] of biggest) {
      if (output.bytes <= limits.totalOutputBytes || link.pending === 0) break;
      close(raw, link, 'slow_consumer');
    }
  };
  const sweeper = setInterval(sweepOutput, OUTPUT_SWEEP_MS).unref();
  metrics.watchOutput(() => ({
    pendingBytes: output.bytes,
    slowConnections: [...links.values()].filter((link) => link.overSince !== undefined).length,
    addresses: addresses.size,
  }));

  /** Every meter's change: one function for all of them, not one per connection. */
  function onMeterChange(link: Link): void {
    if (link.pending <= limits.outputBytes) link.overSince = undefined;
    else {
      link.overSince ??= core.now();
      if (link.pending > limits.outputBytes * OUTPUT_HARD_FACTOR && !link.closing)
        setImmediate(() => close(link.conn, link, 'slow_consumer'));
    }
  }
  /**
   * The chat speaks JSON. A binary frame would be an attachment Socket.IO's decoder holds until its
   * packet is whole (up to ten frames of maxHttpBufferSize): the connection ends before it is decoded.
   */
  function onRawPacket(this: EngineConn, packet: { type: string; data?: unknown }): void {
    if (packet.type !== 'message' || typeof packet.data === 'string') return;
    const link = links.get(this);
    if (!link || link.closing) return;
    link.closing = true;
    metrics.error('binary_frame');
    cutOff(this);
  }

  // Counted per engine.io connection, Socket.IO CONNECT or not, so idle raw connections count too.
  io.engine.on('connection', (raw: EngineConn) => {
    const address = clientAddress(raw.request, trusted);
    addresses.opened(address);
    links.set(raw, new Link(raw, output, address));
    raw.on('packet', onRawPacket);
  });

  const watcher = setInterval(() => {
    const now = available();
    if (now === availableNow) return;
    availableNow = now;
    // Each node watches its own store connection: tell only this node's clients.
    io.local.emit('availability', now ? { available: true } : { available: false, reason: 'store_unavailable' });
  }, AVAILABILITY_POLL_MS).unref();

  /** One request of a connection: limits, schema, the core, and the answer through the ack. */
  const request = (
    raw: EngineConn,
    conn: Connection,
    link: Link,
    event: ClientEventName,
    payload: unknown,
    ack: unknown,
  ): void => {
    const reply: Reply = (res) => {
      const error = (res as { error?: string }).error;
      if (error !== undefined && LIMIT_ERRORS.has(error) && core.strike(conn)) return close(raw, link, 'flood');
      if (typeof ack !== 'function') return;
      // Encoding the answer can throw (e.g. stored data the encoder cannot take): report it, never crash.
      try {
        (ack as Reply)(res);
      } catch (err) {
        metrics.error('internal');
        log(`${event} answer failed`, err);
      }
    };
    const fail = (error: ErrorCode, message: string): void => {
      metrics.error(error);
      reply({ ...FAILURE_EXTRA[event], error, message });
    };
    const backlog = (): string | undefined =>
      link.pending > limits.outputBytes
        ? `${link.pending} bytes are still waiting to be sent to this connection; read them first`
        : undefined;
    /** A read's answer is looked at again when ready: one computed meanwhile must not pile onto a backlog. */
    const answer = (res: object): void => {
      const over = READS.has(event) ? backlog() : undefined;
      if (over !== undefined) fail('backpressure', over);
      else reply(res);
    };
    const writes = WRITES.has(event);
    if (!core.admitRequest(conn, writes)) {
      return fail('rate_limited', writes ? 'too many messages; slow down' : 'too many requests; slow down');
    }
    const over = backlog();
    if (over !== undefined) return fail('backpressure', over);
    if (event === 'subscribe' && tooManyTargets(payload)) {
      return fail('too_many_pipes', `at most ${MAX_PIPES_PER_CONNECTION} subscriptions per connection`);
    }
    // Payloads are untrusted whatever the typed events say: take them as unknown and validate.
    const parsed = clientEventSchemas[event].safeParse(payload);
    if (!parsed.success) return fail('invalid', describeIssues(parsed.error));
    const run = REQUESTS[event] as (core: Core, conn: Connection, req: unknown) => Promise<object>;
    // Publishes under way per connection decide whether its messages may wait for company (socket-fanout.ts).
    const publish = event === 'publish';
    if (publish) fanout.publishing(conn.id, 1);
    const answered = run(core, conn, parsed.data).then(answer, (err: unknown) => {
      if (err instanceof CoreError) return fail(err.code, err.message);
      log(`${event} failed`, err);
      fail('internal', 'internal error');
    });
    track(publish ? answered.finally(() => fanout.publishing(conn.id, -1)) : answered);
  };

  /** CONNECT packets at a client's pace: a bucket is made only for a connection that sends a second one. */
  const mayConnect = (link: Link): boolean => {
    if (link.connects === undefined) return (link.connects = true);
    if (link.connects === true) {
      link.connects = new TokenBucket(CONNECT_ATTEMPTS.burst, CONNECT_ATTEMPTS.perSecond, core.now());
      link.connects.take(core.now());
    }
    return link.connects.take(core.now());
  };

  io.use((socket, next) => {
    const link = links.get(socket.conn);
    // One Socket.IO socket per connection, and CONNECT packets at a client's pace, not a flood's.
    if (!link || link.socket || !mayConnect(link)) {
      metrics.error('connect_refused');
      next(new Error('one socket per connection'));
      if (link && !link.socket) cutOff(socket.conn);
      return;
    }
    const { devId, creds, batch, authInConnect } = readHandshake(socket.handshake.auth);
    core.openConnection(socket.id, devId, creds, socket.handshake.headers.origin).then(
      (opened) => {
        if (!opened.ok) {
          metrics.error(opened.reason);
          const refusal = new Error(opened.reason) as Error & { data?: unknown };
          refusal.data = { reason: opened.reason };
          next(refusal);
          return;
        }
        const { conn, auth } = opened;
        if (socket.conn.readyState !== 'open') {
          // The client left while we looked it up.
          void core.connectionClosed(conn);
          return;
        }
        socket.data = socketData(conn, batch === true);
        pending.set(socket.id, { conn, auth, inConnect: authInConnect === true });
        next();
      },
      (err: unknown) => {
        // The store could not be asked (it is down): a refusal the client retries, not a fault.
        const reason = err instanceof CoreError && err.code === 'unavailable' ? 'unavailable' : 'internal';
        metrics.error(reason);
        if (reason === 'internal') log('handshake failed', err);
        const refusal = new Error(reason) as Error & { data?: unknown };
        refusal.data = { reason };
        next(refusal);
      },
    );
  });

  /**
   * Every request of every socket: one listener for every request kind. Packets decoded before a disconnect
   * still reach it (socket.io hands them over a tick later): ignored, as socket.io's own event listeners ignore them.
   */
  function onRequest(this: CometSocket, event: unknown, payload: unknown, ack?: unknown): void {
    const link = links.get(this.conn);
    if (!this.connected || !link?.connection || typeof event !== 'string' || !Object.hasOwn(REQUESTS, event)) return;
    request(this.conn, link.connection, link, event as ClientEventName, payload, ack);
  }

  /** The core's record of a connection that ended: its cleanup (track notices, last-seen) is waited for by settle(). */
  const connectionEnded = (conn: Connection): void => {
    track(
      core.connectionClosed(conn).catch((err: unknown) => {
        metrics.error('internal');
        if (!(err instanceof CoreError && err.code === 'unavailable')) log('disconnect cleanup failed', err);
      }),
    );
  };

  /**
   * A socket's end, seen on the adapter (its events are public API): as a socket disconnects, socket.io makes
   * it leave every room, its own first. One listener for every socket instead of a `disconnect` listener on
   * each (socket.io keeps each event's listeners in an array with room for 17, ~150 B).
   */
  io.of('/').adapter.on('leave-room', (room: string, id: string) => {
    if (room !== id) return;
    const socket = io.of('/').sockets.get(id);
    const link = socket && links.get(socket.conn);
    if (!link || link.socket !== socket || !link.connection) return;
    const conn = link.connection;
    link.socket = undefined;
    link.connection = undefined;
    // Once the socket has left its other rooms and the namespace: member counts and the drain's count are right then.
    queueMicrotask(() => {
      onLeave?.();
      connectionEnded(conn);
    });
  });

  io.on('connection', (socket: CometSocket) => {
    const entry = pending.get(socket.id);
    pending.delete(socket.id);
    if (!entry) {
      socket.disconnect(true);
      return;
    }
    const { conn, auth, inConnect } = entry;
    const link = links.get(socket.conn);
    if (!link || link.socket) {
      // The engine connection closed while the CONNECT was looked up, or another CONNECT sent with this one
      // (both looked up at once) got its socket first: only the link's socket has its end seen, so this
      // one's record is closed here, and a client sending CONNECTs on top of each other is cut off.
      socket.disconnect(true);
      connectionEnded(conn);
      return;
    }
    link.socket = socket;
    link.connection = conn;
    const { roomNames } = fanout;
    void socket.join(
      conn.user_id > 0
        ? [roomNames.of(appRoom(conn.appId)), roomNames.of(userRoom(conn.appId, conn.user_id))]
        : roomNames.of(appRoom(conn.appId)),
    );
    // A listener shared by every socket (socket.io calls it with the socket as `this`): a closure each, and
    // the context it would hold, is paid 18,000 times on a busy node.
    socket.onAny(onRequest);

    // Its CONNECT packet carried the AuthInfo already when the client asked for that.
    if (!inConnect) socket.emit('auth', auth);
    if (onLeave) socket.emit('goaway', { within: 0 });
    if (!availableNow) socket.emit('availability', { available: false, reason: 'store_unavailable' });
    core.connectionReady(conn)?.catch((err: unknown) => {
      metrics.error('internal');
      if (!(err instanceof CoreError && err.code === 'unavailable')) log('connect setup failed', err);
    });
  });

  return {
    drain(withinMs, deadlineMs) {
      const local = io.of('/').sockets;
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          resolve(local.size);
        };
        const timer = setTimeout(done, deadlineMs);
        // A socket leaves this map before its `disconnect` event.
        onLeave = () => local.size === 0 && done();
        // This node's clients only: with the Redis adapter, io.emit would reach every node's.
        io.local.emit('goaway', { within: Math.max(0, Math.round(withinMs)) });
        if (local.size === 0) done();
      });
    },
    async idle() {
      while (work.size > 0) await Promise.allSettled([...work]);
    },
    async settle() {
      clearInterval(sweeper);
      clearInterval(watcher);
      fanout.close();
      await this.idle();
    },
  };
}

/**
 * The handshake through its schema. Malformed credentials do not refuse the connection (it becomes
 * anonymous with the reason); only the dev id must be readable to find the app.
 */
function readHandshake(raw: unknown): {
  devId: string;
  creds: Credentials | 'bad_key' | 'bad_token';
  batch?: boolean;
  authInConnect?: boolean;
} {
  const parsed = handshakeAuthSchema.safeParse(raw);
  if (parsed.success) {
    const { dev_id, batch, auth_in_connect, ...creds } = parsed.data;
    return { devId: String(dev_id), creds, batch, authInConnect: auth_in_connect };
  }
  const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const devId = handshakeAuthSchema.shape.dev_id.safeParse(fields.dev_id);
  return {
    devId: devId.success ? String(devId.data) : '',
    creds: fields.token !== undefined ? 'bad_token' : 'bad_key',
    batch: fields.batch === true,
    authInConnect: fields.auth_in_connect === true,
  };
}

function tooManyTargets(payload: unknown): boolean {
  const pipes = (payload as { pipes?: unknown } | null)?.pipes;
  return Array.isArray(pipes) && pipes.length > MAX_PIPES_PER_CONNECTION;
}
