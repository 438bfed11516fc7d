/** What the core keeps about one open browser connection (on the node that holds it). */
import type { Subscription } from '../../protocol/names.js';
import type { ConnectionIdentity } from './fanout-port.js';
import type { Limits } from './limits.js';
import { strikeRate, type Rates, type Tokens } from './rate-limit.js';

/**
 * The connection's token buckets (core/rate-limit.ts), kept as number fields of the record: publishes and
 * the presence notices the connection causes; every other request; bytes of history answers; refusals for
 * limits (too many and the connection is closed).
 */
export type ConnectionBucket = 'publishTokens' | 'requestTokens' | 'replyTokens' | 'strikeTokens';

/** The rate of each bucket of a connection. */
export function connectionRates(limits: Limits): Rates<ConnectionBucket> {
  return {
    publishTokens: limits.publish,
    requestTokens: limits.requests,
    replyTokens: limits.replyBytes,
    strikeTokens: strikeRate(limits.strikes, limits.strikeWindowMs),
  };
}

export interface Connection extends ConnectionIdentity, Tokens<ConnectionBucket> {
  id: string;
  authorized: boolean;
  /** Its name in read positions and reactions: `u<user_id>` for an authorized user, a random `g…` for a guest. */
  reader: string;
  /**
   * Subscribed targets, at most MAX_PIPES_PER_CONNECTION: an array replaced whole on each change, sized to
   * fit (most connections hold one or two; a map's table alone is ~150 bytes).
   */
  subscriptions: readonly Subscription[];
  /** Last typing notice per pipe (ms), for the typing rate limit; made at the first notice (most connections never type). */
  typingAt?: Map<string, number>;
  /** `track_` pipes whose subscription notice went out: only these get an unsubscription notice. Made at the first. */
  announced?: Set<string>;
  closed: boolean;
}

export function newConnection(
  id: string,
  identity: ConnectionIdentity & { authorized: boolean; reader: string },
  rates: Rates<ConnectionBucket>,
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
    subscriptions: NO_SUBSCRIPTIONS,
    publishTokens: rates.publishTokens.burst,
    requestTokens: rates.requestTokens.burst,
    replyTokens: rates.replyTokens.burst,
    strikeTokens: rates.strikeTokens.burst,
    tokensAt: now,
    typingAt: undefined,
    announced: undefined,
    closed: false,
  };
}

const NO_SUBSCRIPTIONS: readonly Subscription[] = [];

/** Is the connection subscribed to the pipe at all (whole or any event of it)? */
export function isMember(conn: Connection, pipe: string): boolean {
  return conn.subscriptions.some((sub) => sub.pipe === pipe);
}

/** Is the connection subscribed to exactly this target? */
export function isSubscribed(conn: Connection, target: Subscription): boolean {
  return conn.subscriptions.some((sub) => sub.pipe === target.pipe && sub.event === target.event);
}

/** Adds targets it does not hold yet (the caller checked). */
export function addSubscriptions(conn: Connection, targets: readonly Subscription[]): void {
  // concat makes an array of the exact size; push would give it room for 16 more.
  conn.subscriptions = conn.subscriptions.concat(targets);
}

/** Drops one target; false when the connection did not hold it. */
export function dropSubscription(conn: Connection, target: Subscription): boolean {
  const left = conn.subscriptions.filter((sub) => !(sub.pipe === target.pipe && sub.event === target.event));
  if (left.length === conn.subscriptions.length) return false;
  conn.subscriptions = left.length === 0 ? NO_SUBSCRIPTIONS : left;
  return true;
}
