import {
  EVENT_NAME_MAX,
  MESSAGE_ID_MAX,
  MESSAGE_ID_MIN,
  PIPE_NAME_MAX,
  PIPE_NAME_MIN,
  USER_KEY_MAX,
} from './limits.js';

/** Default event name of a message, as in the seed (`server_info.event: "undefined"`). */
export const DEFAULT_EVENT = 'undefined';
/** Browsers may publish into these pipes directly. */
export const WEB_PREFIX = 'web_';
/** Browsers may publish into these only when authorized. */
export const WEBAUTH_PREFIX = 'webauth_';
/** The server itself publishes `subscription` / `unsubscription` into these: presence. */
export const TRACK_PREFIX = 'track_';
/** Personal messages from the backend to one user id. */
export const MSG_PIPE = 'msg';
/** Events the server emits into `track_` pipes. */
export const TRACK_EVENTS = { subscription: 'subscription', unsubscription: 'unsubscription' } as const;

const NAME_CHARS = /^[A-Za-z0-9_-]+$/;
const USER_KEY_CHARS = /^[0-9A-Za-z=+/_]+$/;

export function isValidPipeName(name: unknown): name is string {
  return (
    typeof name === 'string' && name.length >= PIPE_NAME_MIN && name.length <= PIPE_NAME_MAX && NAME_CHARS.test(name)
  );
}

export function isValidEventName(name: unknown): name is string {
  return typeof name === 'string' && name.length >= 1 && name.length <= EVENT_NAME_MAX && NAME_CHARS.test(name);
}

export function isValidMessageId(id: unknown): id is string {
  return typeof id === 'string' && id.length >= MESSAGE_ID_MIN && id.length <= MESSAGE_ID_MAX && NAME_CHARS.test(id);
}

export function isValidUserKey(key: unknown): key is string {
  return typeof key === 'string' && key.length >= 1 && key.length <= USER_KEY_MAX && USER_KEY_CHARS.test(key);
}

export const isWebPipe = (pipe: string): boolean => pipe.startsWith(WEB_PREFIX);
export const isWebAuthPipe = (pipe: string): boolean => pipe.startsWith(WEBAUTH_PREFIX);
export const isTrackPipe = (pipe: string): boolean => pipe.startsWith(TRACK_PREFIX);

/** May a browser connection publish into this pipe? */
export function browserMayPublish(pipe: string, authorized: boolean): boolean {
  return isWebPipe(pipe) || (authorized && isWebAuthPipe(pipe));
}

/** A subscription target: a whole pipe (`event` undefined) or one event of it. */
export interface Subscription {
  pipe: string;
  event?: string;
}

/**
 * Parses `pipe` or `pipe.event` (the seed's subscription syntax).
 * Returns null for anything that is not a valid pipe / event name.
 */
export function parseSubscription(target: unknown): Subscription | null {
  if (typeof target !== 'string') return null;
  const dot = target.indexOf('.');
  if (dot === -1) return isValidPipeName(target) ? { pipe: target } : null;
  const pipe = target.slice(0, dot);
  const event = target.slice(dot + 1);
  return isValidPipeName(pipe) && isValidEventName(event) ? { pipe, event } : null;
}

/** The inverse of parseSubscription. */
export function formatSubscription(sub: Subscription): string {
  return sub.event === undefined ? sub.pipe : `${sub.pipe}.${sub.event}`;
}
