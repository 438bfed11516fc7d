/**
 * The socket front: browser connections over Socket.IO. It checks each payload against its schema,
 * calls the core, and answers through the ack. It holds no rules of its own beyond a flood guard.
 */
import type { z } from 'zod';
import { MAX_PIPES_PER_CONNECTION } from '../../../protocol/limits.js';
import { clientEventSchemas, describeIssues, handshakeAuthSchema } from '../../../protocol/schemas.js';
import type { AuthInfo, ClientEventName, ErrorCode } from '../../../protocol/wire.js';
import type { Credentials } from '../../core/auth.js';
import type { Connection } from '../../core/connection.js';
import type { Core } from '../../core/core.js';
import { CoreError } from '../../core/errors.js';
import { TokenBucket } from '../../core/rate-limit.js';
import type { Metrics } from '../../metrics.js';
import { SocketFanout, type SocketFanoutOptions } from './fanout.js';
import { userRoom } from './rooms.js';
import type { CometIo, CometSocket } from './types.js';

/** Any request a connection makes (subscribe, history, presence…): a generous bucket against floods. */
const REQUEST_BURST = 60;
const REQUEST_PER_SECOND = 30;

export interface SocketFrontOptions extends SocketFanoutOptions {
  /** Where handler faults are reported; default console.error. */
  log?: (message: string, err: unknown) => void;
}

type Reply = (res: object) => void;
type UntypedSocket = { on(event: string, listener: (payload: unknown, ack?: unknown) => void): void };

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
export function attachSocketFront(io: CometIo, core: Core, metrics: Metrics, options: SocketFrontOptions = {}): SocketFront {
  const log = options.log ?? ((message: string, err: unknown) => console.error(`[socket] ${message}`, err));
  const fanout = new SocketFanout(io, options);
  core.attach(fanout);
  const pending = new Map<string, { conn: Connection; auth: AuthInfo }>();
  /** Requests being handled and disconnects being cleaned up: settle() waits for both before the store closes. */
  const work = new Set<Promise<void>>();
  const track = (job: Promise<void>): void => {
    const tracked = job.finally(() => work.delete(tracked));
    work.add(tracked);
  };
  /** Set while draining: called whenever a client of this node leaves. */
  let onLeave: (() => void) | undefined;

  io.use((socket, next) => {
    const { devId, creds } = readHandshake(socket.handshake.auth);
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
        socket.data = { appId: conn.appId, user_id: conn.user_id, ...(conn.user_name === undefined ? {} : { user_name: conn.user_name }) };
        pending.set(socket.id, { conn, auth });
        next();
      },
      (err: unknown) => {
        metrics.error('internal');
        log('handshake failed', err);
        next(new Error('internal'));
      },
    );
  });

  io.on('connection', (socket: CometSocket) => {
    const entry = pending.get(socket.id);
    pending.delete(socket.id);
    if (!entry) {
      socket.disconnect(true);
      return;
    }
    const { conn, auth } = entry;
    if (conn.user_id > 0) socket.join(userRoom(conn.appId, conn.user_id));
    const requests = new TokenBucket(REQUEST_BURST, REQUEST_PER_SECOND);

    const handle = <E extends ClientEventName>(
      event: E,
      run: (payload: z.infer<(typeof clientEventSchemas)[E]>) => Promise<object>,
      failureExtra: object = {},
    ): void => {
      // Payloads are untrusted whatever the typed events say: take them as unknown and validate.
      (socket as unknown as UntypedSocket).on(event, (payload: unknown, ack?: unknown) => {
        const reply: Reply = (res) => {
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
          reply({ ...failureExtra, error, message });
        };
        if (!requests.take()) return fail('rate_limited', 'too many requests; slow down');
        if (event === 'subscribe' && tooManyTargets(payload)) {
          return fail('too_many_pipes', `at most ${MAX_PIPES_PER_CONNECTION} subscriptions per connection`);
        }
        const parsed = clientEventSchemas[event].safeParse(payload);
        if (!parsed.success) return fail('invalid', describeIssues(parsed.error));
        track(
          run(parsed.data as z.infer<(typeof clientEventSchemas)[E]>).then(reply, (err: unknown) => {
            if (err instanceof CoreError) return fail(err.code, err.message);
            log(`${event} failed`, err);
            fail('internal', 'internal error');
          }),
        );
      });
    };

    handle('subscribe', (req) => core.connSubscribe(conn, req.pipes));
    handle('unsubscribe', (req) => core.connUnsubscribe(conn, req.pipes));
    handle('publish', (req) => core.connPublish(conn, req), { number_messages: 0 });
    handle('history', async (req) => ({ error: '', messages: await core.history(conn.appId, req.pipe, req) }));
    handle('presence', async (req) => ({ error: '', ...(await core.presence(conn.appId, req.pipe)) }));
    handle('typing', (req) => core.connTyping(conn, req.pipe, req.name));

    socket.on('disconnect', () => {
      onLeave?.();
      track(
        core.connectionClosed(conn).catch((err: unknown) => {
          metrics.error('internal');
          log('disconnect cleanup failed', err);
        }),
      );
    });

    socket.emit('auth', auth);
    if (onLeave) socket.emit('goaway', { within: 0 });
    core.connectionReady(conn).catch((err: unknown) => {
      metrics.error('internal');
      log('connect setup failed', err);
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
      fanout.close();
      await this.idle();
    },
  };
}

/**
 * The handshake through its schema. Malformed credentials do not refuse the connection (it becomes
 * anonymous with the reason); only the dev id must be readable to find the app.
 */
function readHandshake(raw: unknown): { devId: string; creds: Credentials | 'bad_key' | 'bad_token' } {
  const parsed = handshakeAuthSchema.safeParse(raw);
  if (parsed.success) {
    const { dev_id, ...creds } = parsed.data;
    return { devId: String(dev_id), creds };
  }
  const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const devId = handshakeAuthSchema.shape.dev_id.safeParse(fields.dev_id);
  return { devId: devId.success ? String(devId.data) : '', creds: fields.token !== undefined ? 'bad_token' : 'bad_key' };
}

function tooManyTargets(payload: unknown): boolean {
  const pipes = (payload as { pipes?: unknown } | null)?.pipes;
  return Array.isArray(pipes) && pipes.length > MAX_PIPES_PER_CONNECTION;
}
