import type { ReplyQuote } from '../protocol/wire.js';

/**
 * The element's memory of a feed: messages in marker order, each marker once, at most `cap` of them.
 * My own messages wait at the end without a marker until the server's delivery report gives them one.
 */
export interface ChatMessage {
  /** Stable key for rendering: `m<marker>` for server messages, `l<n>` for my local echo. */
  readonly id: string;
  /** The server's marker (absent on my own message until the server has confirmed it). */
  marker?: number;
  /** `message` in the chat pipe; `join` / `leave` from the notices pipe. */
  readonly kind: 'message' | 'join' | 'leave';
  readonly pipe: string;
  readonly event: string;
  /** 0 = anonymous. */
  readonly userId: number;
  /** The name stamped by the server, or an anonymous sender's own `data.name`; "" when neither. */
  readonly name: string;
  /** Changes when the message is edited ("" once deleted). */
  text: string;
  /** Server time in ms (my local echo: the browser's clock). */
  readonly time: number;
  /** Sent by this user (local echo, an authorized user's own earlier message, or one history says is mine). */
  mine: boolean;
  /** Only on my local echo: waiting in the outbox or for the answer, confirmed, or refused. */
  state?: 'sending' | 'sent' | 'failed';
  /** Why my message failed, in words (the language's, else the server's), when it did. */
  error?: string;
  /** The message this one answers, quoted as it was then. */
  reply?: ReplyQuote;
  /** When it was last edited (server time in ms). */
  edited?: number;
  /** Deleted, kept as a tombstone ("message deleted"). */
  deleted?: boolean;
  /** Reaction counts by emoji. */
  reactions?: Record<string, number>;
  /** The emojis I reacted with. */
  myReactions?: string[];
  /** My message: how many subscribers the server handed it to. */
  delivered?: number;
  /** Counts the changes since the message entered the feed: its bubble is built again after each. */
  rev?: number;
}

export class MessageLog {
  readonly list: ChatMessage[] = [];
  private readonly _markers = new Set<number>();

  constructor(readonly cap: number) {}

  get full(): boolean {
    return this.list.length >= this.cap;
  }

  /**
   * Inserts in marker order; false for a marker already present. A newer message pushes the oldest out
   * when full; an older one (paging back) is refused when full.
   */
  add(m: ChatMessage): boolean {
    if (m.marker !== undefined) {
      if (this._markers.has(m.marker)) return false;
      const at = this._indexFor(m.marker);
      if (this.full && at === 0) return false;
      this._markers.add(m.marker);
      this.list.splice(at, 0, m);
    } else {
      this.list.push(m);
    }
    while (this.list.length > this.cap) this._drop(0);
    return true;
  }

  /** Gives my local echo its marker and moves it into marker order. False if the marker was already shown. */
  confirm(m: ChatMessage, marker: number): boolean {
    const i = this.list.indexOf(m);
    if (i !== -1) this.list.splice(i, 1);
    m.marker = marker;
    return this.add(m);
  }

  clear(): void {
    this.list.length = 0;
    this._markers.clear();
  }

  remove(marker: number): boolean {
    const i = this.list.findIndex((m) => m.marker === marker);
    if (i === -1) return false;
    this._drop(i);
    return true;
  }

  /** The oldest marker of one pipe held here (where paging back continues). */
  oldestMarker(pipe: string): number | undefined {
    return this.list.find((m) => m.pipe === pipe && m.marker !== undefined)?.marker;
  }

  private _drop(i: number): void {
    const [m] = this.list.splice(i, 1);
    if (m?.marker !== undefined) this._markers.delete(m.marker);
  }

  /** Binary search over the confirmed prefix (unconfirmed messages sit after it). */
  private _indexFor(marker: number): number {
    let hi = this.list.length;
    while (hi > 0 && this.list[hi - 1].marker === undefined) hi--;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.list[mid].marker! < marker) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
