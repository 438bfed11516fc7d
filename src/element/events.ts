/** The DOM events of <comet-chat>: all bubble and cross shadow roots (`composed`). */
import type { AuthInfo, DeliveryReport, IncomingMessage } from '../protocol/wire.js';
import type { ChatMessage } from './message-log.js';

export interface CometConnectDetail {
  /** Who the server says this connection is. */
  auth: AuthInfo;
}
export interface CometDisconnectDetail {
  /** `reconnecting` when the client will retry by itself, `disconnected` when it stopped. */
  status: 'reconnecting' | 'disconnected';
}
export interface CometMessageDetail {
  /** The message as the feed shows it. */
  message: ChatMessage;
  /** What arrived from the server. */
  raw: IncomingMessage;
}
export interface CometSendDetail {
  text: string;
  /** What will be published; a listener may add fields. Call `preventDefault()` to stop the send. */
  data: { text: string; name?: string } & Record<string, unknown>;
}
export interface CometDeliveryDetail {
  message: ChatMessage;
  /** `error` is "" when the server took the message; `number_messages` is how many received it. */
  report: DeliveryReport | { number_messages: 0; error: string; message: string };
}
export interface CometErrorDetail {
  /** A wire ErrorCode, `disconnected` or `timeout`. */
  error: string;
  message: string;
}

export interface CometEditDetail {
  /** The message as the feed shows it now. */
  message: ChatMessage;
}
export interface CometDeleteDetail {
  marker: number;
  /** The message stays as "message deleted"; false: it left the feed. */
  tombstone: boolean;
}
export interface CometReactionDetail {
  message: ChatMessage;
  emoji: string;
  /** How many reacted with it now. */
  count: number;
  /** Added (true) or taken back. */
  on: boolean;
}

export interface CometChatEventMap {
  'comet-connect': CometConnectDetail;
  'comet-disconnect': CometDisconnectDetail;
  'comet-message': CometMessageDetail;
  'comet-send': CometSendDetail;
  'comet-delivery': CometDeliveryDetail;
  'comet-error': CometErrorDetail;
  'comet-edit': CometEditDetail;
  'comet-delete': CometDeleteDetail;
  'comet-reaction': CometReactionDetail;
  /** Launcher mode: the panel opened (by the user or by setting `open`). No detail. */
  'comet-open': null;
  /** Launcher mode: the panel closed. No detail. */
  'comet-close': null;
}

/** Dispatches a bubbling, composed CustomEvent; returns false when a cancelable one was cancelled. */
export function emit<K extends keyof CometChatEventMap>(
  target: EventTarget,
  type: K,
  detail: CometChatEventMap[K],
  cancelable = false,
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable }));
}

declare global {
  interface HTMLElementEventMap {
    'comet-connect': CustomEvent<CometConnectDetail>;
    'comet-disconnect': CustomEvent<CometDisconnectDetail>;
    'comet-message': CustomEvent<CometMessageDetail>;
    'comet-send': CustomEvent<CometSendDetail>;
    'comet-delivery': CustomEvent<CometDeliveryDetail>;
    'comet-error': CustomEvent<CometErrorDetail>;
    'comet-edit': CustomEvent<CometEditDetail>;
    'comet-delete': CustomEvent<CometDeleteDetail>;
    'comet-reaction': CustomEvent<CometReactionDetail>;
    'comet-open': CustomEvent<null>;
    'comet-close': CustomEvent<null>;
  }
}
