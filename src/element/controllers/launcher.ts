/**
 * Launcher mode: the floating button opens and closes the panel (Escape closes it and gives the focus back
 * to the button), `comet-open` / `comet-close` follow `open`, and while the reader is away (panel closed or
 * tab hidden) the page title can show the unread count and a short tone can mark a burst of messages.
 *
 * A chunk of its own (comet-chat-launcher.js), loaded only for `mode="launcher"`, `title-badge` or `sound`. Its build
 * names `_` members differently from the element's: it reaches the element through public members and the bridge it is
 * handed, and the element calls it by public names alone.
 */
import type { ReactiveController } from 'lit';
import type { CometChat } from '../comet-chat.js';
import { emit } from '../events.js';
import { launcherStyles } from './launcher-styles.js';

/** At most one tone per this many ms: a burst of messages sounds once. */
const TONE_GAP_MS = 3000;

/** What the element hands the launcher. */
export interface LauncherBridge {
  /** The first element of a part in the shadow root. */
  part(name: string): HTMLElement | null;
  /** Messages that came while the reader was away. */
  unread(): number;
}

export class LauncherController implements ReactiveController {
  private _wasOpen: boolean | undefined;
  /** Focus goes into the panel after it opens: set when the user opened it. */
  private _focusIn = false;
  private _readUnread: number;
  private _toneAt = 0;
  private _audio: AudioContext | undefined;
  /** The page's own title while the badge shows, and the title the badge wrote. */
  private _pageTitle = '';
  private _badgeTitle: string | undefined;

  constructor(
    private readonly _host: CometChat,
    private readonly _bridge: LauncherBridge,
  ) {
    // What was unread before the chunk came is no news: no tone for it.
    this._readUnread = _bridge.unread();
    const root = _host.renderRoot as ShadowRoot;
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, launcherStyles()];
    _host.addController(this);
  }

  toggle = (): void => {
    this._focusIn = !this._host.open;
    this._host.open = !this._host.open;
  };

  /** Escape in the panel closes it (in inline mode `open` is false anyway). */
  keyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Escape' && !e.isComposing) this._host.open = false;
  };

  hostUpdated(): void {
    const h = this._host;
    const open = h.open && h.mode === 'launcher';
    if (open !== this._wasOpen) {
      const before = this._wasOpen;
      this._wasOpen = open;
      const active = h.shadowRoot!.activeElement;
      if (open && this._focusIn) {
        // Into the message field; while it is disabled, onto the panel's close button.
        const field = this._bridge.part('textarea') as HTMLTextAreaElement;
        (field.disabled ? this._bridge.part('close')! : field).focus();
      } else if (!open && active) {
        // The focus was in the panel (all else in launcher mode is the button), which is hidden now: give it to the
        // button that opens it again.
        this._bridge.part('launcher')?.focus();
      }
      this._focusIn = false;
      if (before !== undefined) emit(h, open ? 'comet-open' : 'comet-close', null);
    }
    const unread = this._bridge.unread();
    if (unread > this._readUnread && h.sound && Date.now() - this._toneAt > TONE_GAP_MS) this._tone();
    this._readUnread = unread;
    this._showTitle(h.titleBadge ? unread : 0);
  }

  hostDisconnected(): void {
    this._showTitle(0);
    // Browsers cap the audio contexts of a page: one per chat ever added would run out.
    void this._audio?.close();
    this._audio = undefined;
  }

  /** "(3) Title" while there is something unread; the page's title exactly as it was otherwise. */
  private _showTitle(unread: number): void {
    if (unread) {
      // A title the page set meanwhile is its own new title.
      if (document.title !== this._badgeTitle) this._pageTitle = document.title;
      document.title = this._badgeTitle = `(${unread}) ${this._pageTitle}`;
    } else if (this._badgeTitle !== undefined) {
      if (document.title === this._badgeTitle) document.title = this._pageTitle;
      this._badgeTitle = undefined;
    }
  }

  /** A soft tone at 880 Hz, fading out within 0.25 s, made by Web Audio (no file). Browsers may keep it silent until the page was used. */
  private _tone(): void {
    this._toneAt = Date.now();
    try {
      const ctx = (this._audio ??= new AudioContext());
      const now = ctx.currentTime;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      gain.gain.setTargetAtTime(0, now, 0.06);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(now + 0.25);
    } catch {
      // No Web Audio here: stay silent.
    }
  }
}
