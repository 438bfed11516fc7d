/**
 * Limits per client address, checked before a WebSocket is even accepted (engine.io's allowRequest):
 * how fast an address may open connections (failed ones too), how many it may hold, and a penalty
 * that refuses it for a while after one of its connections was closed for abuse (doubling on each
 * repeat, up to a cap). IPv6 addresses count per /64, the smallest block one subscriber gets.
 */
import type { Limits } from '../../core/limits.js';
import { TokenBucket } from '../../core/rate-limit.js';

/** Addresses remembered at once; beyond it the idle ones are forgotten first. */
const MAX_ADDRESSES = 100_000;

interface AddressState {
  handshakes: TokenBucket;
  connections: number;
  penaltyUntil: number;
  /** The last penalty's length: the next one doubles it. */
  penaltyMs: number;
}

export type Refusal = { reason: 'penalty' | 'handshakes' | 'connections'; retryAfterMs: number };

export class AddressGuard {
  private readonly addresses = new Map<string, AddressState>();

  constructor(
    private readonly limits: Limits,
    private readonly now: () => number,
  ) {}

  /** A new connection from `address` is about to be made: undefined when allowed, else why not. */
  admit(address: string): Refusal | undefined {
    const now = this.now();
    const state = this.state(address, now);
    if (state.penaltyUntil > now) return { reason: 'penalty', retryAfterMs: state.penaltyUntil - now };
    if (!state.handshakes.take(now))
      return { reason: 'handshakes', retryAfterMs: Math.ceil(1000 / this.limits.handshakes.perSecond) };
    if (state.connections >= this.limits.connectionsPerAddress)
      return { reason: 'connections', retryAfterMs: this.limits.penaltyMs };
    return undefined;
  }

  opened(address: string): void {
    this.state(address, this.now()).connections += 1;
  }

  closed(address: string): void {
    const state = this.addresses.get(address);
    if (state) state.connections = Math.max(0, state.connections - 1);
  }

  /** One of the address's connections was closed for abuse: refuse the address for a while. Returns for how long. */
  penalize(address: string): number {
    const now = this.now();
    const state = this.state(address, now);
    // A penalty long served is forgotten: the next one starts small again.
    const recent = now - state.penaltyUntil < this.limits.penaltyMaxMs;
    state.penaltyMs = Math.min(
      recent && state.penaltyMs > 0 ? state.penaltyMs * 2 : this.limits.penaltyMs,
      this.limits.penaltyMaxMs,
    );
    state.penaltyUntil = now + state.penaltyMs;
    return state.penaltyMs;
  }

  /** Addresses remembered (for tests and metrics). */
  get size(): number {
    return this.addresses.size;
  }

  private state(address: string, now: number): AddressState {
    let state = this.addresses.get(address);
    if (!state) {
      if (this.addresses.size >= MAX_ADDRESSES) this.forgetIdle(now);
      state = {
        handshakes: new TokenBucket(this.limits.handshakes.burst, this.limits.handshakes.perSecond, now),
        connections: 0,
        penaltyUntil: 0,
        penaltyMs: 0,
      };
      this.addresses.set(address, state);
    }
    return state;
  }

  /** Drops addresses that hold nothing: no connection, no penalty in force. Oldest first, at least one. */
  private forgetIdle(now: number): void {
    let dropped = 0;
    for (const [address, state] of this.addresses) {
      if (state.connections > 0 || state.penaltyUntil > now) continue;
      this.addresses.delete(address);
      if (++dropped >= MAX_ADDRESSES / 10) return;
    }
    // Every address is busy: forget the oldest anyway rather than grow without bound.
    if (dropped === 0) this.addresses.delete(this.addresses.keys().next().value!);
  }
}
