/**
 * The Store on Redis, so that several server nodes share one state (markers, history, keys, bans…).
 *
 * Every key is `${prefix}:${app}:…` where `app` is the app id with `:` and `%` escaped, so one app can
 * never read another's keys and one Redis can hold several clusters (tests use a random prefix).
 * Layout per app:
 *   marker             string, INCR           — marker sequence, unique across nodes
 *   epoch              string                 — names the marker sequence; made anew with it (see MarkerTicket)
 *   h:<pipe>           sorted set             — history: score = marker, member = the message as JSON
 *   hbytes             hash pipe → bytes      — bytes of each pipe's history
 *   hpipes             sorted set             — pipes with history: score = their newest marker
 *   htotal             string                 — bytes of all the app's history
 *   pipelen            hash pipe → length     — pipe settings
 *   userkey            hash user id → JSON    — registered user keys
 *   revoked:<sha256>   string, PXAT expiry    — revoked tokens (hashed: a JWT is long)
 *   ban:u:<id>:<pipe|*> / ban:c:<conn>:<pipe|*>  string = expiry ms (0 = none), PXAT expiry
 *   pm:<user id>       list                   — queued personal messages, oldest first
 *   seen               hash user id → unix s  — last-seen times
 *   pubids             sorted set             — publish ids (sender and id): score = when they may be forgotten (ms)
 *   pubrec             hash publish id → "marker count" — their receipts; both keys expire once nothing is claimed
 *   h:<pipe>:rd        hash reader → JSON     — read positions of a pipe; gone with its history
 *   h:<pipe>:rdm       sorted set             — their readers by marker (furthest last)
 *   h:<pipe>:rdt       sorted set             — their readers by when they last moved (ms)
 *   webhook, secret    strings
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { banSubjectParts } from './ban-subject.js';
import { sizeOf, takeWithin } from './history-page.js';
import {
  StoreBusyError,
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

/**
 * Lua for what must be atomic across nodes. The marker scripts take KEYS = epoch, marker: an epoch is
 * made anew whenever the counter is missing (never created, or lost on its own), so markers that start
 * again always come with a new epoch. History scripts take KEYS = the pipe's history, hbytes,
 * hpipes, htotal and ARGV[1] = the pipe; sizes are Lua's `#` of a member: its UTF-8 bytes.
 */
const EPOCH_LUA = `local epoch = redis.call('GET', KEYS[1])
if not epoch or redis.call('EXISTS', KEYS[2]) == 0 then
  epoch = ARGV[1]; redis.call('SET', KEYS[1], epoch); redis.call('SET', KEYS[2], 0, 'NX')
end`;

/**
 * After entries of ARGV[1] worth `removed` bytes left KEYS[1]: fix the books, forget the pipe once empty
 * (and its read positions, which name its markers: the keys of a pipe's history with a suffix).
 */
const SETTLE_LUA = `local function forgetReaders(history)
  redis.call('DEL', history .. ':rd', history .. ':rdm', history .. ':rdt')
end
local function settle(removed)
  local total = tonumber(redis.call('GET', KEYS[4]) or '0') - removed
  redis.call('SET', KEYS[4], math.max(total, 0))
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('HDEL', KEYS[2], ARGV[1]); redis.call('ZREM', KEYS[3], ARGV[1]); forgetReaders(KEYS[1])
  else
    local bytes = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') - removed
    redis.call('HSET', KEYS[2], ARGV[1], math.max(bytes, 0))
  end
end
local function popOldest()
  return #redis.call('ZPOPMIN', KEYS[1])[1]
end`;

/**
 * After ARGV[1]'s history was written: its oldest entries go beyond its length and bytes (its newest
 * always stays), then other pipes whole, written longest ago first, beyond the app's bytes and pipes.
 * `victims` is the key prefix of the app's history sets.
 */
