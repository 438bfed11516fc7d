/**
 * The Store in one SQLite file (better-sqlite3): the embedded default, survives restarts.
 * WAL mode, every statement prepared once; the schema is created on open.
 * Calls are synchronous underneath and wrapped in promises to fit the async interface.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { banSubject } from './ban-subject.js';
import { sizeOf, takeWithin } from './history-page.js';
import type {
  BanTarget,
  HistoryLimits,
  HistoryPage,
  HistoryRange,
  HistoryUpdate,
  HistoryUsage,
  MarkerTicket,
  PublishReceipt,
  ReaderPosition,
  Store,
  StoredMessage,
  UserKeyRecord,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS markers (app TEXT PRIMARY KEY, value INTEGER NOT NULL, epoch TEXT);
CREATE TABLE IF NOT EXISTS history (
  app TEXT NOT NULL, pipe TEXT NOT NULL, marker INTEGER NOT NULL, body TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app, pipe, marker)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history_pipes (
  app TEXT NOT NULL, pipe TEXT NOT NULL, bytes INTEGER NOT NULL, entries INTEGER NOT NULL, last_marker INTEGER NOT NULL,
  PRIMARY KEY (app, pipe)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS history_pipes_by_age ON history_pipes (app, last_marker);
CREATE TABLE IF NOT EXISTS pipe_settings (app TEXT NOT NULL, pipe TEXT NOT NULL, length INTEGER NOT NULL, PRIMARY KEY (app, pipe));
CREATE TABLE IF NOT EXISTS user_keys (app TEXT NOT NULL, user_id INTEGER NOT NULL, key TEXT NOT NULL, name TEXT, PRIMARY KEY (app, user_id));
CREATE TABLE IF NOT EXISTS revoked_tokens (app TEXT NOT NULL, token TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (app, token));
CREATE TABLE IF NOT EXISTS bans (app TEXT NOT NULL, subject TEXT NOT NULL, pipe TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (app, subject, pipe));
CREATE TABLE IF NOT EXISTS personal (seq INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, user_id INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS personal_by_user ON personal (app, user_id, seq);
CREATE TABLE IF NOT EXISTS last_seen (app TEXT NOT NULL, user_id INTEGER NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (app, user_id));
CREATE TABLE IF NOT EXISTS app_settings (app TEXT PRIMARY KEY, webhook TEXT, secret TEXT);
CREATE TABLE IF NOT EXISTS publish_ids (
  app TEXT NOT NULL, key TEXT NOT NULL, marker INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (app, key)
);
CREATE INDEX IF NOT EXISTS publish_ids_by_expiry ON publish_ids (app, expires_at);
CREATE TABLE IF NOT EXISTS read_positions (
  app TEXT NOT NULL, pipe TEXT NOT NULL, reader TEXT NOT NULL, user_id INTEGER NOT NULL, user_name TEXT,
  marker INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (app, pipe, reader)
);
CREATE INDEX IF NOT EXISTS read_positions_by_marker ON read_positions (app, pipe, marker);
DROP INDEX IF EXISTS read_positions_by_age;
CREATE INDEX IF NOT EXISTS read_positions_by_kind_age ON read_positions (app, pipe, substr(reader, 1, 1) = 'u', updated_at);
`;

/** history_pipes follows every row that enters or leaves history, whichever statement moves it. */
const HISTORY_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS history_added AFTER INSERT ON history BEGIN
  INSERT INTO history_pipes (app, pipe, bytes, entries, last_marker) VALUES (NEW.app, NEW.pipe, NEW.size, 1, NEW.marker)
  ON CONFLICT (app, pipe) DO UPDATE SET bytes = bytes + NEW.size, entries = entries + 1, last_marker = max(last_marker, NEW.marker);
END;
CREATE TRIGGER IF NOT EXISTS history_removed AFTER DELETE ON history BEGIN
  UPDATE history_pipes SET bytes = bytes - OLD.size, entries = entries - 1 WHERE app = OLD.app AND pipe = OLD.pipe;
  DELETE FROM history_pipes WHERE app = OLD.app AND pipe = OLD.pipe AND entries <= 0;
END;
CREATE TRIGGER IF NOT EXISTS history_pipe_gone AFTER DELETE ON history_pipes BEGIN
  DELETE FROM read_positions WHERE app = OLD.app AND pipe = OLD.pipe;
