/**
 * Bounds the TCP sockets a node holds, counted when each is accepted, before a byte is read: without it
 * one address could open sockets and trickle bytes (HTTP headers, a MySQL login) until the process runs
 * out of file descriptors, and a few hundred addresses together still could. Per peer address on each
 * listening port (IPv6 per /64; exempt peers, proxies in front of this node that carry everyone, are not
 * counted), and for every port of the node together, below the process's file limit.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Metrics } from '../metrics.js';
import { peerKey, plainAddress } from './address.js';

/** Descriptors kept free of client sockets: the store, Redis, webhook requests, static files, logs. */
const DESCRIPTOR_RESERVE = 1000;
/** The node's socket cap where the file limit cannot be read (not Linux). */
const FALLBACK_NODE_SOCKETS = 10_000;

/** The sockets of every listening port of one node: a count shared by each port's check. */
export class NodeSockets {
  open = 0;
  constructor(readonly max: number) {}
}

export interface SocketCapOptions {
  perAddress: number;
  exempt: readonly string[];
  metrics: Metrics;
  node: NodeSockets;
}

/**
 * Returns the check for each accepted socket: it counts the socket against its address and the node until
 * it closes, or destroys it at once (and returns false) when either is full. Call it first thing, before
 * anything is written to the socket.
 */
export function socketCap(options: SocketCapOptions): (socket: Socket) => boolean {
  // Exempt peers by exact address: a trusted proxy does not free its whole /64.
  const exempt = new Set(options.exempt.map(plainAddress));
  const open = new Map<string, number>();
  const { node } = options;
  /** What each counted socket is counted under (exempt peers: nothing), for the one close listener below. */
  const keys = new WeakMap<Socket, string>();
  // One listener for every socket, not a closure (and its context) per socket. `on`: a socket closes once,
  // and a `once` wrapper costs ~150 bytes per connection.
  function onClose(this: Socket): void {
    node.open--;
    const key = keys.get(this);
    if (key === undefined) return;
    const left = (open.get(key) ?? 1) - 1;
    if (left === 0) open.delete(key);
    else open.set(key, left);
  }
  return (socket) => {
    if (node.open >= node.max) {
      // Proxies included: a descriptor is a descriptor, and at the process's limit nothing is accepted at all.
      options.metrics.error('node_sockets');
      socket.destroy();
      return false;
    }
    const peer = socket.remoteAddress ?? '';
    if (!exempt.has(plainAddress(peer))) {
      const key = peerKey(peer);
      const count = (open.get(key) ?? 0) + 1;
      if (count > options.perAddress) {
        options.metrics.error('address_sockets');
        socket.destroy();
        return false;
      }
      open.set(key, count);
      keys.set(socket, key);
    }
    node.open++;
    socket.on('close', onClose);
    return true;
  };
}

/**
 * The node's socket cap when none is configured: the process's open-file limit (its soft limit, what
 * accept() runs into) less a reserve for everything else the server opens.
 */
export function defaultNodeSockets(limitsFile = '/proc/self/limits'): number {
  let text: string;
  try {
    text = readFileSync(limitsFile, 'utf8');
  } catch {
    return FALLBACK_NODE_SOCKETS;
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  if (soft === undefined || soft === 'unlimited') return FALLBACK_NODE_SOCKETS;
  return Math.max(Number(soft) - DESCRIPTOR_RESERVE, Math.ceil(Number(soft) / 2));
}
