/**
 * CometQL front: the seed's backend API over the MySQL client/server protocol
 * (`mysqli_connect(host, dev_id, secret, "CometQL_v1")`). It only translates SQL into
 * BackendApi calls; it never touches a store. See docs/cometql.md.
 */
import { createServer, type Socket } from 'node:net';
import type { BackendApi } from '../../core/api.js';
import type { LoginFailures } from '../login-failures.js';
import { socketCap, type SocketCapOptions } from '../socket-cap.js';
import { Session } from './session.js';

/** Where the front reports connection-level trouble; it is never given a password. */
export interface CometQLLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface CometQLOptions {
  port: number;
  host: string;
  logger?: CometQLLogger;
  /** Close a connection that has not finished logging in this long after it opened (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Sockets per peer address, as for the HTTP port: logins not yet made are anyone's. */
  socketCap?: SocketCapOptions;
  /** Failed logins per address, shared with the HTTP API. */
  logins?: LoginFailures;
  /** Close a logged-in connection silent for this long (default 8 hours, MySQL's wait_timeout). */
  idleTimeoutMs?: number;
}

export interface CometQLServer {
  port: number;
  close(): Promise<void>;
}

export async function startCometQL(core: BackendApi, opts: CometQLOptions): Promise<CometQLServer> {
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;
  const admit = opts.socketCap ? socketCap(opts.socketCap) : () => true;
  const server = createServer((socket) => {
    if (!admit(socket)) return;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(socket, {
      core,
      connectionId: nextConnectionId++,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      idleTimeoutMs: opts.idleTimeoutMs ?? 8 * 3600_000,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.logins ? { logins: opts.logins } : {}),
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.logger?.warn(`${err.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  opts.logger?.info(`listening on ${opts.host}:${port}`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
