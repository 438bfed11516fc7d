/**
 * When a pipe is busy, its messages wait a few milliseconds and leave together. A message that finds its
 * pipe quiet leaves at once, so chat at ordinary rates gets no added latency; while messages from several
 * senders keep coming, the pipe sends at most one group per window, each as one frame to each subscriber
 * (socket-fanout.ts), which is where a busy room's cost per delivery goes down.
 *
 * Quiet means: nothing sent to the pipe for `windowMs`, or only messages of this same sender while it
 * waits for each report. A sender that publishes one message after another, each once the last was
 * reported, is never held back by its own pace; one with several messages under way is not waiting for
 * their reports, and its messages wait for company like anyone's. A message is always handed out before
 * its report, so a report still means "delivered".
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

/** A group of several senders' messages: whoever sends next finds the pipe busy. */
const SEVERAL = Symbol('several senders');

export class Coalescer<T> {
  /** When each key (pipe) last sent, and whose message it was: kept while it may still be busy, forgotten by `sweep`. */
  private readonly lastSent = new Map<string, { at: number; sender: string | typeof SEVERAL }>();
  private readonly waiting = new Map<string, Waiting<T>>();
  private readonly now: () => number;

  constructor(private readonly options: CoalesceOptions<T>) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * `sender`: who sent the item when they wait for its report before sending again; undefined when they
   * have other messages under way (their pace does not hang on this one's report).
   */
  add(key: string, group: string, sender: string | undefined, item: T): void {
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
    if (
      last === undefined ||
      (sender !== undefined && last.sender === sender) ||
      now - last.at >= this.options.windowMs
    ) {
      this.lastSent.set(key, { at: now, sender: sender ?? SEVERAL });
      this.options.send([item]);
      return;
    }
    const timer = setTimeout(() => this.flush(key), last.at + this.options.windowMs - now);
    this.waiting.set(key, { group, items: [item], timer });
  }

  /** Sends what waits for `key` now (before anything else is sent to its pipe out of turn). */
  flush(key: string): void {
    const held = this.waiting.get(key);
    if (!held) return;
    clearTimeout(held.timer);
    this.waiting.delete(key);
    this.lastSent.set(key, { at: this.now(), sender: SEVERAL });
    this.options.send(held.items);
  }

  flushAll(): void {
    for (const key of [...this.waiting.keys()]) this.flush(key);
  }

  /** Forgets pipes quiet for a window: the map holds only pipes busy lately. */
  sweep(): void {
    const now = this.now();
    for (const [key, last] of this.lastSent) {
      if (now - last.at >= this.options.windowMs && !this.waiting.has(key)) this.lastSent.delete(key);
    }
  }
}
