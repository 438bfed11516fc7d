/**
 * Bounds what raw TCP connections may hold before any request is understood. Node counts no socket
 * against anyone until its request is parsed, so one address could open sockets and trickle header
 * bytes until the process runs out of file descriptors: each peer address (IPv6 per /64) may hold a
 * bounded number of sockets (trusted proxies are exempt: they carry everyone), and a request must
 * arrive whole within set times.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Metrics } from '../../metrics.js';
import { peerKey } from '../address.js';

/** Time for a request's headers to arrive, and for the whole request (bodies are at most a few MB). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface ConnectionGuardOptions {
  socketsPerAddress: number;
  /** Peers exempt from the count (proxies in front of this node). */
  trustedProxies: readonly string[];
  metrics: Metrics;
}

export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const trusted = new Set(options.trustedProxies.map(peerKey));
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const key = peerKey(socket.remoteAddress ?? '');
    if (trusted.has(key)) return;
    const count = (open.get(key) ?? 0) + 1;
    if (count > options.socketsPerAddress) {
      options.metrics.error('address_sockets');
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}
