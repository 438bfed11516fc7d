/**
 * Bounds the TCP sockets one peer address may hold on a listening server, counted when each is accepted,
 * before a byte is read: without it one address could open sockets and trickle bytes (HTTP headers, a
 * MySQL login) until the process runs out of file descriptors. IPv6 counts per /64; exempt peers (proxies
 * in front of this node, which carry everyone) are not counted.
 */
import type { Socket } from 'node:net';
import type { Metrics } from '../metrics.js';
import { peerKey, plainAddress } from './address.js';

export interface SocketCapOptions {
  perAddress: number;
  exempt: readonly string[];
  metrics: Metrics;
}

/**
 * Returns the check for each accepted socket: it counts the socket against its address until it closes,
 * or destroys it at once (and returns false) when the address already holds `perAddress`. Call it first
 * thing, before anything is written to the socket.
 */
export function socketCap(options: SocketCapOptions): (socket: Socket) => boolean {
  // Exempt peers by exact address: a trusted proxy does not free its whole /64.
  const exempt = new Set(options.exempt.map(plainAddress));
  const open = new Map<string, number>();
  return (socket) => {
    const peer = socket.remoteAddress ?? '';
    if (exempt.has(plainAddress(peer))) return true;
    const key = peerKey(peer);
    const count = (open.get(key) ?? 0) + 1;
    if (count > options.perAddress) {
      options.metrics.error('address_sockets');
      socket.destroy();
      return false;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = (open.get(key) ?? 1) - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
    return true;
  };
}
