/**
 * The Store on Redis, so that several server nodes share one state (markers, history, keys, bans…).
 *
 * Every key is `${prefix}:${app}:…` where `app` is the app id with `:` and `%` escaped, so one app can
 * never read another's keys and one Redis can hold several clusters (tests use a random prefix).
 * Layout per app:
 *   marker             string, INCR           — marker sequence, unique across nodes
 *   h:<pipe>           sorted set             — history: score = marker, member = the message as JSON
 *   pipelen            hash pipe → length     — pipe settings
 *   userkey            hash user id → JSON    — registered user keys
 *   revoked:<sha256>   string, PXAT expiry    — revoked tokens (hashed: a JWT is long)
 *   ban:u:<id>:<pipe|*> / ban:c:<conn>:<pipe|*>  string = expiry ms (0 = none), PXAT expiry
 *   pm:<user id>       list                   — queued personal messages, oldest first
 *   seen               hash user id → unix s  — last-seen times
 *   webhook, secret    strings
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BanTarget, HistoryRange, Store, StoredMessage, UserKeyRecord } from './types.js';

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
  }

  private key(appId: string, ...rest: (string | number)[]): string {
    return [this.prefix, keyPart(appId), ...rest.map((p) => keyPart(String(p)))].join(':');
  }

  /* ---- markers ---- */

  async nextMarker(appId: string): Promise<number> {
    return this.redis.incr(this.key(appId, 'marker'));
  }

  /* ---- pipe history ---- */

  async appendHistory(appId: string, msg: StoredMessage, keep: number): Promise<void> {
    const k = this.key(appId, 'h', msg.pipe);
    await this.redis
      .multi()
      .zadd(k, msg.marker, JSON.stringify(msg))
      .zremrangebyrank(k, 0, -(keep + 1))
      .exec();
  }

  async readHistory(appId: string, pipe: string, range: HistoryRange): Promise<StoredMessage[]> {
    const k = this.key(appId, 'h', pipe);
    const upper = range.before === undefined ? '+inf' : `(${range.before}`;
    if (range.after !== undefined) {
      const rows = await this.redis.zrange(k, `(${range.after}`, upper, 'BYSCORE', 'LIMIT', 0, range.limit);
      return rows.map(parseMessage);
    }
    const rows = await this.redis.zrange(k, upper, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, range.limit);
    return rows.reverse().map(parseMessage);
  }

  async deleteHistory(appId: string, pipe: string, marker: number): Promise<boolean> {
    const removed = await this.redis.zremrangebyscore(this.key(appId, 'h', pipe), marker, marker);
    return removed > 0;
  }

  async trimHistory(appId: string, pipe: string, keep: number): Promise<void> {
    const k = this.key(appId, 'h', pipe);
    if (keep <= 0) await this.redis.del(k);
    else await this.redis.zremrangebyrank(k, 0, -(keep + 1));
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
    const value: UserKeyRecord = record.name === undefined ? { key: record.key } : { key: record.key, name: record.name };
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
    const who = subject.conn_id !== undefined ? ['c', subject.conn_id] : ['u', String(subject.user_id)];
    return this.key(appId, 'ban', ...who, pipe ?? '*');
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

  async isBanned(appId: string, who: { user_id: number; conn_id: string }, pipe: string, now: number): Promise<boolean> {
    const keys = [this.banKey(appId, { conn_id: who.conn_id }, undefined), this.banKey(appId, { conn_id: who.conn_id }, pipe)];
    if (who.user_id > 0) {
      keys.push(this.banKey(appId, { user_id: who.user_id }, undefined), this.banKey(appId, { user_id: who.user_id }, pipe));
    }
    const values = await this.redis.mget(keys);
    return values.some((v) => v !== null && (v === '0' || Number(v) > now));
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

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function parseMessage(row: string): StoredMessage {
  return JSON.parse(row) as StoredMessage;
}
