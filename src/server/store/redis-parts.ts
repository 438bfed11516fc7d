/**
 * What one node needs to join a cluster over Redis: the shared store and the Socket.IO adapter
 * factory that carries broadcasts, room queries (fetchSockets) and acks between the nodes.
 *
 * Usage in the composition root:
 *   const redis = await createRedisParts(url, prefix);
 *   io.adapter(redis.adapterFactory);   // before any connection
 *   … store = redis.store …
 *   await io.close(); await redis.close();
 */
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { urlForLog } from '../log-safe.js';
import { RedisStore } from './redis.js';

export interface RedisParts {
  store: RedisStore;
  /** Pass to `io.adapter(…)`. */
  adapterFactory: ReturnType<typeof createAdapter>;
  /** Both connections are up: commands can be sent and broadcasts heard. */
  available(): boolean;
  /** Closes the Redis connections (after `io.close()`, which closes the adapters). */
  close(): Promise<void>;
}

export interface RedisPartsOptions {
  /** How long a cross-node query (fetchSockets, counts) waits for the other nodes. Default 5000 ms. */
  requestsTimeout?: number;
  /** Told about Redis connection trouble once the node runs (ioredis keeps reconnecting). Default: console.error. */
  onError?: (err: Error) => void;
}

/**
 * Connects to Redis (throws when it cannot, so a node with a wrong URL fails at start, not later)
 * and builds the store and adapter. `prefix` namespaces the keys and the pub/sub channels alike,
 * so separate clusters (or tests) on one Redis never hear each other.
 */
export async function createRedisParts(
  url: string,
  prefix = 'comet',
  options: RedisPartsOptions = {},
): Promise<RedisParts> {
  // One connection for commands and publishing; subscribing needs a dedicated one.
  // A command caught by a dropped connection fails after one retry instead of waiting through twenty:
  // while Redis is away the core refuses new work at once (see Store.available), and this bounds the rest.
  const pub = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const sub = pub.duplicate();
  // While starting, connection trouble becomes the error this function throws.
  let lastError: Error | undefined;
  const remember = (err: Error) => {
    lastError = err;
  };
  pub.on('error', remember);
  sub.on('error', remember);
  try {
    await pub.connect();
    await sub.connect();
  } catch (err) {
    pub.disconnect();
    sub.disconnect();
    // The URL may hold the password: only where it points is said.
    throw new Error(`cannot connect to Redis at ${urlForLog(url)}: ${(lastError ?? (err as Error)).message}`);
  }
  const report = options.onError ?? ((err: Error) => console.error(`[redis] ${err.message}`));
  for (const client of [pub, sub]) {
    client.off('error', remember);
    client.on('error', report);
  }
  const adapterFactory = neverRejectUnheard(
    createAdapter(reportUnheard(pub, report), reportUnheard(sub, report), {
      key: `${prefix}:socket.io`,
      requestsTimeout: options.requestsTimeout ?? 5000,
      publishOnSpecificResponseChannel: true,
    }),
    report,
  );
  return {
    store: new RedisStore({ client: pub, prefix }),
    adapterFactory,
    available: () => pub.status === 'ready' && sub.status === 'ready',
    async close() {
      await Promise.all([pub, sub].map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

type AdapterFactory = ReturnType<typeof createAdapter>;

/** Commands the adapter sends without looking at the outcome: publishes, and unsubscribing when it closes. */
const UNHEARD_COMMANDS: ReadonlySet<PropertyKey> = new Set(['publish', 'unsubscribe', 'punsubscribe']);

/**
 * The adapter sends some commands without a rejection handler (a lost broadcast is what its timeouts are
 * for), so one caught by a Redis outage would be an unhandled rejection, which ends a Node process: report it.
 */
function reportUnheard(client: Redis, report: (err: Error) => void): Redis {
  return new Proxy(client, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      const method = (value as (...a: unknown[]) => unknown).bind(target);
      if (!UNHEARD_COMMANDS.has(name)) return method;
      return (...args: unknown[]) =>
        (method(...args) as Promise<unknown>).catch((err: Error) => {
          report(err);
          return 0;
        });
    },
  });
}

/**
 * Socket.IO's acknowledged broadcast reads the node count with no rejection handler, so a failed read would
 * end the process. A failed read answers the last count known instead: the broadcast, and the cross-node
 * queries that wait for that many answers, then end by their timeouts, as when a node is slow.
 */
function neverRejectUnheard(factory: AdapterFactory, report: (err: Error) => void): AdapterFactory {
  // Socket.IO calls the factory with `new`: a function, not an arrow.
  return function guarded(nsp) {
    const adapter = factory(nsp);
    const read = adapter.serverCount.bind(adapter);
    let known = 1;
    adapter.serverCount = () =>
      read().then(
        (count) => (known = count),
        (err: Error) => {
          report(err);
          return known;
        },
      );
    return adapter;
  };
}