const EVICT_LUA = `${SETTLE_LUA}
local function evict(keep, pipeBytes, appBytes, appPipes, victims)
  local count = redis.call('ZCARD', KEYS[1])
  local bytes = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
  local removed = 0
  while count > 1 and (count > keep or bytes - removed > pipeBytes) do
    removed = removed + popOldest(); count = count - 1
  end
  settle(removed)
  local pipes = redis.call('ZCARD', KEYS[3])
  local total = tonumber(redis.call('GET', KEYS[4]) or '0')
  while pipes > appPipes or total > appBytes do
    local oldest = redis.call('ZRANGE', KEYS[3], 0, 1)
    local victim = oldest[1]
    if victim == ARGV[1] then victim = oldest[2] end
    if not victim then break end
    total = total - tonumber(redis.call('HGET', KEYS[2], victim) or '0'); pipes = pipes - 1
    redis.call('DEL', victims .. victim); redis.call('HDEL', KEYS[2], victim); redis.call('ZREM', KEYS[3], victim)
    forgetReaders(victims .. victim)
  end
  redis.call('SET', KEYS[4], math.max(total, 0))
end`;

const SCRIPTS = {
  cometNextMarker: { numberOfKeys: 2, lua: `${EPOCH_LUA}\nreturn {redis.call('INCR', KEYS[2]), epoch}` },
  cometEpoch: { numberOfKeys: 2, lua: `${EPOCH_LUA}\nreturn epoch` },
  /** ARGV: pipe, marker, body, keep, pipeBytes, appBytes, appPipes, key prefix of the app's history sets. */
  cometAppend: {
    numberOfKeys: 4,
    lua: `${EVICT_LUA}
if redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[1], #ARGV[3]); redis.call('INCRBY', KEYS[4], #ARGV[3])
end
redis.call('ZADD', KEYS[3], redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2], ARGV[1])
evict(tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8])`,
  },
  /** ARGV: pipe, marker. Returns 1 when the entry was there. */
  cometDeleteOne: {
    numberOfKeys: 4,
    lua: `${SETTLE_LUA}
local removed = 0
for _, row in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2])) do removed = removed + #row end
if redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2]) == 0 then return 0 end
settle(removed)
return 1`,
  },
  /**
   * ARGV: pipe, marker, the entry as read, the entry changed, keep, pipeBytes, appBytes, appPipes, key
   * prefix of the app's history sets. Replaces it only when it is still as read (compare and set), then
   * evicts: 1 done, 0 changed meanwhile (read again), -1 gone.
   */
  cometReplace: {
    numberOfKeys: 4,
    lua: `${EVICT_LUA}
local current = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[2])[1]
if not current then return -1 end
if current ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], current); redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
local delta = #ARGV[4] - #current
redis.call('HINCRBY', KEYS[2], ARGV[1], delta); redis.call('INCRBY', KEYS[4], delta)
evict(tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9])
return 1`,
  },
  /**
   * KEYS: rd, rdm, rdt of the pipe. ARGV: reader, marker, position JSON, now, most readers kept.
   * Returns 1 when the position moved forward.
   */
  cometAdvanceReader: {
    numberOfKeys: 3,
    lua: `local at = redis.call('ZSCORE', KEYS[2], ARGV[1])
if at and tonumber(at) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]); redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
-- Guests are evicted first (see isUserReader): a user's age counts from far after any guest's.
local age = tonumber(ARGV[4])
if string.sub(ARGV[1], 1, 1) == 'u' then age = age + 1e15 end
redis.call('ZADD', KEYS[3], age, ARGV[1])
local n = redis.call('ZCARD', KEYS[3])
while n > tonumber(ARGV[5]) do
  local victim = redis.call('ZRANGE', KEYS[3], 0, 1)
  local gone = victim[1]
  if gone == ARGV[1] and string.sub(gone, 1, 1) == 'u' then gone = victim[2] end
  redis.call('ZREM', KEYS[3], gone); redis.call('ZREM', KEYS[2], gone); redis.call('HDEL', KEYS[1], gone)
  n = n - 1
end
return 1`,
  },
  /** ARGV: pipe, entries to keep. */
  cometTrim: {
    numberOfKeys: 4,
    lua: `${SETTLE_LUA}
local removed = 0
local count = redis.call('ZCARD', KEYS[1])
while count > tonumber(ARGV[2]) do removed = removed + popOldest(); count = count - 1 end
settle(removed)`,
  },
  /**
   * KEYS: pubids, pubrec. ARGV: publish id, now, expiresAt, max, receipt, ms until expiresAt.
   * Returns the earlier receipt, or false when the id is now claimed.
   */
  cometClaimPublish: {
    numberOfKeys: 2,
    lua: `for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])) do redis.call('HDEL', KEYS[2], gone) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local prior = redis.call('HGET', KEYS[2], ARGV[1])
if prior then return prior end
local n = redis.call('ZCARD', KEYS[1])
while n >= tonumber(ARGV[4]) do
  redis.call('HDEL', KEYS[2], redis.call('ZPOPMIN', KEYS[1])[1]); n = n - 1
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]); redis.call('HSET', KEYS[2], ARGV[1], ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6]); redis.call('PEXPIRE', KEYS[2], ARGV[6])
return false`,
  },
  /** KEYS: pubrec. ARGV: publish id, receipt. */
  cometSettlePublish: {
    numberOfKeys: 1,
    lua: `if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end`,
  },
} as const;

