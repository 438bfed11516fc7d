/**
 * What happens to a message after it was sent: replies quote it, its author edits or deletes it within
 * the app's window (backends any message, any time), readers react to it and say how far they have read.
 * The Core delegates here; every change reaches the pipe's subscribers through the Fanout port and the
 * app's backend through its webhook, and is kept in history.
 */
import {
  DEFAULT_EDIT_WINDOW_SECONDS,
  DEFAULT_REACTIONS,
  HISTORY_PAGE_MAX,
  READERS_LIST_MAX,
  REACTORS_LIST_MAX,
  USER_NAME_MAX,
} from '../../protocol/limits.js';
import { blankQuote, excerptOf } from '../../protocol/quotes.js';
import type {
  DeleteNotice,
  EditNotice,
  PresenceUser,
  ReactionNotice,
  ReadPosition,
  ReplyQuote,
} from '../../protocol/wire.js';
import {
  StoreBusyError,
  type HistoryLimits,
  type HistoryUpdate,
  isUserReader,
  type ReaderPosition,
  type Store,
  type StoredMessage,
} from '../store/types.js';
import type { App } from './apps.js';
import { isMember, type Connection } from './connection.js';
import { CoreError } from './errors.js';
import type { Fanout } from './fanout-port.js';
import { checkData, checkPipe } from './input-checks.js';
import { isAuthor, reactionCounts, toIncoming } from './message-view.js';
import type { WebhookEvent } from './webhook.js';

/** What the lifecycle needs of the Core that hosts it. */
export interface LifecycleHost {
  store: Store;
  /** The Core's clock. */
  now: () => number;
  out: () => Fanout;
  requireApp(appId: string): App;
  maxMessageBytes: number;
  /** Throws the refusal when the connection may not write into the pipe (browsers' pipe rules, bans). */
  checkWriter(conn: Connection, pipe: string): Promise<void>;
  isBanned(conn: Connection, pipe: string): Promise<boolean>;
  /** Tells the app's backend through its webhook, when it has one. */
  tellBackend(appId: string, event: WebhookEvent): Promise<void>;
  /** Where the pipe's history stops growing: a changed message that grows it evicts as an append does. */
  historyLimits(app: App, pipe: string): Promise<HistoryLimits>;
  /**
   * Takes `bytes` from the connection's budget for reading stored data, refusing (`rate_limited`) when it is
   * spent; settleReads then takes what was read beyond that (`bytes` > 0) or gives back what was not (< 0).
   */
  reserveReads(conn: Connection, bytes: number): void;
  settleReads(conn: Connection, bytes: number): void;
}

/** Who reacted with each emoji (a few), and how many did. */
export interface Reactors {
  reactors: Record<string, PresenceUser[]>;
  reactions: Record<string, number>;
}

export class MessageLifecycle {
  constructor(private readonly host: LifecycleHost) {}

  /** The quote a reply to `marker` carries; `not_found` when the pipe's history has no such message. */
  async quote(appId: string, pipe: string, marker: number): Promise<ReplyQuote> {
    return quoteOf(await this.find(appId, pipe, marker));
  }

  /** Changes a message's data: its author within the app's window (`by`), or the backend (no `by`). */
  async edit(appId: string, pipe: string, marker: number, data: unknown, by?: Connection): Promise<{ edited: number }> {
    const app = this.host.requireApp(appId);
    checkPipe(pipe);
    checkMarker(marker);
    if (by) await this.host.checkWriter(by, pipe);
    checkData(data, this.host.maxMessageBytes);
    const now = this.host.now();
    const update = await this.withReads(app, by, async () => {
      const limits = await this.host.historyLimits(app, pipe);
      const update = await this.update(
        appId,
        pipe,
        marker,
        (m) => {
          this.authorize(app, m, by, now);
          return { ...m, data: data ?? null, edited: now };
        },
        limits,
      );
      if (!update) throw notFound(pipe, marker);
      // Replies quote the message as it reads now: an author who edits a secret out takes it out of the quotes too.
      const read = sameQuote(quoteOf(update.before), quoteOf(update.after)) ? 0 : await this.requote(app, pipe, marker);
      return { value: update, read };
    });
    const notice: EditNotice = { pipe, marker, data: update.after.data, edited: now };
    this.host.out().notifyEdit(appId, notice, update.after.event);
    await this.host.tellBackend(appId, { type: 'message.edited', message: toIncoming(update.after, false) });
    return { edited: now };
  }

