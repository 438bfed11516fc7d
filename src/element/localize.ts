/**
 * Strings of <comet-chat> by language, and a controller that re-renders its host when the
 * language changes: the host's own `lang`, else the page's `<html lang>` (watched for changes).
 * English is built in; other languages are chunks of their own, loaded when an element first needs one.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ClientErrorCode } from '../client/errors.js';
import type { ConnectionStatus } from '../client/types.js';
import en from './translations/en.js';

/**
 * The strings of the message actions (menu, editing, reactions, replies, "seen by"). Their English ones ship with
 * the actions' chunk (translations/en-lifecycle.ts), so a translation may leave them out.
 */
export interface LifecycleStrings {
  /** The label of a message's actions button. */
  actions: string;
  /** The label of the actions menu: whose message it is about. */
  actionsOf: (name: string) => string;
  reply: string;
  edit: string;
  delete: string;
  /** A reaction in the menu (its label): `emoji` is the reaction. */
  react: (emoji: string) => string;
  /** A reaction chip's label: the emoji and how many reacted with it. */
  reactions: (emoji: string, count: number) => string;
  confirmDelete: string;
  cancel: string;
  save: string;
  /** The label of the field that edits a message in place. */
  editLabel: string;
  /** Shown on a message that was edited. */
  edited: string;
  /** In place of a deleted message's text. */
  deleted: string;
  /** Above the composer while writing a reply. */
  replyingTo: (name: string) => string;
  cancelReply: string;
  /** A quote's label: it goes to the message it quotes. */
  toOriginal: string;
  /** How many others have seen my message. */
  seenBy: (count: number) => string;
}

/** Every user-facing string; functions take the variable part. Names and texts passed in are plain text. */
export interface Translation extends Partial<LifecycleStrings> {
  /** Language code (`en`, `ru`, `pt-BR`, …). */
  $code: string;
  title: string;
  online: (count: number) => string;
  status: Record<ConnectionStatus, string>;
  feedLabel: string;
  empty: string;
  loadEarlier: string;
  loading: string;
  newMessages: string;
  you: string;
  anonymous: string;
  user: (id: number) => string;
  joined: (name: string) => string;
  left: (name: string) => string;
  /** `names` is empty when only unnamed users type; a guest's (typed) name comes as "~Name". */
  typing: (names: string[]) => string;
  nameLabel: string;
  namePlaceholder: string;
  messageLabel: string;
  messagePlaceholder: string;
  send: string;
  sending: string;
  delivered: (count: number) => string;
  failed: (reason: string) => string;
  /** On my message waiting for the connection (or for the server's answer). */
  pending: string;
  /** Sends a message that failed for a passing reason again. */
  retry: string;
  /** Why the server refused my message, by error code; without one, the server's own (English) words. */
  refused?: Partial<Record<ClientErrorCode, string>>;
  reasonReadonly: string;
  reasonOffline: string;
  reasonNoPublish: string;
  reasonNeedName: string;
  /** The launcher button's label, with the count of unread messages (0: none). */
  openChat: (unread: number) => string;
  closeChat: string;
  /** Shows the whole of a long message. */
  showMore: string;
  /** Connected, but the server says it cannot serve now (shown in place of the status). */
  unavailable: string;
  reasonUnavailable: string;
}

const translations = new Map<string, Translation>([['en', en]]);
/** The languages shipped as chunks, until each is asked for. */
const shipped = new Map<string, () => Promise<{ default: Translation }>>([
  ['ru', () => import('./translations/ru.js')],
]);
/** Shipped languages on their way. */
const loading = new Map<string, Promise<unknown>>();
const hosts = new Set<ReactiveControllerHost>();

let observer: MutationObserver | undefined;

/** Adds (or replaces) a language; every element re-renders with it. */
export function registerTranslation(...list: Translation[]): void {
  for (const t of list) translations.set(t.$code.toLowerCase(), t);
  for (const host of hosts) host.requestUpdate();
}

/** The best registered translation for a language tag: exact, then its primary subtag, then English. */
export function translationFor(lang: string): Translation {
  const code = lang.toLowerCase();
  return translations.get(code) ?? translations.get(code.split('-')[0]) ?? en;
}

/**
 * Loads the shipped translation `lang` needs, if any and not there yet; resolves when it is in (or failed to
 * come: the language falls back as translationFor says). A translation the page registered is never replaced.
 */
function load(lang: string): Promise<unknown> | undefined {
  const code = lang.toLowerCase();
  if (translations.has(code)) return undefined;
  const primary = code.split('-')[0];
  if (translations.has(primary) || !shipped.has(primary)) return loading.get(primary);
  const done = shipped.get(primary)!()
    .then(({ default: t }) => translations.has(primary) || registerTranslation(t))
    .catch(() => undefined)
    .finally(() => loading.delete(primary));
  shipped.delete(primary);
  loading.set(primary, done);
  return done;
}

/** Re-renders its host when `<html lang>` changes; `term()` resolves strings with per-element overrides. */
export class LocalizeController implements ReactiveController {
  constructor(private readonly _host: ReactiveControllerHost & HTMLElement & { strings?: Partial<Translation> }) {
    _host.addController(this);
  }

  hostConnected(): void {
    hosts.add(this._host);
    if (!observer) {
      observer = new MutationObserver(() => hosts.forEach((h) => h.requestUpdate()));
      observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    }
  }

  hostDisconnected(): void {
    hosts.delete(this._host);
  }

  /** The language in effect: the host's `lang`, else the page's, else English. */
  lang(): string {
    return this._host.lang || document.documentElement.lang || 'en';
  }

  /** While the language in effect is on its way: resolves once it is in. The host waits with its update. */
  loading(): Promise<unknown> | undefined {
    return load(this.lang());
  }

  term<K extends keyof Translation>(key: K): Translation[K] {
    return this._host.strings?.[key] ?? translationFor(this.lang())[key];
  }
}