/**
 * Tries of one history update while other nodes keep changing the same entry. Within a node updates of
 * one entry wait their turn, so only the nodes race; between tries a random pause of up to the try's
 * number times UPDATE_BACKOFF_MS spreads them apart.
 */
const UPDATE_ATTEMPTS = 30;
const UPDATE_BACKOFF_MS = 2;

type ScriptArg = string | number;
type Scripted = { [name in keyof typeof SCRIPTS]: (...args: ScriptArg[]) => Promise<unknown> };

export interface RedisStoreOptions {
  /** A connected ioredis client to use (it stays open on close()), or… */
  client?: Redis;
  /** …a redis:// URL to open a client of our own (closed on close()). */
  url?: string;
  /** First part of every key. Default `comet`. */
  prefix?: string;
}

/** Escapes the characters that would let an app id reach into another app's keys. */
function keyPart(s: string): string {
  return s.replace(/%/g, '%25').replace(/:/g, '%3A');
}

export class RedisStore implements Store {
  readonly redis: Redis;
  readonly prefix: string;
  private readonly ownsClient: boolean;
  /** The last update queued for each history entry of this node (see updateHistory). */
  private readonly updating = new Map<string, Promise<unknown>>();

  constructor(options: RedisStoreOptions) {
    if (options.client) {
      this.redis = options.client;
      this.ownsClient = false;
    } else if (options.url) {
      this.redis = new Redis(options.url);
      this.ownsClient = true;
    } else {
      throw new Error('RedisStore needs a client or a url');
    }
    this.prefix = options.prefix ?? 'comet';
    for (const [name, script] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, script);
  }

  private get scripts(): Scripted {
    return this.redis as unknown as Scripted;
  }

  /** KEYS of the history scripts for one pipe. */
  private historyKeys(appId: string, pipe: string): string[] {
    return [
      this.key(appId, 'h', pipe),
      this.key(appId, 'hbytes'),
      this.key(appId, 'hpipes'),
      this.key(appId, 'htotal'),
    ];
  }

  private key(appId: string, ...rest: (string | number)[]): string {
    return [this.prefix, keyPart(appId), ...rest.map((p) => keyPart(String(p)))].join(':');
  }

  /* ---- markers ---- */

  async nextMarker(appId: string): Promise<MarkerTicket> {
    const [marker, epoch] = (await this.scripts.cometNextMarker(
      this.key(appId, 'epoch'),
      this.key(appId, 'marker'),
      randomUUID(),
    )) as [number, string];
    return { marker, epoch };
  }

  async markerEpoch(appId: string): Promise<string> {
    return (await this.scripts.cometEpoch(this.key(appId, 'epoch'), this.key(appId, 'marker'), randomUUID())) as string;
  }

  /* ---- pipe history ---- */

  async appendHistory(appId: string, msg: StoredMessage, limits: HistoryLimits): Promise<void> {
    await this.scripts.cometAppend(
      ...this.historyKeys(appId, msg.pipe),
      msg.pipe,
      msg.marker,
      JSON.stringify(msg),
      ...this.evictionArgs(appId, limits),
    );
  }