  /** The author deletes a message within the app's window: a tombstone stays, or nothing (the app's deleteMode). */
  async remove(conn: Connection, pipe: string, marker: number): Promise<void> {
    const app = this.host.requireApp(conn.appId);
    await this.host.checkWriter(conn, pipe);
    const now = this.host.now();
    const tombstone = (app.deleteMode ?? 'tombstone') === 'tombstone';
    await this.withReads(app, conn, async () => {
      const limits = await this.host.historyLimits(app, pipe);
      const update = await this.update(
        conn.appId,
        pipe,
        marker,
        (m) => {
          this.authorize(app, m, conn, now);
          return tombstone ? tombstoneOf(m) : undefined;
        },
        limits,
      );
      if (!update) throw notFound(pipe, marker);
      if (!tombstone) await this.host.store.deleteHistory(conn.appId, pipe, marker);
      return { value: undefined, read: await this.requote(app, pipe, marker) };
    });
    const notice: DeleteNotice = tombstone ? { pipe, marker, tombstone: true } : { pipe, marker };
    this.host.out().notifyDelete(conn.appId, notice);
    await this.host.tellBackend(conn.appId, { type: 'message.deleted', deleted: notice });
  }

  /**
   * Runs a change that reads history on a connection's behalf (`by`; none for the backend), priced like a history
   * request: as much as the pipe may hold is taken from the connection's reply bytes first, so changes sent
   * together cannot all find the budget full, and what was not read is given back.
   */
  private async withReads<T>(
    app: App,
    by: Connection | undefined,
    change: () => Promise<{ value: T; read: number }>,
  ): Promise<T> {
    if (!by) return (await change()).value;
    const reserved = app.quota.pipeHistoryBytes;
    this.host.reserveReads(by, reserved);
    let read = 0;
    try {
      const done = await change();
      read = done.read;
      return done.value;
    } finally {
      this.host.settleReads(by, read - reserved);
    }
  }

  /**
   * Brings the quotes of `marker`'s replies to what it is now: its current text, or blank once it is deleted or gone.
   * Replies come after it in the pipe, which keeps at most HISTORY_LENGTH_MAX entries. A change of the message made
   * while its replies were being read (another edit) is caught by reading it again after: one more pass, at most
   * REQUOTE_PASSES. Resolves with the bytes of history read.
   */
  async requote(app: App, pipe: string, marker: number): Promise<number> {
    const limits = await this.host.historyLimits(app, pipe);
    let read = 0;
    let fresh = await this.currentQuote(app.id, pipe, marker);
    for (let pass = 1; ; pass++) {
      for (let after = marker; ;) {
        const page = await this.host.store.readHistory(app.id, pipe, { limit: HISTORY_PAGE_MAX, after });
        read += page.bytes;
        for (const m of page.messages) {
          if (m.reply?.marker === marker && requoted(m, fresh)) {
            await this.update(app.id, pipe, m.marker, (current) => requoted(current, fresh), limits);
          }
        }
        const last = page.messages.at(-1);
        if (!last || page.messages.length < HISTORY_PAGE_MAX) break;
        after = last.marker;
      }
      const again = await this.currentQuote(app.id, pipe, marker);
      if (pass === REQUOTE_PASSES || again === fresh || (again && fresh && sameQuote(again, fresh))) return read;
      fresh = again;
    }
  }

  /**
   * A reply just kept in history quotes `reply`, read before it was kept: the original may have been edited or
   * deleted since, its requote missing this reply. Brings the one reply up to date.
   */
  async settleReply(appId: string, pipe: string, replyMarker: number, reply: ReplyQuote): Promise<void> {
    const fresh = await this.currentQuote(appId, pipe, reply.marker);
    if (sameQuote(reply, toward(fresh, reply))) return;
    const limits = await this.host.historyLimits(this.host.requireApp(appId), pipe);
    await this.update(appId, pipe, replyMarker, (current) => requoted(current, fresh), limits);
  }

  /** How `marker` is quoted now; undefined once it is deleted or gone (its quotes go blank). */
  private async currentQuote(appId: string, pipe: string, marker: number): Promise<ReplyQuote | undefined> {
    const m = await this.lookUp(appId, pipe, marker);
    return m && !m.deleted ? quoteOf(m) : undefined;
  }

