/** What the core keeps about one open browser connection (on the node that holds it). */
import type { Subscription } from '../../protocol/names.js';
import type { ConnectionIdentity } from './fanout-port.js';
import type { Limits } from './limits.js';
import { StrikeCounter, TokenBucket } from './rate-limit.js';

export interface Connection extends ConnectionIdentity {
  id: string;
  authorized: boolean;
  /** Its name in read positions and reactions: `u<user_id>` for an authorized user, a random `g…` for a guest. */
  reader: string;
  /** Subscribed targets by their `pipe` / `pipe.event` text. */
  readonly subscriptions: Map<string, Subscription>;
  /** Publishes, and the presence notices the connection causes. */
  readonly publishBucket: TokenBucket;
  /** Every other request. */
  readonly requestBucket: TokenBucket;
  /** Bytes of history answers. */
  readonly replyBucket: TokenBucket;
  /** Refusals for limits: too many and the connection is closed. */
  readonly strikes: StrikeCounter;
  /** Last typing notice per pipe (ms), for the typing rate limit; made at the first notice (most connections never type). */
  typingAt?: Map<string, number>;
  /** `track_` pipes whose subscription notice went out: only these get an unsubscription notice. Made at the first. */
  announced?: Set<string>;
  closed: boolean;
}

export function newConnection(
  id: string,
  identity: ConnectionIdentity & { authorized: boolean; reader: string },
  limits: Limits,
  now: number,
): Connection {
  // Every field written here, none added later: one object shape, its fields inside the object.
  return {
    id,
    appId: identity.appId,
    user_id: identity.user_id,
    user_name: identity.user_name,
    authorized: identity.authorized,
    reader: identity.reader,
    subscriptions: new Map(),
    publishBucket: new TokenBucket(limits.publish.burst, limits.publish.perSecond, now),
    requestBucket: new TokenBucket(limits.requests.burst, limits.requests.perSecond, now),
    replyBucket: new TokenBucket(limits.replyBytes.burst, limits.replyBytes.perSecond, now),
    strikes: new StrikeCounter(limits.strikes, limits.strikeWindowMs, now),
    typingAt: undefined,
    announced: undefined,
    closed: false,
  };
}

/** Is the connection subscribed to the pipe at all (whole or any event of it)? */
export function isMember(conn: Connection, pipe: string): boolean {
  for (const sub of conn.subscriptions.values()) if (sub.pipe === pipe) return true;
  return false;
}