  /** The eviction script's arguments: the limits, and the key prefix of the app's history sets. */
  private evictionArgs(appId: string, limits: HistoryLimits): ScriptArg[] {
    return [limits.keep, limits.pipeBytes, limits.appBytes, limits.appPipes, `${this.key(appId, 'h')}:`];
  }

  async readHistory(appId: string, pipe: string, range: HistoryRange): Promise<HistoryPage> {
    const k = this.key(appId, 'h', pipe);
    const upper = range.before === undefined ? '+inf' : `(${range.before}`;
    const forward = range.after !== undefined;
    const rows = forward
      ? await this.redis.zrange(k, `(${range.after}`, upper, 'BYSCORE', 'LIMIT', 0, range.limit)
      : await this.redis.zrange(k, upper, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, range.limit);
    const { taken, bytes, more } = takeWithin(
      rows.map((body) => ({ body, size: sizeOf(body) })),
      range.maxBytes,
    );
    const messages = taken.map((row) => parseMessage(row.body));
    return { messages: forward ? messages : messages.reverse(), bytes, more };
  }

  async historyUsage(appId: string): Promise<HistoryUsage> {
    const [total, pipes] = await Promise.all([
      this.redis.get(this.key(appId, 'htotal')),
      this.redis.zcard(this.key(appId, 'hpipes')),
    ]);
    return { bytes: Number(total ?? 0), pipes };
  }

  async deleteHistory(appId: string, pipe: string, marker: number): Promise<boolean> {
    return (await this.scripts.cometDeleteOne(...this.historyKeys(appId, pipe), pipe, marker)) === 1;
  }

  async trimHistory(appId: string, pipe: string, keep: number): Promise<void> {
    await this.scripts.cometTrim(...this.historyKeys(appId, pipe), pipe, Math.max(keep, 0));
  }

  async updateHistory(
    appId: string,
    pipe: string,
    marker: number,
    change: (msg: StoredMessage) => StoredMessage | undefined,
    limits: HistoryLimits,
  ): Promise<HistoryUpdate | null> {
    // One at a time per entry on this node: a popular message's many changes do not race each other.
    const entry = `${this.key(appId, 'h', pipe)} ${marker}`;
    const previous = this.updating.get(entry) ?? Promise.resolve();
    const turn = previous.then(
      () => this.compareAndSet(appId, pipe, marker, change, limits),
      () => this.compareAndSet(appId, pipe, marker, change, limits),
    );
    this.updating.set(entry, turn);
    try {
      return await turn;
    } finally {
      if (this.updating.get(entry) === turn) this.updating.delete(entry);
    }
  }

  private async compareAndSet(
    appId: string,
    pipe: string,
    marker: number,
    change: (msg: StoredMessage) => StoredMessage | undefined,
    limits: HistoryLimits,
  ): Promise<HistoryUpdate | null> {
    const k = this.key(appId, 'h', pipe);
    // Optimistic: read, change, and write only if no other node wrote in between; else read again.
    for (let attempt = 1; ; attempt++) {
      const [row] = await this.redis.zrange(k, marker, marker, 'BYSCORE');
      if (row === undefined) return null;
      const changed = change(parseMessage(row));
      if (changed === undefined) return { before: parseMessage(row), after: parseMessage(row) };
      const body = JSON.stringify(changed);
      const done = await this.scripts.cometReplace(
        ...this.historyKeys(appId, pipe),
        pipe,
        marker,
        row,
        body,
        ...this.evictionArgs(appId, limits),
      );
      if (done === 1) return { before: parseMessage(row), after: parseMessage(body) };
      if (done === -1) return null;
      if (attempt >= UPDATE_ATTEMPTS) throw new StoreBusyError(`message ${marker} keeps changing; try again shortly`);
      await sleep(Math.random() * attempt * UPDATE_BACKOFF_MS);
    }
  }

  /* ---- read positions ---- */

  /** Next to the pipe's history key (pipe names hold no `:`), so the history scripts forget them with it. */
  private readerKeys(appId: string, pipe: string): string[] {
    const history = this.key(appId, 'h', pipe);
    return [`${history}:rd`, `${history}:rdm`, `${history}:rdt`];
  }