END;
CREATE TRIGGER IF NOT EXISTS history_resized AFTER UPDATE OF size ON history BEGIN
  UPDATE history_pipes SET bytes = bytes - OLD.size + NEW.size WHERE app = NEW.app AND pipe = NEW.pipe;
END;
`;

/** Files written by earlier releases lack the columns and tables of history quotas and marker epochs. */
function upgrade(db: Database.Database): void {
  const columns = (table: string) =>
    new Set(
      db
        .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
        .all()
        .map((c) => c.name),
    );
  if (!columns('markers').has('epoch')) db.exec(`ALTER TABLE markers ADD COLUMN epoch TEXT`);
  db.exec(`UPDATE markers SET epoch = lower(hex(randomblob(16))) WHERE epoch IS NULL`);
  if (!columns('history').has('size')) {
    db.exec(`ALTER TABLE history ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
      UPDATE history SET size = length(CAST(body AS BLOB));
      INSERT OR REPLACE INTO history_pipes (app, pipe, bytes, entries, last_marker)
        SELECT app, pipe, SUM(size), COUNT(*), MAX(marker) FROM history GROUP BY app, pipe;`);
  }
  // Read positions of pipes whose history went before positions went with it (trigger history_pipe_gone).
  db.exec(`DELETE FROM read_positions WHERE NOT EXISTS
    (SELECT 1 FROM history_pipes h WHERE h.app = read_positions.app AND h.pipe = read_positions.pipe)`);
}

/** Stored in `bans.pipe` for an app-wide ban (pipe names are never empty). */
const APP_WIDE = '';

type Statements = ReturnType<typeof prepare>;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly q: Statements;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      upgrade(this.db);
      this.db.exec(HISTORY_TRIGGERS);
    })();
    this.q = prepare(this.db);
  }

  async nextMarker(appId: string): Promise<MarkerTicket> {
    const row = this.q.nextMarker.get(appId, randomUUID())!;
    return { marker: row.value, epoch: row.epoch };
  }

  async markerEpoch(appId: string): Promise<string> {
    this.q.startMarkers.run(appId, randomUUID());
    return this.q.epoch.get(appId)!.epoch;
  }

  private readonly appendTx = (appId: string, msg: StoredMessage, limits: HistoryLimits): void => {
    this.db.transaction(() => {
      const body = JSON.stringify(msg);
      this.q.append.run(appId, msg.pipe, msg.marker, body, sizeOf(body));
      this.evict(appId, msg.pipe, limits);
    })();
  };

  /** Within a transaction, after `pipe` was written: drops its oldest entries, then other pipes, beyond `limits`. */
  private evict(appId: string, pipe: string, limits: HistoryLimits): void {
    this.q.trim.run(appId, pipe, appId, pipe, limits.keep - 1);
    if ((this.q.pipeUsage.get(appId, pipe)?.bytes ?? 0) > limits.pipeBytes) {
      this.q.trimBytes.run({ app: appId, pipe, max: limits.pipeBytes });
    }
    let usage = this.q.appUsage.get(appId)!;
    while (usage.pipes > limits.appPipes || usage.bytes > limits.appBytes) {
      const victim = this.q.leastRecentPipe.get(appId, pipe);
      if (!victim) break;
      this.q.clear.run(appId, victim.pipe);
      usage = { bytes: usage.bytes - victim.bytes, pipes: usage.pipes - 1 };
    }
  }

  async appendHistory(appId: string, msg: StoredMessage, limits: HistoryLimits): Promise<void> {
    this.appendTx(appId, msg, limits);
  }

  async readHistory(appId: string, pipe: string, range: HistoryRange): Promise<HistoryPage> {
    const above = range.after ?? 0;
    const below = range.before ?? Number.MAX_SAFE_INTEGER;
    const forward = range.after !== undefined;
    const rows = (forward ? this.q.oldest : this.q.newest).iterate(appId, pipe, above, below, range.limit);
    const { taken, bytes, more } = takeWithin(rows, range.maxBytes);
    const messages = taken.map(parse);
    return { messages: forward ? messages : messages.reverse(), bytes, more };
  }

  async historyUsage(appId: string): Promise<HistoryUsage> {
    return this.q.appUsage.get(appId)!;
  }

  async deleteHistory(appId: string, pipe: string, marker: number): Promise<boolean> {
    return this.q.deleteOne.run(appId, pipe, marker).changes > 0;
  }

  async trimHistory(appId: string, pipe: string, keep: number): Promise<void> {
    if (keep <= 0) this.q.clear.run(appId, pipe);
    else this.q.trim.run(appId, pipe, appId, pipe, keep - 1);
  }

  private readonly updateTx = (
    appId: string,
    pipe: string,
    marker: number,
    change: (msg: StoredMessage) => StoredMessage | undefined,
    limits: HistoryLimits,
  ): HistoryUpdate | null =>
    this.db.transaction(() => {
      const row = this.q.one.get(appId, pipe, marker);
      if (!row) return null;
      const changed = change(parse(row));
      if (changed === undefined) return { before: parse(row), after: parse(row) };
      const body = JSON.stringify(changed);
      this.q.replace.run(body, sizeOf(body), appId, pipe, marker);
      this.evict(appId, pipe, limits);
      return { before: parse(row), after: parse({ body }) };
    })();

  async updateHistory(
    appId: string,
    pipe: string,
    marker: number,
    change: (msg: StoredMessage) => StoredMessage | undefined,
    limits: HistoryLimits,
  ): Promise<HistoryUpdate | null> {
    return this.updateTx(appId, pipe, marker, change, limits);
  }

  private readonly advanceTx = (appId: string, pipe: string, p: ReaderPosition, now: number, max: number): boolean =>
    this.db.transaction(() => {
      const moved = this.q.advanceReader.run(appId, pipe, p.reader, p.user_id, p.user_name ?? null, p.marker, now);
      if (moved.changes === 0) return false;
      const { n } = this.q.countReaders.get(appId, pipe)!;
      if (n > max) this.q.dropOldReaders.run(appId, pipe, p.reader, n - max);
      return true;
    })();

  async advanceReader(
    appId: string,
    pipe: string,
    position: ReaderPosition,
    now: number,
    max: number,
  ): Promise<boolean> {
    return this.advanceTx(appId, pipe, position, now, max);
  }

  async readers(appId: string, pipe: string, limit: number): Promise<ReaderPosition[]> {
    return this.q.readers
      .all(appId, pipe, limit)
      .map(({ user_name, ...r }) => (user_name === null ? r : { ...r, user_name }));
  }

  async getPipeLength(appId: string, pipe: string): Promise<number | undefined> {
    return this.q.getLength.get(appId, pipe)?.length;
  }

  async setPipeLength(appId: string, pipe: string, length: number): Promise<void> {
    this.q.setLength.run(appId, pipe, length);
  }

  async deletePipeLength(appId: string, pipe: string): Promise<void> {
    this.q.deleteLength.run(appId, pipe);
  }

  async setUserKey(appId: string, userId: number, record: UserKeyRecord): Promise<void> {
    this.q.setKey.run(appId, userId, record.key, record.name ?? null);
  }

  async getUserKey(appId: string, userId: number): Promise<UserKeyRecord | undefined> {
    const row = this.q.getKey.get(appId, userId);
    if (!row) return undefined;
    return row.name === null ? { key: row.key } : { key: row.key, name: row.name };
  }

  async deleteUserKey(appId: string, userId: number): Promise<boolean> {
    return this.q.deleteKey.run(appId, userId).changes > 0;
  }

  async revokeToken(appId: string, token: string, expiresAt: number | null): Promise<void> {
    this.q.forgetExpiredRevocations.run(Date.now());
    this.q.revoke.run(appId, token, expiresAt);
  }

  async unrevokeToken(appId: string, token: string): Promise<void> {
    this.q.unrevoke.run(appId, token);
  }

  async isTokenRevoked(appId: string, token: string): Promise<boolean> {
    return this.q.isRevoked.get(appId, token) !== undefined;
  }

  async addBan(appId: string, target: BanTarget, expiresAt: number | null): Promise<void> {
    this.q.addBan.run(appId, banSubject(target), target.pipe ?? APP_WIDE, expiresAt);
  }

  async removeBan(appId: string, target: BanTarget): Promise<void> {
    this.q.removeBan.run(appId, banSubject(target), target.pipe ?? APP_WIDE);
  }

  async isBanned(
    appId: string,
    who: { user_id: number; conn_id: string },
    pipe: string,
    now: number,
  ): Promise<boolean> {
    const conn = banSubject({ conn_id: who.conn_id });
    // An anonymous user id is not a subject: repeat the connection instead.
    const user = who.user_id > 0 ? banSubject({ user_id: who.user_id }) : conn;
    return this.q.findBan.get(appId, conn, user, APP_WIDE, pipe, now) !== undefined;
  }

  private readonly claimTx = (
    appId: string,
    key: string,
    receipt: PublishReceipt,
    now: number,
    expiresAt: number,
    max: number,
  ): PublishReceipt | null =>
    this.db.transaction(() => {
      this.q.forgetPublishIds.run(appId, now);
      const prior = this.q.publishId.get(appId, key);
      if (prior) return { marker: prior.marker, number_messages: prior.count };
      const { n } = this.q.countPublishIds.get(appId)!;
      if (n >= max) this.q.evictPublishIds.run(appId, n - max + 1);
      this.q.claimPublishId.run(appId, key, receipt.marker, receipt.number_messages, expiresAt);
      return null;
    })();

  async claimPublish(
    appId: string,
    key: string,
    receipt: PublishReceipt,
    now: number,
    expiresAt: number,
    max: number,
  ): Promise<PublishReceipt | null> {
    return this.claimTx(appId, key, receipt, now, expiresAt, max);
  }

  async settlePublish(appId: string, key: string, receipt: PublishReceipt): Promise<void> {
    this.q.settlePublishId.run(receipt.marker, receipt.number_messages, appId, key);
  }

  async releasePublish(appId: string, key: string): Promise<void> {
    this.q.releasePublishId.run(appId, key);
  }

  private readonly enqueueTx = (appId: string, userId: number, msg: StoredMessage, max: number): void => {
    this.db.transaction(() => {
      this.q.enqueue.run(appId, userId, JSON.stringify(msg));
      this.q.trimQueue.run(appId, userId, appId, userId, max);
    })();
  };

  async enqueuePersonal(appId: string, userId: number, msg: StoredMessage, max: number): Promise<void> {
    this.enqueueTx(appId, userId, msg, max);
  }

  async drainPersonal(appId: string, userId: number): Promise<StoredMessage[]> {
    return this.db.transaction(() => {
      const rows = this.q.queued.all(appId, userId);
      this.q.dropQueue.run(appId, userId);
      return rows.map(parse);
    })();
  }

  async setLastSeen(appId: string, userId: number, unixSeconds: number): Promise<void> {
    this.q.setSeen.run(appId, userId, unixSeconds);
  }

  async getLastSeen(appId: string, userId: number): Promise<number | undefined> {
    return this.q.getSeen.get(appId, userId)?.time;
  }

  async setWebhook(appId: string, url: string | null): Promise<void> {
    this.q.touchApp.run(appId);
    this.q.setWebhook.run(url, appId);
  }

  async getWebhook(appId: string): Promise<string | null> {
    return this.q.getSettings.get(appId)?.webhook ?? null;
  }

  async ensureAppSecret(appId: string, candidate: string): Promise<string> {
    return this.db.transaction(() => {
      this.q.touchApp.run(appId);
      this.q.setSecretIfNone.run(candidate, appId);
      return this.q.getSettings.get(appId)!.secret!;
    })();
  }

  available(): boolean {
    return this.db.open;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function parse(row: { body: string }): StoredMessage {
  return JSON.parse(row.body) as StoredMessage;
}

/** Every statement, prepared once per database. */
function prepare(db: Database.Database) {
  return {
    nextMarker: db.prepare<[string, string], { value: number; epoch: string }>(
      `INSERT INTO markers (app, value, epoch) VALUES (?, 1, ?)
       ON CONFLICT (app) DO UPDATE SET value = value + 1 RETURNING value, epoch`,
    ),
    /** The sequence with no marker handed out yet: nextMarker's update then starts at 1. */
    startMarkers: db.prepare(`INSERT INTO markers (app, value, epoch) VALUES (?, 0, ?) ON CONFLICT (app) DO NOTHING`),
    epoch: db.prepare<[string], { epoch: string }>(`SELECT epoch FROM markers WHERE app = ?`),
    append: db.prepare(`INSERT OR IGNORE INTO history (app, pipe, marker, body, size) VALUES (?, ?, ?, ?, ?)`),
    trim: db.prepare(
      `DELETE FROM history WHERE app = ? AND pipe = ? AND marker < COALESCE(
         (SELECT marker FROM history WHERE app = ? AND pipe = ? ORDER BY marker DESC LIMIT 1 OFFSET ?), 0)`,
    ),
    /** Drops the oldest entries until the pipe's bytes fit in `max`, the newest one always kept. */
    trimBytes: db.prepare<{ app: string; pipe: string; max: number }>(
      `DELETE FROM history WHERE app = :app AND pipe = :pipe AND marker <= (
         SELECT marker FROM (
           SELECT marker, SUM(size) OVER (ORDER BY marker DESC) AS running, ROW_NUMBER() OVER (ORDER BY marker DESC) AS n
           FROM history WHERE app = :app AND pipe = :pipe)
         WHERE running > :max AND n > 1 ORDER BY marker DESC LIMIT 1)`,
    ),
    clear: db.prepare(`DELETE FROM history WHERE app = ? AND pipe = ?`),
    pipeUsage: db.prepare<[string, string], { bytes: number }>(
      `SELECT bytes FROM history_pipes WHERE app = ? AND pipe = ?`,
    ),
    appUsage: db.prepare<[string], { bytes: number; pipes: number }>(
      `SELECT COALESCE(SUM(bytes), 0) AS bytes, COUNT(*) AS pipes FROM history_pipes WHERE app = ?`,
    ),
    leastRecentPipe: db.prepare<[string, string], { pipe: string; bytes: number }>(
      `SELECT pipe, bytes FROM history_pipes WHERE app = ? AND pipe != ? ORDER BY last_marker LIMIT 1`,
    ),
    newest: db.prepare<[string, string, number, number, number], { body: string; size: number }>(
      `SELECT body, size FROM history WHERE app = ? AND pipe = ? AND marker > ? AND marker < ?
       ORDER BY marker DESC LIMIT ?`,
    ),
    oldest: db.prepare<[string, string, number, number, number], { body: string; size: number }>(
      `SELECT body, size FROM history WHERE app = ? AND pipe = ? AND marker > ? AND marker < ?
       ORDER BY marker ASC LIMIT ?`,
    ),
    deleteOne: db.prepare(`DELETE FROM history WHERE app = ? AND pipe = ? AND marker = ?`),
    one: db.prepare<[string, string, number], { body: string }>(
      `SELECT body FROM history WHERE app = ? AND pipe = ? AND marker = ?`,
    ),
    replace: db.prepare(`UPDATE history SET body = ?, size = ? WHERE app = ? AND pipe = ? AND marker = ?`),
    /** Only forward: a position at or past the given marker stays as it is (no change reported). */
    advanceReader: db.prepare(
      `INSERT INTO read_positions (app, pipe, reader, user_id, user_name, marker, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (app, pipe, reader) DO UPDATE SET user_id = excluded.user_id, user_name = excluded.user_name,
         marker = excluded.marker, updated_at = excluded.updated_at
       WHERE excluded.marker > read_positions.marker`,
    ),
    countReaders: db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM read_positions WHERE app = ? AND pipe = ?`,
    ),
    /**
     * The `count` readers moved longest ago, guests before users (see isUserReader), in the order of
     * read_positions_by_kind_age; a user who just moved is spared.
     */
    dropOldReaders: db.prepare<[string, string, string, number]>(
      `DELETE FROM read_positions WHERE rowid IN (SELECT rowid FROM read_positions
         WHERE app = ? AND pipe = ? AND NOT (reader = ? AND substr(reader, 1, 1) = 'u')
         ORDER BY substr(reader, 1, 1) = 'u', updated_at, rowid LIMIT ?)`,
    ),
    readers: db.prepare<
      [string, string, number],
      { reader: string; user_id: number; user_name: string | null; marker: number }
    >(
      `SELECT reader, user_id, user_name, marker FROM read_positions WHERE app = ? AND pipe = ?
       ORDER BY marker DESC LIMIT ?`,
    ),
    getLength: db.prepare<[string, string], { length: number }>(
      `SELECT length FROM pipe_settings WHERE app = ? AND pipe = ?`,
    ),
    setLength: db.prepare(`INSERT OR REPLACE INTO pipe_settings (app, pipe, length) VALUES (?, ?, ?)`),
    deleteLength: db.prepare(`DELETE FROM pipe_settings WHERE app = ? AND pipe = ?`),
    setKey: db.prepare(`INSERT OR REPLACE INTO user_keys (app, user_id, key, name) VALUES (?, ?, ?, ?)`),
    getKey: db.prepare<[string, number], { key: string; name: string | null }>(
      `SELECT key, name FROM user_keys WHERE app = ? AND user_id = ?`,
    ),
    deleteKey: db.prepare(`DELETE FROM user_keys WHERE app = ? AND user_id = ?`),
    revoke: db.prepare(`INSERT OR REPLACE INTO revoked_tokens (app, token, expires_at) VALUES (?, ?, ?)`),
    unrevoke: db.prepare(`DELETE FROM revoked_tokens WHERE app = ? AND token = ?`),
    isRevoked: db.prepare<[string, string], { one: number }>(
      `SELECT 1 AS one FROM revoked_tokens WHERE app = ? AND token = ?`,
    ),
    forgetExpiredRevocations: db.prepare(`DELETE FROM revoked_tokens WHERE expires_at IS NOT NULL AND expires_at < ?`),
    addBan: db.prepare(`INSERT OR REPLACE INTO bans (app, subject, pipe, expires_at) VALUES (?, ?, ?, ?)`),
    removeBan: db.prepare(`DELETE FROM bans WHERE app = ? AND subject = ? AND pipe = ?`),
    findBan: db.prepare<[string, string, string, string, string, number], { one: number }>(
      `SELECT 1 AS one FROM bans WHERE app = ? AND subject IN (?, ?) AND pipe IN (?, ?)
       AND (expires_at IS NULL OR expires_at > ?) LIMIT 1`,
    ),
    forgetPublishIds: db.prepare(`DELETE FROM publish_ids WHERE app = ? AND expires_at <= ?`),
    publishId: db.prepare<[string, string], { marker: number; count: number }>(
      `SELECT marker, count FROM publish_ids WHERE app = ? AND key = ?`,
    ),
    countPublishIds: db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM publish_ids WHERE app = ?`),
    evictPublishIds: db.prepare(
      `DELETE FROM publish_ids WHERE rowid IN (SELECT rowid FROM publish_ids WHERE app = ? ORDER BY expires_at LIMIT ?)`,
    ),
    claimPublishId: db.prepare(`INSERT INTO publish_ids (app, key, marker, count, expires_at) VALUES (?, ?, ?, ?, ?)`),
    settlePublishId: db.prepare(`UPDATE publish_ids SET marker = ?, count = ? WHERE app = ? AND key = ?`),
    releasePublishId: db.prepare(`DELETE FROM publish_ids WHERE app = ? AND key = ?`),
    enqueue: db.prepare(`INSERT INTO personal (app, user_id, body) VALUES (?, ?, ?)`),
    trimQueue: db.prepare(
      `DELETE FROM personal WHERE app = ? AND user_id = ? AND seq NOT IN
         (SELECT seq FROM personal WHERE app = ? AND user_id = ? ORDER BY seq DESC LIMIT ?)`,
    ),
    queued: db.prepare<[string, number], { body: string }>(
      `SELECT body FROM personal WHERE app = ? AND user_id = ? ORDER BY seq`,
    ),
    dropQueue: db.prepare(`DELETE FROM personal WHERE app = ? AND user_id = ?`),
    setSeen: db.prepare(`INSERT OR REPLACE INTO last_seen (app, user_id, time) VALUES (?, ?, ?)`),
    getSeen: db.prepare<[string, number], { time: number }>(`SELECT time FROM last_seen WHERE app = ? AND user_id = ?`),
    touchApp: db.prepare(`INSERT OR IGNORE INTO app_settings (app) VALUES (?)`),
    setWebhook: db.prepare(`UPDATE app_settings SET webhook = ? WHERE app = ?`),
    getSettings: db.prepare<[string], { webhook: string | null; secret: string | null }>(
      `SELECT webhook, secret FROM app_settings WHERE app = ?`,
    ),
    setSecretIfNone: db.prepare(`UPDATE app_settings SET secret = ? WHERE app = ? AND secret IS NULL`),
  };
}
