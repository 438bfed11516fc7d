/**
 * A cluster in one test process: several createCometServer nodes on loopback ports, one Redis,
 * one random key prefix (deleted on close). Clients are real socket.io-client connections.
 */
import { startServer, type CometServer, type CometServerOptions } from '../fixtures/server.js';
import { apiClient, type ApiAnswer } from '../server/http-helpers.js';
import { connect, type Client } from '../server/socket-helpers.js';
import type { HandshakeAuth } from '../../src/protocol/wire.js';
import { Redis } from 'ioredis';
import { REDIS_URL, deleteKeysUnder, randomPrefix } from './redis-keys.js';

export interface Cluster {
  prefix: string;
  nodes: CometServer[];
  /** Starts one more node of this cluster (closed with the others). */
  addNode(): Promise<CometServer>;
  /** A client of `node`; closed with the cluster. */
  client(node: CometServer, auth?: Partial<HandshakeAuth>): Promise<Client>;
  /** A backend's /api/v1 call to app 1 through `node`. */
  api(node: CometServer, method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** Closes clients and nodes, then deletes every Redis key of the cluster. */
  close(): Promise<void>;
}

/** `options` go to every node (apps, timeouts…); the Redis URL, prefix and ports are the cluster's. */
export async function startCluster(size: number, options: Partial<CometServerOptions> = {}): Promise<Cluster> {
  const prefix = randomPrefix();
  const nodes: CometServer[] = [];
  const clients: Client[] = [];
  const addNode = async () => {
    const node = await startServer({ ...options, redisUrl: REDIS_URL, redisPrefix: prefix });
    nodes.push(node);
    // Its adapter's SUBSCRIBE may still be on the way: a count taken before would miss the node.
    await nodesSubscribed(prefix, nodes.length);
    return node;
  };
  try {
    // One after the other, as nodes of a real deployment start: the first one stores app 1's secret.
    for (let i = 0; i < size; i++) await addNode();
  } catch (err) {
    await Promise.all(nodes.map((n) => n.close()));
    await deleteKeysUnder(prefix);
    throw err;
  }
  return {
    prefix,
    nodes,
    addNode,
    async client(node, auth = { dev_id: '1' }) {
      const c = await connect(node, auth);
      clients.push(c);
      return c;
    },
    api: (node, method, path, body) => apiClient(node.url, node.app1Secret)(method, path, body),
    async close() {
      for (const c of clients) c.close();
      await Promise.all(nodes.map((n) => n.close()));
      await deleteKeysUnder(prefix);
    },
  };
}

/** Waits until `count` nodes listen on the cluster's adapter request channel (how the adapter counts nodes). */
export async function nodesSubscribed(prefix: string, count: number): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    // The Redis adapter's request channel for namespace "/", with the key createRedisParts gives it.
    const channel = `${prefix}:socket.io-request#/#`;
    for (;;) {
      const [, n] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
      if (Number(n) === count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    redis.disconnect();
  }
}
