/** The Store in process memory: for `--memory`, tests and demos. Forgets everything on exit. */
import { randomUUID } from 'node:crypto';
import { banSubject } from './ban-subject.js';
import { sizeOf, takeWithin } from './history-page.js';
import {
  isUserReader,
  type BanTarget,
  type HistoryLimits,
  type HistoryPage,
  type HistoryRange,
  type HistoryUpdate,
  type HistoryUsage,
  type MarkerTicket,
  type PublishReceipt,
  type ReaderPosition,
  type Store,
  type StoredMessage,
  type UserKeyRecord,
} from './types.js';

interface Entry {
  msg: StoredMessage;
  size: number;
}

/** One pipe's history: entries ascending by marker, and their bytes. */
class PipeHistory {
  readonly entries: Entry[] = [];
  bytes = 0;

  dropOldest(): number {
    const size = this.entries.shift()!.size;
    this.bytes -= size;
    return size;
  }
}

/** Per-app state. */
class AppData {
  marker = 0;
  /** A new one per process: markers start again with every start. */
  readonly epoch = randomUUID();
  /** Pipe → history; the map's order is the order pipes were last written (least recent first). */
  readonly history = new Map<string, PipeHistory>();
  historyBytes = 0;
  readonly pipeLength = new Map<string, number>();
  readonly userKeys = new Map<number, UserKeyRecord>();
  /** Token → when it may be forgotten (ms), or null. */
  readonly revoked = new Map<string, number | null>();
  /** Ban key (see banKey) → expiry (ms) or null. */
  readonly bans = new Map<string, number | null>();
  readonly personal = new Map<number, StoredMessage[]>();
  /** Publish id → receipt and expiry, in claim order: the core claims with one window, so that is expiry order. */
  readonly publishIds = new Map<string, { receipt: PublishReceipt; expiresAt: number }>();
  readonly lastSeen = new Map<number, number>();
  /** Pipe → reader → position; each pipe's map in the order readers last moved (least recent first). */
  readonly readers = new Map<string, Map<string, ReaderPosition>>();
  webhook: string | null = null;
  secret: string | undefined;
}

/** A pipe without history any more: its read positions go with it (they name its markers). */
function forgetPipe(app: AppData, name: string): void {
  app.history.delete(name);
  app.readers.delete(name);
}

/** Drops what goes beyond `limits` after `name` was written: its oldest entries, then other pipes, least recently written first. */
function evict(app: AppData, name: string, pipe: PipeHistory, limits: HistoryLimits): void {
  while (pipe.entries.length > limits.keep || (pipe.bytes > limits.pipeBytes && pipe.entries.length > 1)) {
    app.historyBytes -= pipe.dropOldest();
  }
  for (const [other, victim] of app.history) {
    if (app.history.size <= limits.appPipes && app.historyBytes <= limits.appBytes) break;
    if (other === name) continue;
    forgetPipe(app, other);
    app.historyBytes -= victim.bytes;
  }
}

/** The subject (see banSubject), then `\0<pipe>` or nothing for app-wide. */
function banKey(subject: { user_id?: number; conn_id?: string }, pipe: string | undefined): string {
  const who = banSubject(subject);
  return pipe === undefined ? who : `${who}\u0000${pipe}`;
}

