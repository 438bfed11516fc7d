/**
 * Writing: the draft, the anonymous user's name, Enter to send, typing notices, why sending is blocked,
 * and my message from its local echo to the server's delivery report.
 */
import { newMessageId } from '../../client/comet-client.js';
import { CometClientError, asClientError } from '../../client/errors.js';
import type { DeliveryReport } from '../../protocol/wire.js';
import { browserMayPublish } from '../../protocol/names.js';
import type { CometChat } from '../comet-chat.js';
import { emit, type CometChatEventMap } from '../events.js';
import type { ChatMessage } from '../message-log.js';

/** Refusals that pass: the message may be sent again (with its id, so one that did land is not doubled). */
const TRANSIENT = new Set(['rate_limited', 'unavailable', 'timeout']);

type Delivery = { state: 'sending' } | { state: 'delivered'; count: number } | { state: 'failed'; reason: string };

/** Needs no lifecycle hook of the host: its state changes only on the host's events and requests. */
export class ComposerController {
  /** The text in the message field. */
  _draft = '';
  /** What became of my last message. */
  _delivery: Delivery | null = null;
  private _localSeq = 0;
  /** Sends again each of my failed messages that may be retried (the message view's retry buttons). */
  readonly _retries = new WeakMap<ChatMessage, () => void>();

  constructor(private readonly _host: CometChat) {}

  /** See CometChat.send. */
  async _send(text: string): Promise<DeliveryReport | undefined> {
    const h = this._host;
    const auth = h._connection._auth;
    text = text.trim();
    if (!text) return undefined;
    const authorized = !!auth?.authorized;
    const data: CometChatEventMap['comet-send']['data'] = authorized ? { text } : { text, name: h.name.trim() };
    if (!emit(h, 'comet-send', { text, data }, true)) return undefined;
    const message: ChatMessage = {
      reply: h._more?.takeReply(),
      id: `l${++this._localSeq}`,
      kind: 'message',
      pipe: h.pipe,
      event: 'undefined',
      userId: auth?.user_id ?? 0,
      name: authorized ? (auth?.user_name ?? '') : (data.name ?? ''),
      text,
      time: Date.now(),
      mine: true,
      state: 'sending',
    };
    h._log.add(message);
    h._scroll._appended();
    return this._publish(message, data, newMessageId());
  }

  /** Publishes my message; waits in the client's outbox while the connection is down. */
  private async _publish(
    message: ChatMessage,
    data: CometChatEventMap['comet-send']['data'],
    id: string,
  ): Promise<DeliveryReport> {
    const h = this._host;
    const client = h._connection._client;
    message.state = 'sending';
    this._delivery = { state: 'sending' };
    h.requestUpdate();
    try {
      if (!client) throw new CometClientError('disconnected', 'not connected to the comet server');
      const report = await client.publish(h.pipe, data, { id, replyTo: message.reply?.marker });
      message.state = 'sent';
      if (report.marker !== undefined) h._log.confirm(message, report.marker);
      this._delivery = { state: 'delivered', count: report.number_messages };
      emit(h, 'comet-delivery', { message, report });
      return report;
    } catch (err) {
      const e = asClientError(err);
      message.state = 'failed';
      message.error = h._t('refused')?.[e.code] ?? e.message;
      if (TRANSIENT.has(e.code))
        this._retries.set(message, () => void this._publish(message, data, id).catch(() => undefined));
      this._delivery = { state: 'failed', reason: message.error };
      emit(h, 'comet-delivery', { message, report: { number_messages: 0, error: e.code, message: e.message } });
      h._fail(e.code, e.message);
      throw err;
    } finally {
      h.requestUpdate();
    }
  }

  /** Why sending is not possible now, or "" when it is. */
  _blockedReason(): string {
    const h = this._host;
    const c = h._connection;
    if (h.readonly) return h._t('reasonReadonly');
    // While reconnecting my messages wait in the outbox; before the first connection nothing is known of me yet.
    if (c._status !== 'connected' && (c._status !== 'reconnecting' || !c._auth)) return h._t('reasonOffline');
    if (!c._available) return h._t('reasonUnavailable');
    if (!browserMayPublish(h.pipe, !!c._auth?.authorized)) return h._t('reasonNoPublish');
    return '';
  }

  /** An anonymous user names themselves; an authorized one has the server's name. */
  _asksName(): boolean {
    return !this._host._connection._auth?.authorized;
  }

  _deliveryText(): string {
    const d = this._delivery;
    const t = this._host._t;
    if (!d) return '';
    if (d.state === 'sending') return t('sending');
    return d.state === 'delivered' ? t('delivered')(d.count) : t('failed')(d.reason);
  }

  _handleKeyDown = (e: KeyboardEvent): void => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this._submit();
    }
  };

  _handleInput = (e: Event): void => {
    const h = this._host;
    this._draft = (e.target as HTMLTextAreaElement).value;
    h.requestUpdate();
    // The name counts for a guest only: the server ignores it for an authorized user.
    if (h._connection._status === 'connected') h._connection._client?.typing(h.pipe, h.name.trim());
  };

  /**
   * The name field sets `name` when it changes (on leaving it) and when the message goes out, not at every
   * keystroke: `name` is a reflected property, and each change of it renders the whole element.
   */
  _commitName = (): void => {
    const field = this._host._part<HTMLInputElement>('name-input');
    if (field) this._host.name = field.value;
  };

  _submit = (): void => {
    const h = this._host;
    this._commitName();
    if (this._blockedReason() || !this._draft.trim()) return;
    if (this._asksName() && !h.name.trim()) return h._part('name-input')!.focus();
    const text = this._draft;
    this._draft = '';
    // The send button goes disabled with the field emptied: keep the keyboard in the field.
    h._part('textarea')!.focus();
    h.send(text).then(
      (report) => {
        // A comet-send listener cancelled it: the text is not lost.
        if (!report) this._draft = text;
        h.requestUpdate();
      },
      () => undefined,
    );
  };
}
