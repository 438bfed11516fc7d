/** A token bucket: `burst` at once, refilled at `perSecond`. One per connection (publish) keeps floods local. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** What may be taken now. */
  available(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    return this.tokens;
  }

  /** Takes `cost` tokens (default one); false, and nothing taken, when fewer are left. */
  take(now: number, cost = 1): boolean {
    if (this.available(now) < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Takes `cost` even when that leaves the bucket in debt: for costs known only after the work was done. */
  charge(cost: number, now: number): void {
    this.available(now);
    this.tokens -= cost;
  }

  /** Gives back what was taken beyond the real cost (never above the burst). */
  refund(amount: number): void {
    this.tokens = Math.min(this.burst, this.tokens + amount);
  }
}

/**
 * Counts refusals, forgiving them at `limit` per `windowMs`: `add` answers true once a refusal comes
 * when `limit` of them have piled up (a burst of `limit`, or more than that rate for long).
 */
export class StrikeCounter {
  private readonly forgiven: TokenBucket;

  constructor(limit: number, windowMs: number, now: number) {
    this.forgiven = new TokenBucket(limit - 1, ((limit - 1) * 1000) / windowMs, now);
  }

  add(now: number): boolean {
    return !this.forgiven.take(now);
  }
}