  /** Adds or takes back the connection's reaction (one per reader and emoji); resolves with the emoji's count. */
  async react(
    conn: Connection,
    req: { pipe: string; marker: number; emoji: string; on: boolean },
  ): Promise<{ count: number }> {
    const { pipe, marker, emoji, on } = req;
    const app = this.host.requireApp(conn.appId);
    const offered = app.reactions ?? DEFAULT_REACTIONS;
    if (!offered.includes(emoji)) {
      throw new CoreError('invalid', `${emoji} is not one of this app's reactions (${offered.join(' ')})`);
    }
    await this.host.checkWriter(conn, pipe);
    const limits = await this.host.historyLimits(app, pipe);
    const update = await this.update(
      conn.appId,
      pipe,
      marker,
      (m) => {
        if (m.deleted) throw deleted(marker);
        if (hasReacted(m, emoji, conn.reader) === on) return undefined;
        const reactions = toggled(m.reactions ?? {}, emoji, conn.reader, on ? (conn.user_name ?? '') : undefined);
        if (on) checkReactionBytes(reactions, conn.reader, marker, app.quota.reactionBytes);
        const next: StoredMessage = { ...m, reactions };
        if (Object.keys(reactions).length === 0) delete next.reactions;
        return next;
      },
      limits,
    );
    if (!update) throw notFound(pipe, marker);
    const count = Object.keys(update.after.reactions?.[emoji] ?? {}).length;
    if (hasReacted(update.before, emoji, conn.reader) !== hasReacted(update.after, emoji, conn.reader)) {
      const notice: ReactionNotice = { pipe, marker, emoji, count, on, user_id: conn.user_id };
      if (conn.user_name !== undefined) notice.user_name = conn.user_name;
      this.host.out().notifyReaction(conn.appId, notice, update.after.event);
      await this.host.tellBackend(conn.appId, { type: on ? 'reaction.added' : 'reaction.removed', reaction: notice });
    }
    return { count };
  }

  /** Who reacted to a message: at most REACTORS_LIST_MAX per emoji (guests as user 0), and every count. */
  async reactors(appId: string, pipe: string, marker: number): Promise<Reactors> {
    this.host.requireApp(appId);
    checkPipe(pipe);
    checkMarker(marker);
    const m = await this.find(appId, pipe, marker);
    const reactors: Record<string, PresenceUser[]> = {};
    for (const [emoji, by] of Object.entries(m.reactions ?? {})) {
      reactors[emoji] = Object.entries(by).slice(0, REACTORS_LIST_MAX).map(reactorOf);
    }
    return { reactors, reactions: reactionCounts(m) ?? {} };
  }

  /** The connection has seen its pipe up to `marker`: kept and told to the pipe when it moved forward. */
  async read(conn: Connection, pipe: string, marker: number): Promise<void> {
    const app = this.host.requireApp(conn.appId);
    // Only the pipes it shows: what a connection reads is bounded by what it subscribed to.
    if (!isMember(conn, pipe)) throw new CoreError('forbidden', `subscribe to ${pipe} before marking it read`);
    if (await this.host.isBanned(conn, pipe)) throw new CoreError('banned', 'you are banned from this pipe');
    await this.find(conn.appId, pipe, marker);
    const position: ReaderPosition = { reader: conn.reader, user_id: conn.user_id, marker };
    if (conn.user_name !== undefined) position.user_name = conn.user_name;
    const moved = await this.host.store.advanceReader(
      conn.appId,
      pipe,
      position,
      this.host.now(),
      app.quota.readersPerPipe,
    );
    if (moved) this.host.out().notifyRead(conn.appId, { pipe, ...position });
  }

  /** The furthest READERS_LIST_MAX readers of a pipe, furthest first. */
  async readers(appId: string, pipe: string): Promise<ReadPosition[]> {
    this.host.requireApp(appId);
    checkPipe(pipe);
    return this.host.store.readers(appId, pipe, READERS_LIST_MAX);
  }

  /**
   * May `by` change `m` now? The backend (no `by`) any message; an author their own within the app's window.
   * A tombstone is changed by no one.
   */
  private authorize(app: App, m: StoredMessage, by: Connection | undefined, now: number): void {
    if (m.deleted) throw deleted(m.marker);
    if (!by) return;
    if (!isAuthor(m, by)) throw new CoreError('forbidden', 'only its author may change a message');
    const window = app.editWindowSeconds ?? DEFAULT_EDIT_WINDOW_SECONDS;
    if (window === 0) throw new CoreError('forbidden', 'this app does not let authors change their messages');
    if (now - m.time > window * 1000) {
      throw new CoreError(
        'forbidden',
        `messages may be changed for ${window} seconds after sending; message ${m.marker} is older`,
      );
    }
  }

  /** The store's updateHistory; an entry too busy to change now is a refusal the client retries, not a fault. */
  private async update(...args: Parameters<Store['updateHistory']>): Promise<HistoryUpdate | null> {
    try {
      return await this.host.store.updateHistory(...args);
    } catch (err) {
      if (err instanceof StoreBusyError) throw new CoreError('unavailable', err.message);
      throw err;
    }
  }

  private async find(appId: string, pipe: string, marker: number): Promise<StoredMessage> {
    const m = await this.lookUp(appId, pipe, marker);
    if (!m) throw notFound(pipe, marker);
    return m;
  }

  /** The pipe's history entry `marker`, if it keeps one. */
  private async lookUp(appId: string, pipe: string, marker: number): Promise<StoredMessage | undefined> {
    const [m] = (await this.host.store.readHistory(appId, pipe, { limit: 1, before: marker + 1 })).messages;
    return m?.marker === marker ? m : undefined;
  }
}

