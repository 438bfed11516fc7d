/**
 * Token buckets: `burst` at once, refilled at `perSecond`. A bucket's state is its tokens and when they
 * were counted; a holder may keep several buckets as plain number fields counted at one moment (a
 * connection keeps four: 18,000 connections on a node would otherwise hold 18,000 × 4 bucket objects
 * and their boxed numbers). Every bucket, alone or in a holder, follows the functions below.
 */
import type { Rate } from './limits.js';

/** Each bucket field of a holder, and its rate. */
export type Rates<K extends string> = Readonly<Record<K, Rate>>;
/** A holder of buckets: the tokens of each (number fields) as of `tokensAt` (ms). */
export type Tokens<K extends string> = Record<K, number> & { tokensAt: number };

/** Brings every bucket of the holder up to `now`: refilled at its rate, never above its burst. */
export function refill<K extends string>(holder: Tokens<K>, rates: Rates<K>, now: number): void {
  const elapsed = now - holder.tokensAt;
  const buckets: Record<K, number> = holder;
  for (const key in rates) {
    const rate = rates[key];
    buckets[key] = Math.min(rate.burst, buckets[key] + (elapsed / 1000) * rate.perSecond);
  }
  holder.tokensAt = now;
}

/** Takes `cost` tokens (default one) from one bucket; false, and nothing taken, when fewer are left. */
export function take<K extends string>(holder: Tokens<K>, rates: Rates<K>, key: K, now: number, cost = 1): boolean {
  refill(holder, rates, now);
  const buckets: Record<K, number> = holder;
  if (buckets[key] < cost) return false;
  buckets[key] -= cost;
  return true;
}

/** Takes `cost` even when that leaves the bucket in debt: for costs known only after the work was done. */
export function charge<K extends string>(holder: Tokens<K>, rates: Rates<K>, key: K, cost: number, now: number): void {
  refill(holder, rates, now);
  const buckets: Record<K, number> = holder;
  buckets[key] -= cost;
}

/** Gives back what was taken beyond the real cost (never above the burst). */
export function refund<K extends string>(holder: Tokens<K>, rates: Rates<K>, key: K, amount: number): void {
  const buckets: Record<K, number> = holder;
  buckets[key] = Math.min(rates[key].burst, buckets[key] + amount);
}

/** Tokens in one bucket now. */
export function tokensLeft<K extends string>(holder: Tokens<K>, rates: Rates<K>, key: K, now: number): number {
  refill(holder, rates, now);
  return holder[key];
}

/** A bucket of its own. One per connection (publish) keeps floods local. */
export class TokenBucket implements Tokens<'tokens'> {
  tokens: number;
  tokensAt: number;
  private readonly rates: Rates<'tokens'>;

  constructor(burst: number, perSecond: number, now: number) {
    this.rates = { tokens: { burst, perSecond } };
    this.tokens = burst;
    this.tokensAt = now;
  }

  /** What may be taken now. */
  available(now: number): number {
    return tokensLeft(this, this.rates, 'tokens', now);
  }

  /** Takes `cost` tokens (default one); false, and nothing taken, when fewer are left. */
  take(now: number, cost = 1): boolean {
    return take(this, this.rates, 'tokens', now, cost);
  }

  /** Takes `cost` even when that leaves the bucket in debt. */
  charge(cost: number, now: number): void {
    charge(this, this.rates, 'tokens', cost, now);
  }

  /** Gives back what was taken beyond the real cost (never above the burst). */
  refund(amount: number): void {
    refund(this, this.rates, 'tokens', amount);
  }
}

/**
 * Refusals counted as a bucket: `limit` of them are forgiven per `windowMs`, and a refusal that finds no
 * token left (a burst of `limit`, or more than that rate for long) is one too many.
 */
export function strikeRate(limit: number, windowMs: number): Rate {
  return { burst: limit - 1, perSecond: ((limit - 1) * 1000) / windowMs };
}
