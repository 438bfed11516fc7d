/**
 * When a pipe is busy, its messages wait a few milliseconds and leave together. A message that finds its
 * pipe quiet (nothing sent to it for `windowMs`) leaves at once, so chat at ordinary rates gets no added
 * latency; while messages keep coming, the pipe sends at most one group per window, each as one frame to
 * each subscriber (socket-fanout.ts), which is where a busy room's cost per delivery goes down.
 */
export interface CoalesceOptions<T> {
  /** How long a busy pipe's messages may wait for company. */
  windowMs: number;
  /** Most items in one group: a full group leaves at once. */
  maxItems: number;
  /** Sends one group, in arrival order: alone when the pipe was quiet. */
  send: (items: T[]) => void;
  now?: () => number;
}

interface Waiting<T> {
  /** Items of one group share this (a pipe's event): one of another group sends the waiting ones first. */
  group: string;
  items: T[];
  timer: NodeJS.Timeout;
}

export class Coalescer<T> {
  /** When each key (pipe) last sent: kept while it may still be busy, forgotten by `sweep`. */
  private readonly lastSent = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting<T>>();
  private readonly now: () => number;

  constructor(private readonly options: CoalesceOptions<T>) {
    this.now = options.now ?? (() => performance.now());
  }

  add(key: string, group: string, item: T): void {
    const held = this.waiting.get(key);
    if (held && held.group === group) {
      held.items.push(item);
      if (held.items.length >= this.options.maxItems) this.flush(key);
      return;
    }
    // Order within a pipe is kept: what waits leaves before a message of another group.
    if (held) this.flush(key);
    const now = this.now();
    const last = this.lastSent.get(key);
    if (last === undefined || now - last >= this.options.windowMs) {
      this.lastSent.set(key, now);
      this.options.send([item]);
      return;
    }
    const timer = setTimeout(() => this.flush(key), last + this.options.windowMs - now);
    this.waiting.set(key, { group, items: [item], timer });
  }

  /** Sends what waits for `key` now (before anything else is sent to its pipe out of turn). */
  flush(key: string): void {
    const held = this.waiting.get(key);
    if (!held) return;
    clearTimeout(held.timer);
    this.waiting.delete(key);
    this.lastSent.set(key, this.now());
    this.options.send(held.items);
  }

  flushAll(): void {
    for (const key of [...this.waiting.keys()]) this.flush(key);
  }

  /** Forgets pipes quiet for a window: the map holds only pipes busy lately. */
  sweep(): void {
    const now = this.now();
    for (const [key, at] of this.lastSent)
      if (now - at >= this.options.windowMs && !this.waiting.has(key)) this.lastSent.delete(key);
  }
}
