/** What the core keeps about one open browser connection (on the node that holds it). */
import type { Subscription } from '../../protocol/names.js';
import type { ConnectionIdentity } from './fanout.js';
import { TokenBucket } from './rate-limit.js';

export interface Connection extends ConnectionIdentity {
  id: string;
  authorized: boolean;
  /** Subscribed targets by their `pipe` / `pipe.event` text. */
  readonly subscriptions: Map<string, Subscription>;
  readonly publishBucket: TokenBucket;
  /** Last typing notice per pipe (ms), for the typing rate limit. */
  readonly typingAt: Map<string, number>;
  closed: boolean;
}

export function newConnection(
  id: string,
  identity: ConnectionIdentity & { authorized: boolean },
  rate: { burst: number; perSecond: number },
): Connection {
  return {
    id,
    ...identity,
    subscriptions: new Map(),
    publishBucket: new TokenBucket(rate.burst, rate.perSecond),
    typingAt: new Map(),
    closed: false,
  };
}

/** Is the connection subscribed to the pipe at all (whole or any event of it)? */
export function isMember(conn: Connection, pipe: string): boolean {
  for (const sub of conn.subscriptions.values()) if (sub.pipe === pipe) return true;
  return false;
}