function checkMarker(marker: number): void {
  if (!Number.isSafeInteger(marker) || marker <= 0) throw new CoreError('invalid', 'markers are positive integers');
}

const notFound = (pipe: string, marker: number) =>
  new CoreError('not_found', `no message ${marker} in the history of ${pipe}`);
const deleted = (marker: number) => new CoreError('not_found', `message ${marker} was deleted`);

/** What a deleted message leaves: who sent it and when, nothing of what it said. */
function tombstoneOf(m: StoredMessage): StoredMessage {
  const stone: StoredMessage = {
    marker: m.marker,
    pipe: m.pipe,
    event: m.event,
    user_id: m.user_id,
    time: m.time,
    data: null,
  };
  if (m.user_name !== undefined) stone.user_name = m.user_name;
  if (m.conn !== undefined) stone.conn = m.conn;
  stone.deleted = true;
  return stone;
}

/**
 * A message's reactions fit in `max` bytes, of which guests' take at most half: every new connection is a new guest,
 * so guests could otherwise fill a message's reactions for good and leave its members no room.
 */
function checkReactionBytes(
  reactions: Record<string, Record<string, string>>,
  reader: string,
  marker: number,
  max: number,
): void {
  if (Buffer.byteLength(JSON.stringify(reactions)) > max) {
    throw new CoreError('too_large', `message ${marker} holds as many reactions as it can`);
  }
  if (isUserReader(reader)) return;
  const guests = Object.fromEntries(
    Object.entries(reactions).map(([emoji, by]) => [
      emoji,
      Object.fromEntries(Object.entries(by).filter(([r]) => !isUserReader(r))),
    ]),
  );
  if (Buffer.byteLength(JSON.stringify(guests)) > max / 2) {
    throw new CoreError('too_large', `message ${marker} holds as many reactions from guests as it can`);
  }
}

/** How often requote reads its replies again when the message changed meanwhile. */
const REQUOTE_PASSES = 3;

/** The quote of a message: its author (a guest's own name too) and the start of its text; blank once deleted. */
function quoteOf(m: StoredMessage): ReplyQuote {
  const quote: ReplyQuote = {
    marker: m.marker,
    user_id: m.user_id,
    excerpt: m.deleted ? '' : excerptOf(textOf(m.data)),
  };
  if (m.user_name !== undefined) quote.user_name = m.user_name;
  const guest = m.user_id === 0 && !m.deleted ? guestNameOf(m.data) : '';
  if (guest) quote.guest_name = guest;
  return quote;
}

const sameQuote = (a: ReplyQuote, b: ReplyQuote) =>
  a.excerpt === b.excerpt && a.guest_name === b.guest_name && a.user_name === b.user_name;

/** The quote a reply holding `held` should have: `fresh`, or `held` made blank when the message is gone. */
const toward = (fresh: ReplyQuote | undefined, held: ReplyQuote): ReplyQuote => fresh ?? blankQuote(held);

/** A reply with its quote brought up to date, or undefined (no write) when it already is. */
function requoted(m: StoredMessage, fresh: ReplyQuote | undefined): StoredMessage | undefined {
  if (!m.reply) return undefined;
  const quote = toward(fresh, m.reply);
  return sameQuote(m.reply, quote) ? undefined : { ...m, reply: quote };
}

function hasReacted(m: StoredMessage, emoji: string, reader: string): boolean {
  const by = m.reactions?.[emoji];
  return by !== undefined && Object.hasOwn(by, reader);
}

/** The reactions with the reader's one added (with its name) or, without a name given, taken back. */
function toggled(
  reactions: Record<string, Record<string, string>>,
  emoji: string,
  reader: string,
  name: string | undefined,
): Record<string, Record<string, string>> {
  const by = { ...reactions[emoji] };
  if (name === undefined) delete by[reader];
  else by[reader] = name;
  const next = { ...reactions, [emoji]: by };
  if (Object.keys(by).length === 0) delete next[emoji];
  return next;
}

/** A reactor as listed: an authorized user by id and name, a guest as user 0. */
function reactorOf([reader, name]: [string, string]): PresenceUser {
  if (!isUserReader(reader)) return { user_id: 0 };
  const user: PresenceUser = { user_id: Number(reader.slice(1)) };
  if (name) user.user_name = name;
  return user;
}

/** The start of a message's text: `data` when a string, else `data.text`. */
function textOf(data: unknown): string {
  return typeof data === 'string' ? data : textField(data, 'text');
}

/** A guest's own name from its message's `data.name`, as the typing notice takes it. */
function guestNameOf(data: unknown): string {
  return Array.from(
    textField(data, 'name')
      .trim()
      .slice(0, 2 * USER_NAME_MAX),
  )
    .slice(0, USER_NAME_MAX)
    .join('');
}

function textField(data: unknown, field: string): string {
  if (typeof data !== 'object' || data === null) return '';
  const value = (data as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}
