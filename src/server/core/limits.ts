/**
 * The server's limit model, in one place: what one connection, one address and one app may make the
 * server do, hold, write and store. Every limit has a default here and may be changed in the config
 * file (`limits`, and `quota` per app); docs/security.md explains each one.
 *
 * Sizes of stored history (quotas, answer budgets) are the UTF-8 bytes of its JSON. Bytes waiting to
 * be written are counted as the length of the encoded packets (characters: exact for ASCII; what a
 * string pins in V8's heap is 1-2 bytes per character).
 */
import { z } from 'zod';
import { DEFAULT_PUBLISH_BURST, DEFAULT_PUBLISH_PER_SECOND } from '../../protocol/limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const rate = z.strictObject({
  /** Taken at once. */
  burst: z.number().positive(),
  /** Refilled per second. */
  perSecond: z.number().positive(),
});
export type Rate = z.infer<typeof rate>;

const bytes = z.number().int().positive();
const ms = z.number().int().positive();

/** Storage an app may use: history is evicted oldest first beyond it. */
export const quotaSchema = z.strictObject({
  /** Bytes of history in all pipes of the app together. */
  historyBytes: bytes,
  /** Pipes of the app that keep history. */
  historyPipes: z.number().int().positive(),
  /** Bytes of history in one pipe. */
  pipeHistoryBytes: bytes,
  /**
   * Bytes the reactions of one message may take (stored inside it, so they also count in the history
   * bytes above); a reaction past it is refused with `too_large`.
   */
  reactionBytes: bytes,
  /** Read positions kept per pipe ("seen by"); past it, the reader that moved longest ago is forgotten. */
  readersPerPipe: z.number().int().positive(),
});
export type Quota = z.infer<typeof quotaSchema>;

export const limitsSchema = z.strictObject({
  /** Browser publishes per connection (messages). */
  publish: rate,
  /** Every other request of a connection: subscribe, unsubscribe, history, presence, typing. */
  requests: rate,
  /** Bytes of history replies per connection: a history request costs what its answer weighs. */
  replyBytes: rate,
  /** Largest single history answer; a page that would be larger comes back shorter, with `more`. */
  maxReplyBytes: bytes,
  /** Bytes waiting to be written to one connection before its requests are refused. */
  outputBytes: bytes,
  /** A connection still over `outputBytes` after this long (it does not read) is closed. */
  slowConsumerMs: ms,
  /** Bytes waiting to be written to all connections of this node together; past it, the biggest are closed. */
  totalOutputBytes: bytes,
  /** Refusals for limits a connection may pile up, forgiven at this many per `strikeWindowMs`; one more closes it and slows its address. */
  strikes: z.number().int().positive(),
  strikeWindowMs: ms,
  /** New connections per client address (handshakes, failed ones too). */
  handshakes: rate,
  /** Open connections per client address. */
  connectionsPerAddress: z.number().int().positive(),
  /**
   * Open TCP sockets per peer address (trusted proxies exempt), counted before any byte is read: what
   * half-open or slowly sent requests from one address may hold of the process's file descriptors.
   */
  socketsPerAddress: z.number().int().positive(),
  /**
   * Open TCP sockets of the whole node, every port together, counted the same way. Absent: the process's
   * open-file limit less 1,000 (kept for the store, Redis, webhooks and files), or 10,000 where it cannot be read.
   */
  socketsPerNode: z.number().int().positive().optional(),
  /**
   * Failed backend logins (HTTP API secrets, CometQL passwords) per client address, both ports together;
   * past it the address's logins are refused unchecked until the bucket refills.
   */
  loginFailures: rate,
  /** How long an address is refused after one of its connections was closed for abuse; doubles on each repeat. */
  penaltyMs: ms,
  /** The longest such refusal. */
  penaltyMaxMs: ms,
  /**
   * Backend requests per app (HTTP API calls and CometQL queries together): a tenant's busy or broken
   * backend takes its share of the node, not everyone's.
   */
  backendRequests: rate,
  /** Storage per app (each app may override it with its own `quota`). */
  quota: quotaSchema,
  /**
   * Publish ids remembered per app so a publish sent again is taken once: each for `windowMs`, at most
   * `perApp` of them (the oldest go first). Every id costs a publish, so one sender fills it only at its rate.
   */
  publishIds: z.strictObject({ windowMs: ms, perApp: z.number().int().positive() }),
});
export type Limits = z.infer<typeof limitsSchema>;

/** What the config file may say: any part of the model, the rest keeps its default. */
export const limitsOverrideSchema = limitsSchema.partial().extend({
  quota: quotaSchema.partial().optional(),
  publishIds: limitsSchema.shape.publishIds.partial().optional(),
});
export type LimitsOverride = z.infer<typeof limitsOverrideSchema>;

export const DEFAULT_LIMITS: Limits = {
  publish: { burst: DEFAULT_PUBLISH_BURST, perSecond: DEFAULT_PUBLISH_PER_SECOND },
  requests: { burst: 60, perSecond: 30 },
  replyBytes: { burst: 1 * MiB, perSecond: 256 * KiB },
  maxReplyBytes: 256 * KiB,
  outputBytes: 4 * MiB,
  slowConsumerMs: 10_000,
  totalOutputBytes: 256 * MiB,
  strikes: 100,
  strikeWindowMs: 10_000,
  handshakes: { burst: 60, perSecond: 20 },
  connectionsPerAddress: 200,
  socketsPerAddress: 500,
  loginFailures: { burst: 20, perSecond: 0.1 },
  penaltyMs: 30_000,
  penaltyMaxMs: 10 * 60_000,
  backendRequests: { burst: 2000, perSecond: 1000 },
  quota: {
    historyBytes: 64 * MiB,
    historyPipes: 1000,
    pipeHistoryBytes: 1 * MiB,
    reactionBytes: 16 * KiB,
    readersPerPipe: 1000,
  },
  publishIds: { windowMs: 5 * 60_000, perApp: 10_000 },
};

/** The defaults with `override` laid over them. */
export function resolveLimits(override: LimitsOverride = {}): Limits {
  return {
    ...DEFAULT_LIMITS,
    ...override,
    quota: { ...DEFAULT_LIMITS.quota, ...override.quota },
    publishIds: { ...DEFAULT_LIMITS.publishIds, ...override.publishIds },
  };
}

/** An app's quota: the server's, with the app's own values laid over it. */
export function resolveQuota(limits: Limits, override: Partial<Quota> = {}): Quota {
  return { ...limits.quota, ...override };
}