  async advanceReader(
    appId: string,
    pipe: string,
    position: ReaderPosition,
    now: number,
    max: number,
  ): Promise<boolean> {
    const moved = await this.scripts.cometAdvanceReader(
      ...this.readerKeys(appId, pipe),
      position.reader,
      position.marker,
      JSON.stringify(position),
      now,
      max,
    );
    return moved === 1;
  }

  async readers(appId: string, pipe: string, limit: number): Promise<ReaderPosition[]> {
    const [rd, rdm] = this.readerKeys(appId, pipe);
    const names = await this.redis.zrange(rdm, 0, limit - 1, 'REV');
    if (names.length === 0) return [];
    // A reader dropped between the two reads is left out.
    const rows = await this.redis.hmget(rd, ...names);
    return rows.flatMap((row) => (row === null ? [] : [JSON.parse(row) as ReaderPosition]));
  }

  /* ---- pipe settings ---- */

  async getPipeLength(appId: string, pipe: string): Promise<number | undefined> {
    const v = await this.redis.hget(this.key(appId, 'pipelen'), pipe);
    return v === null ? undefined : Number(v);
  }

  async setPipeLength(appId: string, pipe: string, length: number): Promise<void> {
    await this.redis.hset(this.key(appId, 'pipelen'), pipe, length);
  }

  async deletePipeLength(appId: string, pipe: string): Promise<void> {
    await this.redis.hdel(this.key(appId, 'pipelen'), pipe);
  }

  /* ---- user keys ---- */

  async setUserKey(appId: string, userId: number, record: UserKeyRecord): Promise<void> {
    const value: UserKeyRecord =
      record.name === undefined ? { key: record.key } : { key: record.key, name: record.name };
    await this.redis.hset(this.key(appId, 'userkey'), userId, JSON.stringify(value));
  }

  async getUserKey(appId: string, userId: number): Promise<UserKeyRecord | undefined> {
    const v = await this.redis.hget(this.key(appId, 'userkey'), String(userId));
    return v === null ? undefined : (JSON.parse(v) as UserKeyRecord);
  }

  async deleteUserKey(appId: string, userId: number): Promise<boolean> {
    return (await this.redis.hdel(this.key(appId, 'userkey'), String(userId))) > 0;
  }

  /* ---- revoked tokens ---- */

  private revokedKey(appId: string, token: string): string {
    return this.key(appId, 'revoked', createHash('sha256').update(token).digest('base64url'));
  }

  async revokeToken(appId: string, token: string, expiresAt: number | null): Promise<void> {
    const k = this.revokedKey(appId, token);
    if (expiresAt === null) await this.redis.set(k, '1');
    // A token past its expiry is refused anyway: nothing to remember.
    else if (expiresAt <= Date.now()) await this.redis.del(k);
    else await this.redis.set(k, '1', 'PXAT', expiresAt);
  }

  async unrevokeToken(appId: string, token: string): Promise<void> {
    await this.redis.del(this.revokedKey(appId, token));
  }

  async isTokenRevoked(appId: string, token: string): Promise<boolean> {
    return (await this.redis.exists(this.revokedKey(appId, token))) > 0;
  }

  /* ---- bans ---- */

  private banKey(appId: string, subject: { user_id?: number; conn_id?: string }, pipe: string | undefined): string {
    return this.key(appId, 'ban', ...banSubjectParts(subject), pipe ?? '*');
  }

  async addBan(appId: string, target: BanTarget, expiresAt: number | null): Promise<void> {
    const k = this.banKey(appId, target, target.pipe);
    if (expiresAt === null) await this.redis.set(k, '0');
    // The value carries the expiry so isBanned judges by the caller's clock; PXAT only reclaims the key.
    else if (expiresAt > Date.now()) await this.redis.set(k, String(expiresAt), 'PXAT', expiresAt);
    else await this.redis.del(k);
  }

  async removeBan(appId: string, target: BanTarget): Promise<void> {
    await this.redis.del(this.banKey(appId, target, target.pipe));
  }

