/** Shared by the HTTP front's end-to-end tests: a real server, real socket.io clients, API calls. */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import type { AuthInfo, ClientToServerEvents, HandshakeAuth, ServerToClientEvents } from '../../src/protocol/wire.js';
import type { CometServer, CometServerOptions } from '../../src/server/index.js';
import { startServer as startQuietServer } from '../fixtures/server.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;
export type Comet = CometServer;

export const APP2_SECRET = 'a-second-app-secret-0123456789';

/** The socket tests' server, with a second app whose secret the tests know. */
export function startServer(options: Partial<CometServerOptions> = {}): Promise<Comet> {
  return startQuietServer({ apps: [{ id: '2', secret: APP2_SECRET, origins: '*' }], ...options });
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** One /api/v1 call as a backend makes it. */
export function apiClient(base: string, secret: string, app = '1') {
  return async (method: string, path: string, body?: unknown, asSecret: string = secret): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { Authorization: `Bearer ${asSecret}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}/api/v1/apps/${app}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** Connects a real socket.io client and waits for the server's `auth` answer. */
export async function connect(
  url: string,
  auth: HandshakeAuth,
  opened: Client[],
): Promise<{ socket: Client; auth: AuthInfo }> {
  const socket: Client = io(url, { transports: ['websocket'], auth: { ...auth }, reconnection: false, forceNew: true });
  opened.push(socket);
  const info = await new Promise<AuthInfo>((resolve, reject) => {
    socket.once('auth', resolve);
    socket.once('connect_error', reject);
  });
  return { socket, auth: info };
}

/** The next occurrence of an event on a socket. */
export function next<E extends keyof ServerToClientEvents>(
  socket: Client,
  event: E,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  return new Promise((resolve) => {
    (socket as unknown as { once(e: string, l: (v: unknown) => void): void }).once(event, (v) => resolve(v as never));
  });
}

export async function subscribe(socket: Client, pipes: string[]): Promise<void> {
  const res = await socket.emitWithAck('subscribe', { pipes });
  if (res.error !== '') throw new Error(`subscribe failed: ${res.error} ${res.message}`);
}

/** A local HTTP server standing in for a site's webhook endpoint. */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createHttpServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
