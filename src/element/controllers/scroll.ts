/**
 * The reader's place in the feed and what they have not seen: which window of the log is in the DOM, keeping
 * the newest in view (or the place while earlier messages are put above), the "new messages" button while
 * scrolled up, and the unread count of messages that came while the reader was away (launcher closed or tab
 * hidden), which the launcher's badge, the page title and the sound follow.
 */
import type { ReactiveController } from 'lit';
import type { CometChat } from '../comet-chat.js';
import { PAGE_SIZE, RENDER_LIMIT } from '../feed-limits.js';

/** How close to the bottom (px) still counts as "reading the newest". */
const BOTTOM_SLACK = 40;

export class ScrollController implements ReactiveController {
  /** How many of the newest messages are in the DOM. */
  _visible = RENDER_LIMIT;
  /** Messages came while scrolled up: the "new messages" button shows. */
  _unseen = false;
  /** Messages from others that came while the reader was away. */
  _unread = 0;
  private _wasAppended = false;
  private _stick = false;
  /** The reader is at the newest (as of their last scroll): whatever grows in the feed keeps them there. */
  private _following = true;
  /**
   * A bubble that grows (a failed message's reason, a clamp lifted, the bubbles above laid out at their real
   * height) or a feed that shrinks (the footer's lines wrapping) changes no scroll position: while the reader
   * follows the newest, the feed is scrolled to its end again, before the frame is painted.
   */
  private _resize: ResizeObserver | undefined;
  /** Distance from the bottom to keep while earlier messages are put above, or -1. */
  private _prependHeight = -1;
  private readonly _onVisibility = () => this._host.requestUpdate();

  constructor(private readonly _host: CometChat) {
    _host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  hostDisconnected(): void {
    document.removeEventListener('visibilitychange', this._onVisibility);
    this._resize?.disconnect();
    this._resize = undefined;
  }

  /** A message was added at the end (live, or my own); `unread` when it is from someone else. */
  _appended(unread = false): void {
    this._wasAppended = true;
    if (unread && this._away()) this._unread++;
  }

  /** The panel is closed, or the tab hidden: messages that come now are unread. */
  _away(): boolean {
    const h = this._host;
    return (h.mode === 'launcher' && !h.open) || document.hidden;
  }

  /** Shows up to a page more of what memory holds above the window; returns how many (0: it shows all of it). */
  _revealEarlier(): number {
    const more = Math.min(PAGE_SIZE, this._host._log.list.length - this._visible);
    if (more <= 0) return 0;
    this._keepPlace();
    this._visible += more;
    this._host.requestUpdate();
    return more;
  }

  /** Earlier messages are about to be put above: keep the reader's place. */
  _keepPlace(): void {
    const f = this._host._part('feed');
    this._prependHeight = f ? f.scrollHeight - f.scrollTop : -1;
  }

  /** Back to the newest messages (the "new messages" button, or the launcher opening). */
  _toNewest = (): void => {
    this._unseen = false;
    this._visible = RENDER_LIMIT;
    this._stick = true;
    this._host.requestUpdate();
  };

  _handleScroll = (): void => {
    const f = this._host._part('feed')!;
    // Within a screen of the top, the next page that memory holds comes in (the place kept), as a click on "load
    // earlier" would bring it: the reader scrolls on through everything held.
    if (f.scrollTop < f.clientHeight && this._prependHeight < 0) this._revealEarlier();
    this._following = this._atBottom();
    if (this._unseen && this._following) {
      this._unseen = false;
      this._host.requestUpdate();
    }
  };

  hostUpdate(): void {
    if (this._wasAppended) {
      this._wasAppended = false;
      if (this._atBottom()) {
        this._visible = RENDER_LIMIT;
        this._stick = true;
      } else this._unseen = true;
    }
    if (!this._away()) this._unread = 0;
  }

  hostUpdated(): void {
    const f = this._host._part('feed');
    if (!f) return;
    if (!this._resize) {
      this._resize = new ResizeObserver(() => {
        if (this._following) f.scrollTop = f.scrollHeight;
      });
      this._resize.observe(f);
      this._resize.observe(f.querySelector(':scope>div')!);
    }
    if (this._prependHeight >= 0) {
      f.scrollTop = f.scrollHeight - this._prependHeight;
      this._prependHeight = -1;
    } else if (this._stick) {
      f.scrollTop = f.scrollHeight;
      this._following = true;
    }
    this._stick = false;
  }

  /** The newest messages are in view. */
  _atBottom(): boolean {
    const f = this._host._part('feed');
    return !f || f.scrollHeight - f.scrollTop - f.clientHeight <= BOTTOM_SLACK;
  }
}
