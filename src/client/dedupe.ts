/**
 * Remembers which markers of one pipe were already emitted, in bounded memory:
 * a floor (everything at or below it counts as seen) plus a window of recent markers above it.
 * Markers grow within an app, so evicting the oldest entry and raising the floor to it is safe
 * as long as messages arrive roughly in order (they do: one core stamps them in sequence).
 */
export class MarkerWindow {
  private _floor = 0;
  private readonly _recent = new Set<number>();
  /** Highest marker seen (emitted, published by us, or learned from history): where catch-up resumes. */
  high = 0;

  constructor(private readonly _size = 512) {}

  has(marker: number): boolean {
    return marker <= this._floor || this._recent.has(marker);
  }

  /** Records a marker; returns false when it had been seen already. */
  add(marker: number): boolean {
    if (this.has(marker)) return false;
    this._recent.add(marker);
    if (marker > this.high) this.high = marker;
    if (this._recent.size > this._size) {
      const oldest = this._recent.values().next().value as number;
      this._recent.delete(oldest);
      if (oldest > this._floor) this._floor = oldest;
    }
    return true;
  }

  /** Moves the catch-up point without marking anything as seen. */
  raise(marker: number): void {
    if (marker > this.high) this.high = marker;
  }
}