/** Deep copy through JSON, so callers never share objects with the store (as with a real database). */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class MemoryStore implements Store {
  private readonly apps = new Map<string, AppData>();

  private app(appId: string): AppData {
    let data = this.apps.get(appId);
    if (!data) {
      data = new AppData();
      this.apps.set(appId, data);
    }
    return data;
  }

  async nextMarker(appId: string): Promise<MarkerTicket> {
    const app = this.app(appId);
    return { marker: ++app.marker, epoch: app.epoch };
  }

  async markerEpoch(appId: string): Promise<string> {
    return this.app(appId).epoch;
  }

  async appendHistory(appId: string, msg: StoredMessage, limits: HistoryLimits): Promise<void> {
    const app = this.app(appId);
    const body = JSON.stringify(msg);
    const entry: Entry = { msg: JSON.parse(body) as StoredMessage, size: sizeOf(body) };
    const pipe = app.history.get(msg.pipe) ?? new PipeHistory();
    // Written now: to the end of the least-recently-written order.
    app.history.delete(msg.pipe);
    app.history.set(msg.pipe, pipe);
    // Publishers take markers before appending, so two of them may append out of marker order.
    let at = pipe.entries.length;
    while (at > 0 && pipe.entries[at - 1].msg.marker > msg.marker) at--;
    pipe.entries.splice(at, 0, entry);
    pipe.bytes += entry.size;
    app.historyBytes += entry.size;
    evict(app, msg.pipe, pipe, limits);
  }

  async readHistory(appId: string, pipe: string, range: HistoryRange): Promise<HistoryPage> {
    const inRange = (this.app(appId).history.get(pipe)?.entries ?? []).filter(
      ({ msg }) =>
        (range.before === undefined || msg.marker < range.before) &&
        (range.after === undefined || msg.marker > range.after),
    );
    const ordered = range.after !== undefined ? inRange.slice(0, range.limit) : inRange.slice(-range.limit).reverse();
    const { taken, bytes, more } = takeWithin(ordered, range.maxBytes);
    if (range.after === undefined) taken.reverse();
    return { messages: taken.map((e) => copy(e.msg)), bytes, more };
  }

  async historyUsage(appId: string): Promise<HistoryUsage> {
    const app = this.app(appId);
    return { bytes: app.historyBytes, pipes: app.history.size };
  }

  async deleteHistory(appId: string, pipe: string, marker: number): Promise<boolean> {
    const app = this.app(appId);
    const list = app.history.get(pipe);
    const at = list?.entries.findIndex((e) => e.msg.marker === marker) ?? -1;
    if (at === -1) return false;
    const [gone] = list!.entries.splice(at, 1);
    list!.bytes -= gone.size;
    app.historyBytes -= gone.size;
    if (list!.entries.length === 0) forgetPipe(app, pipe);
    return true;
  }

  async trimHistory(appId: string, pipe: string, keep: number): Promise<void> {
    const app = this.app(appId);
    const list = app.history.get(pipe);
    if (!list) return;
    while (list.entries.length > Math.max(keep, 0)) app.historyBytes -= list.dropOldest();
    if (list.entries.length === 0) forgetPipe(app, pipe);
  }

  async updateHistory(
    appId: string,
    pipe: string,
    marker: number,
    change: (msg: StoredMessage) => StoredMessage | undefined,
    limits: HistoryLimits,
  ): Promise<HistoryUpdate | null> {
    const app = this.app(appId);
    const list = app.history.get(pipe);
    const entry = list?.entries.find((e) => e.msg.marker === marker);
    if (!entry) return null;
    const changed = change(copy(entry.msg));
    if (changed === undefined) return { before: copy(entry.msg), after: copy(entry.msg) };
    const body = JSON.stringify(changed);
    const before = entry.msg;
    const size = sizeOf(body);
    list!.bytes += size - entry.size;
    app.historyBytes += size - entry.size;
    entry.msg = JSON.parse(body) as StoredMessage;
    entry.size = size;
    const after = copy(entry.msg);
    evict(app, pipe, list!, limits);
    return { before, after };
  }

  async advanceReader(
    appId: string,
    pipe: string,
    position: ReaderPosition,
    _now: number,
    max: number,
  ): Promise<boolean> {
    const all = this.app(appId).readers;
    const readers = all.get(pipe) ?? new Map<string, ReaderPosition>();
    all.set(pipe, readers);
    if ((readers.get(position.reader)?.marker ?? 0) >= position.marker) return false;
    // Moved now: to the end of the least-recently-moved order.
    readers.delete(position.reader);
    readers.set(position.reader, { ...position });
    // Guests go first, the one that just moved last of them: each connection is a new guest, and guests must not push
    // members' positions out. A user who just moved stays.
    for (const users of [false, true]) {
      for (const reader of readers.keys()) {
        if (readers.size <= max) return true;
        if (isUserReader(reader) === users && !(users && reader === position.reader)) readers.delete(reader);
      }
    }
    return true;
  }

  async readers(appId: string, pipe: string, limit: number): Promise<ReaderPosition[]> {
    const readers = [...(this.app(appId).readers.get(pipe)?.values() ?? [])];
    return readers
      .sort((a, b) => b.marker - a.marker)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async getPipeLength(appId: string, pipe: string): Promise<number | undefined> {
    return this.app(appId).pipeLength.get(pipe);
  }

  async setPipeLength(appId: string, pipe: string, length: number): Promise<void> {
    this.app(appId).pipeLength.set(pipe, length);
  }

  async deletePipeLength(appId: string, pipe: string): Promise<void> {
    this.app(appId).pipeLength.delete(pipe);
  }

  async setUserKey(appId: string, userId: number, record: UserKeyRecord): Promise<void> {
    this.app(appId).userKeys.set(userId, { ...record });
  }

  async getUserKey(appId: string, userId: number): Promise<UserKeyRecord | undefined> {
    const record = this.app(appId).userKeys.get(userId);
    return record && { ...record };
  }

  async deleteUserKey(appId: string, userId: number): Promise<boolean> {
    return this.app(appId).userKeys.delete(userId);
  }

  async revokeToken(appId: string, token: string, expiresAt: number | null): Promise<void> {
    this.app(appId).revoked.set(token, expiresAt);
  }

  async unrevokeToken(appId: string, token: string): Promise<void> {
    this.app(appId).revoked.delete(token);
  }

  async isTokenRevoked(appId: string, token: string): Promise<boolean> {
    return this.app(appId).revoked.has(token);
  }

  async addBan(appId: string, target: BanTarget, expiresAt: number | null): Promise<void> {
    this.app(appId).bans.set(banKey(target, target.pipe), expiresAt);
  }

  async removeBan(appId: string, target: BanTarget): Promise<void> {
    this.app(appId).bans.delete(banKey(target, target.pipe));
  }

  async isBanned(
    appId: string,
    who: { user_id: number; conn_id: string },
    pipe: string,
    now: number,
  ): Promise<boolean> {
    const bans = this.app(appId).bans;
    const subjects: { user_id?: number; conn_id?: string }[] = [{ conn_id: who.conn_id }];
    if (who.user_id > 0) subjects.push({ user_id: who.user_id });
    for (const subject of subjects) {
      for (const key of [banKey(subject, undefined), banKey(subject, pipe)]) {
        if (!bans.has(key)) continue;
        const expiresAt = bans.get(key)!;
        if (expiresAt === null || expiresAt > now) return true;
        bans.delete(key);
      }
    }
    return false;
  }

  async claimPublish(
    appId: string,
    key: string,
    receipt: PublishReceipt,
    now: number,
    expiresAt: number,
    max: number,
  ): Promise<PublishReceipt | null> {
    const ids = this.app(appId).publishIds;
    for (const [k, entry] of ids) {
      if (entry.expiresAt > now) break;
      ids.delete(k);
    }
    const prior = ids.get(key);
    if (prior) return { ...prior.receipt };
    for (const k of ids.keys()) {
      if (ids.size < max) break;
      ids.delete(k);
    }
    ids.set(key, { receipt: { ...receipt }, expiresAt });
    return null;
  }

  async settlePublish(appId: string, key: string, receipt: PublishReceipt): Promise<void> {
    const entry = this.app(appId).publishIds.get(key);
    if (entry) entry.receipt = { ...receipt };
  }

  async releasePublish(appId: string, key: string): Promise<void> {
    this.app(appId).publishIds.delete(key);
  }

  async enqueuePersonal(appId: string, userId: number, msg: StoredMessage, max: number): Promise<void> {
    const queues = this.app(appId).personal;
    const queue = queues.get(userId) ?? [];
    queue.push(copy(msg));
    if (queue.length > max) queue.splice(0, queue.length - max);
    queues.set(userId, queue);
  }

  async drainPersonal(appId: string, userId: number): Promise<StoredMessage[]> {
    const queues = this.app(appId).personal;
    const queue = queues.get(userId) ?? [];
    queues.delete(userId);
    return queue;
  }

  async setLastSeen(appId: string, userId: number, unixSeconds: number): Promise<void> {
    this.app(appId).lastSeen.set(userId, unixSeconds);
  }

  async getLastSeen(appId: string, userId: number): Promise<number | undefined> {
    return this.app(appId).lastSeen.get(userId);
  }

  async setWebhook(appId: string, url: string | null): Promise<void> {
    this.app(appId).webhook = url;
  }

  async getWebhook(appId: string): Promise<string | null> {
    return this.app(appId).webhook;
  }

  async ensureAppSecret(appId: string, candidate: string): Promise<string> {
    const data = this.app(appId);
    data.secret ??= candidate;
    return data.secret;
  }

  available(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.apps.clear();
  }
}
