/** A stored message as clients see it, and whose it is. */
import type { IncomingMessage, ServerInfo } from '../../protocol/wire.js';
import type { StoredMessage } from '../store/types.js';
import type { Connection } from './connection.js';

/** Who asks, as far as "is it mine" goes. */
export type Asker = Pick<Connection, 'id' | 'authorized' | 'user_id' | 'reader'>;

/**
 * Did this connection write the message? An authorized user on any of their connections; a guest only
 * on the connection that sent it (a guest has no identity beyond it).
 */
export function isAuthor(m: StoredMessage, asker: Asker): boolean {
  if (m.user_id > 0) return asker.authorized && asker.user_id === m.user_id;
  return m.conn !== undefined && m.conn === asker.id;
}

/** Reactors per emoji, emojis without any left out; undefined when there are none. */
export function reactionCounts(m: StoredMessage): Record<string, number> | undefined {
  let counts: Record<string, number> | undefined;
  for (const [emoji, reactors] of Object.entries(m.reactions ?? {})) {
    const n = Object.keys(reactors).length;
    if (n > 0) (counts ??= {})[emoji] = n;
  }
  return counts;
}

/**
 * The message as it goes out: the author's connection stays on the server; a history answer tells the
 * asking connection which of its messages it may change and which reactions are its own.
 */
export function toIncoming(m: StoredMessage, history: boolean, asker?: Asker): IncomingMessage {
  const info: ServerInfo = {
    pipe: m.pipe,
    event: m.event,
    user_id: m.user_id,
    ...(m.user_name === undefined ? {} : { user_name: m.user_name }),
    history,
    marker: m.marker,
    time: m.time,
  };
  if (m.reply !== undefined) info.reply = m.reply;
  if (m.edited !== undefined) info.edited = m.edited;
  if (m.deleted) info.deleted = true;
  const counts = reactionCounts(m);
  if (counts) info.reactions = counts;
  if (asker) {
    const mine = Object.entries(m.reactions ?? {}).flatMap(([emoji, by]) =>
      Object.hasOwn(by, asker.reader) ? [emoji] : [],
    );
    if (mine.length > 0) info.my_reactions = mine;
    if (isAuthor(m, asker)) info.mine = true;
  }
  return { data: m.data, server_info: info };
}
