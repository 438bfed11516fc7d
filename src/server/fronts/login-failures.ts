/**
 * Failed backend logins per client address, on the HTTP API and the CometQL port together: each address
 * may fail a burst, then a few a minute; past that its logins are refused before the secret is looked at,
 * so guessing costs the guesser time, not the server work. What is logged is summed up per address, at
 * most one line a minute each, so a guessing run cannot flood the log either.
 */
import type { Rate } from '../core/limits.js';
import { TokenBucket } from '../core/rate-limit.js';
import type { Metrics } from '../metrics.js';

/** Addresses remembered at once; beyond it the least recently failing are forgotten first. */
const MAX_ADDRESSES = 10_000;
/** One log line per address within this long; the failures between are counted into the next. */
const LOG_EVERY_MS = 60_000;

interface AddressFailures {
  bucket: TokenBucket;
  loggedAt: number;
  unlogged: number;
}

export class LoginFailures {
  private readonly addresses = new Map<string, AddressFailures>();

  constructor(
    private readonly rate: Rate,
    private readonly metrics: Metrics,
    private readonly log: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the address may try again, or 0 when it may now. */
  retryAfter(address: string): number {
    const state = this.addresses.get(address);
    if (!state || state.bucket.available(this.now()) >= 1) return 0;
    return Math.ceil(1000 / this.rate.perSecond);
  }

  /** A login from `address` failed; `who` says as whom (a dev id: never the secret tried). */
  failed(address: string, who: string): void {
    const now = this.now();
    this.metrics.error('login_failed');
    let state = this.addresses.get(address);
    if (state) this.addresses.delete(address);
    else {
      if (this.addresses.size >= MAX_ADDRESSES) this.addresses.delete(this.addresses.keys().next().value!);
      state = { bucket: new TokenBucket(this.rate.burst, this.rate.perSecond, now), loggedAt: -Infinity, unlogged: 0 };
    }
    // Re-inserted: the map's order is the order addresses last failed in.
    this.addresses.set(address, state);
    state.bucket.take(now);
    state.unlogged++;
    if (now - state.loggedAt < LOG_EVERY_MS) return;
    const more = state.unlogged > 1 ? ` (${state.unlogged} failed logins from it since the last line)` : '';
    this.log(`failed login as ${JSON.stringify(who.slice(0, 64))} from ${address}${more}`);
    state.loggedAt = now;
    state.unlogged = 0;
  }
}
