/**
 * Remembers which markers of one pipe were already emitted, in bounded memory:
 * a floor (everything at or below it counts as seen) plus a window of recent markers above it.
 * Markers grow within an app, so evicting the oldest entry and raising the floor to it is safe
 * as long as messages arrive roughly in order (they do: one core stamps them in sequence).
 */
/**
 * How long a marker may still be overtaken. Each node stamps and sends its own messages, so a subscriber
 * may get N+1 (stamped on its node, or its own publish) before N (from another node over Redis).
 */
export const REORDER_MS = 3000;

export class MarkerWindow {
  private _floor = 0;
  private readonly _recent = new Set<number>();
  /** Highest marker seen (emitted, published by us, or learned from history). */
  high = 0;
  /** The highest marker that has had REORDER_MS to be overtaken, as of the last `resumePoint` or new high. */
  private _settled = 0;
  /** New highs not yet settled: [when, high], oldest first. */
  private readonly _rising: Array<[number, number]> = [];

  constructor(
    private readonly _size = 512,
    private readonly _now: () => number = Date.now,
  ) {}

  /**
   * Where a catch-up after a disconnection resumes: not `high`, but the highest marker seen REORDER_MS
   * ago, so a message still on its way when the connection broke is fetched from history; what is
   * fetched again is dropped as seen.
   */
  resumePoint(): number {
    const cutoff = this._now() - REORDER_MS;
    while (this._rising.length > 0 && this._rising[0][0] <= cutoff) this._settled = this._rising.shift()![1];
    return this._settled;
  }

  has(marker: number): boolean {
    return marker <= this._floor || this._recent.has(marker);
  }

  /** Records a marker; returns false when it had been seen already. */
  add(marker: number): boolean {
    if (this.has(marker)) return false;
    this._recent.add(marker);
    if (marker > this.high) {
      this.high = marker;
      this._rising.push([this._now(), marker]);
      this.resumePoint();
    }
    if (this._recent.size > this._size) {
      const oldest = this._recent.values().next().value as number;
      this._recent.delete(oldest);
      if (oldest > this._floor) this._floor = oldest;
    }
    return true;
  }

  /** Moves the catch-up point without marking anything as seen (history said nothing below it is missing). */
  raise(marker: number): void {
    if (marker > this.high) this.high = marker;
    if (marker > this._settled) this._settled = marker;
  }
}
