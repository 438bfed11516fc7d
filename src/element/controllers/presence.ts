/**
 * Who is here: the pipe's online count (refreshed when its `track_` feed says someone came or went, and
 * every 30 s as a safety net) and who is typing (each shown for 4 s after their last notice).
 */
import type { ReactiveController } from 'lit';
import type { TypingNotice } from '../../protocol/wire.js';
import type { CometChat } from '../comet-chat.js';
import { isolate } from '../message-view.js';

const TYPING_SHOWN_MS = 4000;
/** A safety net only: the `track_` feed of the pipe tells when the count changes. */
const PRESENCE_REFRESH_MS = 30_000;

interface Typist {
  name: string;
  /** The name is the typist's own (a guest's), not one the server stamped. */
  guest: boolean;
  until: number;
}

export class PresenceController implements ReactiveController {
  /** Distinct users in the pipe, or null before the first answer. */
  _online: number | null = null;
  /** By user id; guests by their typed name. */
  private readonly _typists = new Map<number | string, Typist>();
  private _timers: ReturnType<typeof setInterval>[] = [];

  constructor(private readonly _host: CometChat) {
    _host.addController(this);
  }

  hostConnected(): void {
    this._timers = [setInterval(() => this._refresh(), PRESENCE_REFRESH_MS), setInterval(() => this._expire(), 1000)];
  }

  hostDisconnected(): void {
    this._timers.forEach(clearInterval);
  }

  /** Asks the server for the online count. */
  _refresh(): void {
    this._host._connection._client
      ?.presence(this._host.pipe)
      .then((p) => {
        this._online = p.count;
        this._host.requestUpdate();
      })
      .catch(() => undefined);
  }

  _onTyping(t: TypingNotice): void {
    if (t.pipe !== this._host.pipe || (t.user_id > 0 && t.user_id === this._host._connection._auth?.user_id)) return;
    // The server sends a stamped name for a member only, and a guest's own name for a guest only.
    this._typists.set(t.user_id || `~${t.guest_name ?? ''}`, {
      name: t.user_name ?? t.guest_name ?? '',
      guest: !t.user_id,
      until: Date.now() + TYPING_SHOWN_MS,
    });
    this._host.requestUpdate();
  }

  /** Someone typed, or stopped: that message leaves the feed when they send it. */
  _stopped(userId: number, name: string): void {
    if (this._typists.delete(userId || `~${name}`)) this._host.requestUpdate();
  }

  /** "Ann, ~Bob are typing…": each name isolated, a guest's marked with "~" as in the feed. */
  _text(): string {
    if (this._typists.size === 0) return '';
    const names = [...this._typists.values()]
      .filter((v) => v.name)
      .map((v) => isolate(v.guest ? `~${v.name}` : v.name));
    return this._host._t('typing')(names);
  }

  private _expire(): void {
    const now = Date.now();
    for (const [key, v] of this._typists) if (v.until < now && this._typists.delete(key)) this._host.requestUpdate();
  }
}
