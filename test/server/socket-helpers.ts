/** Shared by the server's socket tests: a real server on 127.0.0.1:0 and real socket.io-client connections. */
import { after, before } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { AuthInfo, HandshakeAuth, IncomingMessage } from '../../src/protocol/wire.js';
import { startServer, type CometServer, type CometServerOptions } from '../fixtures/server.js';

export interface ConnectExtra {
  origin?: string;
  /** The local address to connect from. */
  from?: string;
}

export interface ServerEnv {
  /** The running server (started in `before`). */
  readonly server: CometServer;
  /** A client of that server, closed with it. */
  client: (auth?: Partial<HandshakeAuth>, extra?: ConnectExtra) => Promise<Client>;
}

/** For a describe block: a server started before its tests and closed, with every client, after them. */
export function useServer(options: CometServerOptions = {}): ServerEnv {
  let server: CometServer | undefined;
  const clients: Client[] = [];
  before(async () => {
    server = await startServer(options);
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await server?.close();
  });
  const running = (): CometServer => {
    if (!server) throw new Error('the server starts in before()');
    return server;
  };
  return {
    get server() {
      return running();
    },
    async client(auth = { dev_id: '1' }, extra = {}) {
      const c = await connect(running(), auth, extra);
      clients.push(c);
      return c;
    },
  };
}

/** Who the server says a connection is: its `auth` event without the epoch, reader name and app settings. */
export type Identity = Omit<AuthInfo, 'epoch' | 'reader' | 'reactions' | 'edit_window'>;

export interface Client {
  socket: Socket;
  auth: Identity;
  /** The whole `auth` event. */
  info: AuthInfo;
  /** The app's marker epoch from the same event. */
  epoch: string | undefined;
  /** Every `message` received so far, in order. */
  messages: IncomingMessage[];
  close(): void;
}

/** Connects and resolves once the server's `auth` event arrived. */
export function connect(
  server: { url: string },
  auth: Partial<HandshakeAuth> = { dev_id: '1' },
  extra: ConnectExtra = {},
): Promise<Client> {
  const socket = io(server.url, {
    transports: ['websocket'],
    auth,
    forceNew: true,
    reconnection: false,
    ...(extra.origin ? { extraHeaders: { origin: extra.origin } } : {}),
    // Another loopback address (127.0.0.2…) is another client address for the server's per-address limits.
    ...(extra.from ? { localAddress: extra.from } : {}),
  } as Parameters<typeof io>[1]);
  const messages: IncomingMessage[] = [];
  socket.on('message', (msg: IncomingMessage, ack?: () => void) => {
    messages.push(msg);
    if (typeof ack === 'function') ack();
  });
  return new Promise((resolve, reject) => {
    socket.once('auth', (info: AuthInfo) => {
      const { authorized, user_id, user_name, reason } = info;
      const auth: Identity = { authorized, user_id };
      if (user_name !== undefined) auth.user_name = user_name;
      if (reason !== undefined) auth.reason = reason;
      resolve({ socket, auth, info, epoch: info.epoch, messages, close: () => socket.close() });
    });
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/**
 * How long a request waits for its answer: a deadline for an answer that never comes, not a speed check. A burst
 * of hundreds of requests on a loaded 2-core machine takes seconds before the last one is answered.
 */
const ANSWER_WAIT_MS = 30_000;

/** Emits with an ack and resolves with the server's answer. */
export function request<T = Record<string, unknown>>(client: Client, event: string, payload: unknown): Promise<T> {
  return client.socket.timeout(ANSWER_WAIT_MS).emitWithAck(event, payload) as Promise<T>;
}

/** Resolves with the next occurrence of `event` (its first argument). */
export function nextEvent<T = unknown>(client: Client, event: string): Promise<T> {
  return new Promise((resolve) => client.socket.once(event, (arg: T) => resolve(arg)));
}

/** Resolves once the client has received a message matching `match` (already received ones count). */
export function waitForMessage(client: Client, match: (m: IncomingMessage) => boolean): Promise<IncomingMessage> {
  const found = client.messages.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const listener = (msg: IncomingMessage): void => {
      if (!match(msg)) return;
      client.socket.off('message', listener);
      resolve(msg);
    };
    client.socket.on('message', listener);
  });
}

/** Resolves once the socket is disconnected (by the server or otherwise). */
export function disconnected(client: Client): Promise<string> {
  if (client.socket.disconnected) return Promise.resolve('already');
  return new Promise((resolve) => client.socket.once('disconnect', (reason) => resolve(reason)));
}

export async function subscribe(client: Client, ...pipes: string[]): Promise<void> {
  const res = await request<{ error: string }>(client, 'subscribe', { pipes });
  if (res.error !== '') throw new Error(`subscribe failed: ${JSON.stringify(res)}`);
}

export const dataOf = (m: IncomingMessage): unknown => m.data;
