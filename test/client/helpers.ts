/** Shared by the client tests: a real server, clients that are always closed, and event waiting. */
import { createServer } from 'node:net';
import { after, before } from 'node:test';
import { CometClient } from '../../src/client/comet-client.js';
import type { CometClientEventMap, CometClientOptions, IncomingMessage } from '../../src/client/types.js';

export const APP = '1';

import { startServer, type CometServer, type CometServerOptions } from '../fixtures/server.js';

export { startServer };
export type CometServerHandle = CometServer;

/** One server and client pool for the enclosing describe(): started before its tests, closed after them. */
export function useServer(options: CometServerOptions = {}): {
  readonly server: CometServerHandle;
  readonly pool: ClientPool;
} {
  const pool = new ClientPool();
  let server: CometServerHandle | undefined;
  before(async () => {
    server = await startServer(options);
  });
  after(async () => {
    pool.closeAll();
    await server?.close();
  });
  return {
    pool,
    get server() {
      if (!server) throw new Error('the server starts in before()');
      return server;
    },
  };
}

/** A port that was free a moment ago (for restarting a server on the same address). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Creates clients and disconnects every one of them in `closeAll`. */
export class ClientPool {
  private readonly clients: CometClient[] = [];

  make(server: string, options: Partial<CometClientOptions> = {}): CometClient {
    const client = new CometClient({ server, devId: APP, reconnectDelay: 100, reconnectDelayMax: 400, ...options });
    this.clients.push(client);
    return client;
  }

  async connected(server: string, options: Partial<CometClientOptions> = {}): Promise<CometClient> {
    const client = this.make(server, options);
    const ready = client.ready();
    client.connect();
    await ready;
    return client;
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.disconnect();
  }
}

/** Resolves with the detail of the next event of `type` that passes `accept`. */
export function nextEvent<K extends keyof CometClientEventMap>(
  client: CometClient,
  type: K,
  accept: (detail: CometClientEventMap[K]) => boolean = () => true,
): Promise<CometClientEventMap[K]> {
  return new Promise((resolve) => {
    const off = client.on(type, (detail) => {
      if (!accept(detail)) return;
      off();
      resolve(detail);
    });
  });
}

/** Records every `message` a client emits. */
export function recordMessages(client: CometClient): IncomingMessage[] {
  const seen: IncomingMessage[] = [];
  client.on('message', (m) => seen.push(m));
  return seen;
}

/** Waits until `check` holds, re-checking on each event of the client (no clocks involved). */
export function until(client: CometClient, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const test = () => {
      if (!check()) return;
      offs.forEach((off) => off());
      resolve();
    };
    for (const type of ['message', 'status', 'auth', 'typing', 'delete'] as const) offs.push(client.on(type, test));
  });
}

/** Lets pending socket traffic arrive (a round trip through the server). */
export async function roundTrip(client: CometClient, pipe = 'web_roundtrip'): Promise<void> {
  await client.presence(pipe);
}
