/**
 * What each CometQL table does, in BackendApi calls. The executor has already checked the
 * statement against the table registry and coerced every value to its column's type.
 */
import { HISTORY_LENGTH_MAX, HISTORY_PAGE_MAX } from '../../../protocol/limits.js';
import type { IncomingMessage } from '../../../protocol/wire.js';
import type { BackendApi } from '../../core/api.js';
import type { CellValue } from './responses.js';

export interface TableContext {
  core: BackendApi;
  appId: string;
}

export type Row = Record<string, CellValue>;
export type KeyValue = string | number;

export interface InsertResult {
  insertId?: number;
  /** Shown as the OK packet's info text (mysqli_info). */
  note?: string;
}

export interface TableHandler {
  /** Rows for one key value; `limit` is a hint given only when no other filter applies. */
  select?(ctx: TableContext, key: KeyValue, limit?: number): Promise<Row[]>;
  insert?(ctx: TableContext, values: Record<string, CellValue>): Promise<InsertResult>;
  /** Returns how many rows went; `filters` holds the table's extra DELETE columns. */
  delete?(ctx: TableContext, key: KeyValue, filters: Map<string, CellValue[]>): Promise<number>;
}

const str = (v: CellValue | undefined): string | undefined => (v === null || v === undefined ? undefined : String(v));
const int = (v: CellValue | undefined): number => Number(v);

/** The PHP sends JSON text (json_encode); deliver the value it encodes, or the text itself. */
function decodeMessage(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The newest `want` stored messages of a pipe, oldest first, paging back through the core. */
async function latestHistory(ctx: TableContext, pipe: string, want: number): Promise<IncomingMessage[]> {
  let out: IncomingMessage[] = [];
  let before: number | undefined;
  while (out.length < want) {
    const limit = Math.min(HISTORY_PAGE_MAX, want - out.length);
    const page = await ctx.core.history(ctx.appId, pipe, before === undefined ? { limit } : { limit, before });
    if (page.length === 0) break;
    out = page.concat(out);
    before = page[0].server_info.marker;
  }
  return out.slice(-want);
}

export const HANDLERS: Record<string, TableHandler> = {
  pipes_messages: {
    async select(ctx, key, limit) {
      const messages = await latestHistory(ctx, String(key), limit ?? HISTORY_LENGTH_MAX);
      return messages.map((m, i) => ({
        id: m.server_info.marker,
        time: Math.floor(m.server_info.time / 1000),
        name: m.server_info.pipe,
        index: messages.length - 1 - i,
        event: m.server_info.event,
        message: JSON.stringify(m.data) ?? null,
        user_id: m.server_info.user_id,
      }));
    },
    async insert(ctx, v) {
      const res = await ctx.core.publish(ctx.appId, String(v.name), str(v.event), decodeMessage(String(v.message)));
      return { insertId: res.marker, note: `number_messages: ${res.number_messages}` };
    },
    /** With ids: those messages; by name alone: every stored message (the pipe's history is emptied). */
    async delete(ctx, key, filters) {
      const pipe = String(key);
      const ids = filters.get('id');
      const markers = ids
        ? ids.filter((id): id is number => typeof id === 'number')
        : (await latestHistory(ctx, pipe, HISTORY_LENGTH_MAX)).map((m) => m.server_info.marker);
      let deleted = 0;
      for (const marker of markers) if (await ctx.core.deleteMessage(ctx.appId, pipe, marker)) deleted++;
      return deleted;
    },
  },

  pipes: {
    async select(ctx, key) {
      const stats = await ctx.core.pipeStats(ctx.appId, String(key));
      return [{ name: stats.pipe, users: stats.users }];
    },
  },

  users_in_pipes: {
    async select(ctx, key) {
      const { users } = await ctx.core.presence(ctx.appId, String(key));
      return users.map((u) => ({ name: String(key), user_id: u.user_id, user_name: u.user_name ?? null }));
    },
  },

  pipes_settings: {
    async select(ctx, key) {
      const s = await ctx.core.getPipeSettings(ctx.appId, String(key));
      return [{ name: s.pipe, length: s.length }];
    },
    async insert(ctx, v) {
      await ctx.core.setPipeSettings(ctx.appId, String(v.name), { length: int(v.length) });
      return {};
    },
    async delete(ctx, key) {
      await ctx.core.resetPipeSettings(ctx.appId, String(key));
      return 1;
    },
  },

  users_auth: {
    async select(ctx, key) {
      const hash = await ctx.core.getUserKey(ctx.appId, int(key));
      return hash === undefined ? [] : [{ id: int(key), hash }];
    },
    async insert(ctx, v) {
      await ctx.core.setUserKey(ctx.appId, int(v.id), String(v.hash), str(v.name));
      return {};
    },
    async delete(ctx, key) {
      const existed = (await ctx.core.getUserKey(ctx.appId, int(key))) !== undefined;
      await ctx.core.removeUserKey(ctx.appId, int(key));
      return existed ? 1 : 0;
    },
  },

  users_messages: {
    async insert(ctx, v) {
      const res = await ctx.core.sendToUser(ctx.appId, int(v.id), str(v.event), decodeMessage(String(v.message)));
      return { note: res.queued ? 'queued' : `delivered: ${res.delivered}` };
    },
  },

  users_time: {
    async select(ctx, key) {
      return [{ id: int(key), time: await ctx.core.userTime(ctx.appId, int(key)) }];
    },
  },

  revoked_tokens: {
    async select(ctx, key) {
      return (await ctx.core.isTokenRevoked(ctx.appId, String(key))) ? [{ token: String(key) }] : [];
    },
    async insert(ctx, v) {
      await ctx.core.revokeToken(ctx.appId, String(v.token));
      return {};
    },
    async delete(ctx, key) {
      if (!(await ctx.core.isTokenRevoked(ctx.appId, String(key)))) return 0;
      await ctx.core.unrevokeToken(ctx.appId, String(key));
      return 1;
    },
  },
};
