/**
 * CometQL front: the seed's backend API over the MySQL client/server protocol.
 * It only translates SQL into BackendApi calls; it never touches a store.
 */
import { createServer, type Socket } from 'node:net';
import type { BackendApi } from '../../core/api.js';

/** Where the front reports connection-level trouble; never given passwords. */
export interface CometQLLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface CometQLOptions {
  port: number;
  host: string;
  logger?: CometQLLogger;
  /** Close connections silent for this long (default 8 hours, as MySQL's wait_timeout). */
  idleTimeoutMs?: number;
}

export interface CometQLServer {
  port: number;
  close(): Promise<void>;
}

export async function startCometQL(core: BackendApi, opts: CometQLOptions): Promise<CometQLServer> {
  void core;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