  async isBanned(
    appId: string,
    who: { user_id: number; conn_id: string },
    pipe: string,
    now: number,
  ): Promise<boolean> {
    const keys = [
      this.banKey(appId, { conn_id: who.conn_id }, undefined),
      this.banKey(appId, { conn_id: who.conn_id }, pipe),
    ];
    if (who.user_id > 0) {
      keys.push(
        this.banKey(appId, { user_id: who.user_id }, undefined),
        this.banKey(appId, { user_id: who.user_id }, pipe),
      );
    }
    const values = await this.redis.mget(keys);
    return values.some((v) => v !== null && (v === '0' || Number(v) > now));
  }

  /* ---- publish ids ---- */

  async claimPublish(
    appId: string,
    key: string,
    receipt: PublishReceipt,
    now: number,
    expiresAt: number,
    max: number,
  ): Promise<PublishReceipt | null> {
    const prior = await this.scripts.cometClaimPublish(
      this.key(appId, 'pubids'),
      this.key(appId, 'pubrec'),
      key,
      now,
      expiresAt,
      max,
      formatReceipt(receipt),
      Math.max(1, expiresAt - now),
    );
    return typeof prior === 'string' ? parseReceipt(prior) : null;
  }

  async settlePublish(appId: string, key: string, receipt: PublishReceipt): Promise<void> {
    await this.scripts.cometSettlePublish(this.key(appId, 'pubrec'), key, formatReceipt(receipt));
  }

  async releasePublish(appId: string, key: string): Promise<void> {
    await this.redis.multi().zrem(this.key(appId, 'pubids'), key).hdel(this.key(appId, 'pubrec'), key).exec();
  }

  /* ---- personal messages ---- */

  async enqueuePersonal(appId: string, userId: number, msg: StoredMessage, max: number): Promise<void> {
    const k = this.key(appId, 'pm', userId);
    await this.redis.multi().rpush(k, JSON.stringify(msg)).ltrim(k, -max, -1).exec();
  }

  async drainPersonal(appId: string, userId: number): Promise<StoredMessage[]> {
    const k = this.key(appId, 'pm', userId);
    // One transaction: a message queued by another node lands either in this drain or in the next.
    const results = await this.redis.multi().lrange(k, 0, -1).del(k).exec();
    const rows = (results?.[0]?.[1] ?? []) as string[];
    return rows.map(parseMessage);
  }

  /* ---- last seen ---- */

  async setLastSeen(appId: string, userId: number, unixSeconds: number): Promise<void> {
    await this.redis.hset(this.key(appId, 'seen'), userId, unixSeconds);
  }

  async getLastSeen(appId: string, userId: number): Promise<number | undefined> {
    const v = await this.redis.hget(this.key(appId, 'seen'), String(userId));
    return v === null ? undefined : Number(v);
  }

  /* ---- per-app settings ---- */

  async setWebhook(appId: string, url: string | null): Promise<void> {
    const k = this.key(appId, 'webhook');
    if (url === null) await this.redis.del(k);
    else await this.redis.set(k, url);
  }

  async getWebhook(appId: string): Promise<string | null> {
    return this.redis.get(this.key(appId, 'webhook'));
  }

  /** Where an app's secret is kept, so an operator can be told where to read it. */
  secretKey(appId: string): string {
    return this.key(appId, 'secret');
  }

  async ensureAppSecret(appId: string, candidate: string): Promise<string> {
    const k = this.secretKey(appId);
    // SET NX decides the race between nodes starting together; the loser reads the winner's secret.
    if ((await this.redis.set(k, candidate, 'NX')) === 'OK') return candidate;
    return (await this.redis.get(k)) ?? candidate;
  }

  available(): boolean {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

const formatReceipt = (r: PublishReceipt): string => `${r.marker} ${r.number_messages}`;

function parseReceipt(text: string): PublishReceipt {
  const [marker, count] = text.split(' ').map(Number);
  return { marker: marker, number_messages: count };
}

function parseMessage(row: string): StoredMessage {
  return JSON.parse(row) as StoredMessage;
}
