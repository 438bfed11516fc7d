/** Messages with a lifecycle over real sockets: edit, delete, reply, react and "seen by", with their refusals. */
import { before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REACTIONS, REPLY_EXCERPT_MAX } from '../../src/protocol/limits.js';
import type {
  DeleteNotice,
  EditNotice,
  IncomingMessage,
  ReactionNotice,
  ReadNotice,
  ReadPosition,
} from '../../src/protocol/wire.js';
import type { Store } from '../../src/server/store/types.js';
import { nextEvent, request, subscribe, useServer, waitForMessage, type Client } from './socket-helpers.js';

/** The core's clock: tests move it to step past edit windows. */
let now = Date.now();

describe('message lifecycle', () => {
  const env = useServer({
    clock: () => now,
    apps: [
      {
        id: 'strict',
        editWindowSeconds: 60,
        deleteMode: 'vanish',
        reactions: ['🔥', '👍'],
        quota: { reactionBytes: 40, readersPerPipe: 2 },
      },
      { id: 'frozen', editWindowSeconds: 0 },
      { id: 'crowd', reactions: ['👍'], quota: { reactionBytes: 200 } },
    ],
    // Every guest here is a connection of its own, all from 127.0.0.1.
    limits: { handshakes: { burst: 1000, perSecond: 100 } },
  });
  const { client } = env;
  const user = (id: number, app = '1') => client({ dev_id: app, user_id: id, user_key: `key${id}` });
  const guest = (app = '1') => client({ dev_id: app });

  before(async () => {
    for (const app of ['1', 'strict', 'frozen', 'crowd']) {
      for (const id of [1, 2, 3]) await env.server.core.setUserKey(app, id, `key${id}`, `User ${id}`);
    }
  });

  const publish = async (c: Client, pipe: string, data: unknown, extra: object = {}): Promise<number> => {
    const res = await request<{ error: string; marker: number }>(c, 'publish', { pipe, data, ...extra });
    assert.equal(res.error, '', JSON.stringify(res));
    return res.marker;
  };
  const historyOf = async (c: Client, pipe: string): Promise<IncomingMessage[]> => {
    const res = await request<{ error: string; messages: IncomingMessage[] }>(c, 'history', { pipe });
    assert.equal(res.error, '');
    return res.messages;
  };
  const find = (messages: IncomingMessage[], marker: number) => messages.find((m) => m.server_info.marker === marker);

  it('names every connection as a reader and tells it the app settings', async () => {
    const [u, g, strict] = await Promise.all([user(1), guest(), user(1, 'strict')]);
    assert.equal(u.info.reader, 'u1');
    assert.match(g.info.reader, /^g[A-Za-z0-9_-]{8,}$/);
    assert.notEqual((await guest()).info.reader, g.info.reader);
    assert.deepEqual(u.info.reactions, [...DEFAULT_REACTIONS]);
    assert.equal(u.info.edit_window, 15 * 60);
    assert.deepEqual(strict.info.reactions, ['🔥', '👍']);
    assert.equal(strict.info.edit_window, 60);
  });

  it('lets an author edit their message on any of their connections; everyone sees it live and in history', async () => {
    const [author, otherTab, watcher, stranger] = await Promise.all([user(1), user(1), guest(), user(2)]);
    await subscribe(watcher, 'web_edit');
    const marker = await publish(author, 'web_edit', { text: 'helo' });
    now += 1000;
    const seen = nextEvent<EditNotice>(watcher, 'edit');
    const res = await request(otherTab, 'edit', { pipe: 'web_edit', marker, data: { text: 'hello' } });
    assert.deepEqual(res, { error: '', edited: now });
    assert.deepEqual(await seen, { pipe: 'web_edit', marker, data: { text: 'hello' }, edited: now });
    const kept = find(await historyOf(watcher, 'web_edit'), marker)!;
    assert.deepEqual(kept.data, { text: 'hello' });
    assert.equal(kept.server_info.edited, now);
    assert.equal(kept.server_info.mine, undefined);
    assert.equal(find(await historyOf(author, 'web_edit'), marker)!.server_info.mine, true);

    const refused = await request(stranger, 'edit', { pipe: 'web_edit', marker, data: 'mine now' });
    assert.equal(refused.error, 'forbidden');
    assert.equal((await request(stranger, 'delete', { pipe: 'web_edit', marker })).error, 'forbidden');
    assert.equal(
      (await request(author, 'edit', { pipe: 'web_edit', marker: marker + 1000, data: 1 })).error,
      'not_found',
    );
    assert.equal((await request(author, 'edit', { pipe: 'web_other', marker, data: 1 })).error, 'not_found');
    assert.deepEqual(find(await historyOf(author, 'web_edit'), marker)!.data, { text: 'hello' });
  });

  it('knows a guest author only on the connection that sent the message', async () => {
    const [author, otherGuest] = await Promise.all([guest(), guest()]);
    const marker = await publish(author, 'web_guests', { text: 'hi', name: 'Ann' });
    const theirs = await request(otherGuest, 'edit', { pipe: 'web_guests', marker, data: { text: 'spoofed' } });
    assert.equal(theirs.error, 'forbidden');
    assert.equal((await request(otherGuest, 'delete', { pipe: 'web_guests', marker })).error, 'forbidden');
    assert.equal((await request(author, 'edit', { pipe: 'web_guests', marker, data: { text: 'hi!' } })).error, '');
    const [kept] = await historyOf(author, 'web_guests');
    assert.equal(kept.server_info.mine, true);
    assert.equal(find(await historyOf(otherGuest, 'web_guests'), marker)!.server_info.mine, undefined);
    // The author's connection stays on the server.
    assert.ok(!JSON.stringify(kept).includes(author.socket.id!));
  });

  it('refuses changes past the edit window, saying why, and all of them where the window is 0', async () => {
    const author = await user(1);
    const marker = await publish(author, 'web_late', 'on time');
    now += 15 * 60 * 1000 + 1;
    const late = await request<{ error: string; message: string }>(author, 'edit', {
      pipe: 'web_late',
      marker,
      data: 'late',
    });
    assert.equal(late.error, 'forbidden');
    assert.match(late.message, /900 seconds/);
    assert.equal((await request(author, 'delete', { pipe: 'web_late', marker })).error, 'forbidden');
    // The backend may change any message at any time.
    await env.server.core.editMessage('1', 'web_late', marker, 'fixed by the site');
    assert.equal((await historyOf(author, 'web_late'))[0].data, 'fixed by the site');

    const frozen = await user(1, 'frozen');
    const fresh = await publish(frozen, 'web_frozen', 'fixed');
    const res = await request<{ error: string; message: string }>(frozen, 'edit', {
      pipe: 'web_frozen',
      marker: fresh,
      data: 'x',
    });
    assert.equal(res.error, 'forbidden');
    assert.match(res.message, /does not let authors change/);
  });

  it('leaves a tombstone of a deleted message, which nothing changes any more', async () => {
    const [author, watcher] = await Promise.all([user(1), user(2)]);
    await subscribe(watcher, 'web_del');
    const marker = await publish(author, 'web_del', { text: 'oops' });
    const told = nextEvent<DeleteNotice>(watcher, 'delete');
    assert.deepEqual(await request(author, 'delete', { pipe: 'web_del', marker }), { error: '' });
    assert.deepEqual(await told, { pipe: 'web_del', marker, tombstone: true });
    const [stone] = await historyOf(watcher, 'web_del');
    assert.equal(stone.data, null);
    assert.equal(stone.server_info.deleted, true);
    assert.equal(stone.server_info.user_id, 1);
    assert.equal((await request(author, 'edit', { pipe: 'web_del', marker, data: 'back' })).error, 'not_found');
    assert.equal((await request(author, 'delete', { pipe: 'web_del', marker })).error, 'not_found');
    const react = { pipe: 'web_del', marker, emoji: '👍', on: true };
    assert.equal((await request(watcher, 'react', react)).error, 'not_found');
  });

  it('lets a deleted message vanish where the app says so', async () => {
    const [author, watcher] = await Promise.all([user(1, 'strict'), user(2, 'strict')]);
    await subscribe(watcher, 'web_vanish');
    const marker = await publish(author, 'web_vanish', 'gone soon');
    const told = nextEvent<DeleteNotice>(watcher, 'delete');
    assert.equal((await request(author, 'delete', { pipe: 'web_vanish', marker })).error, '');
    assert.deepEqual(await told, { pipe: 'web_vanish', marker });
    assert.deepEqual(await historyOf(watcher, 'web_vanish'), []);
  });

  it('quotes the message a reply answers, live and in history; an unknown one publishes nothing', async () => {
    const [asker, answerer] = await Promise.all([guest(), user(2)]);
    await subscribe(asker, 'web_reply');
    const long = 'q'.repeat(REPLY_EXCERPT_MAX - 1) + '👋 and more';
    const question = await publish(asker, 'web_reply', { text: long, name: '  Ann  ' });
    const answer = await publish(answerer, 'web_reply', 'yes', { reply_to: question });
    const quote = {
      marker: question,
      user_id: 0,
      guest_name: 'Ann',
      excerpt: 'q'.repeat(REPLY_EXCERPT_MAX - 1) + '👋',
    };
    const live = await waitForMessage(asker, (m) => m.server_info.marker === answer);
    assert.deepEqual(live.server_info.reply, quote);
    assert.deepEqual(find(await historyOf(asker, 'web_reply'), answer)!.server_info.reply, quote);
    const second = await publish(asker, 'web_reply', 'thanks', { reply_to: answer });
    assert.deepEqual(find(await historyOf(asker, 'web_reply'), second)!.server_info.reply, {
      marker: answer,
      user_id: 2,
      user_name: 'User 2',
      excerpt: 'yes',
    });

    const unknown = await request(answerer, 'publish', { pipe: 'web_reply', data: 'to nothing', reply_to: 999_999 });
    assert.equal(unknown.error, 'not_found');
    assert.equal((await historyOf(asker, 'web_reply')).length, 3);
  });

  it('leaves nothing of a deleted message in the quotes of its replies, whoever deleted it', async () => {
    const deleters: [string, string, (c: Client, pipe: string, marker: number) => Promise<unknown>][] = [
      ['1', 'web_q_stone', (c, pipe, marker) => request(c, 'delete', { pipe, marker })],
      ['strict', 'web_q_vanish', (c, pipe, marker) => request(c, 'delete', { pipe, marker })],
      ['1', 'web_q_backend', (_c, pipe, marker) => env.server.core.deleteMessage('1', pipe, marker)],
    ];
    for (const [app, pipe, remove] of deleters) {
      const [author, replier, newcomer] = [await guest(app), await user(2, app), await guest(app)];
      const marker = await publish(author, pipe, { text: 'call me at 555-0100', name: 'Ann' });
      const reply = await publish(replier, pipe, 'ok', { reply_to: marker });
      await remove(author, pipe, marker);
      assert.deepEqual(find(await historyOf(newcomer, pipe), reply)!.server_info.reply, {
        marker,
        user_id: 0,
        excerpt: '',
      });
    }
  });

  it('quotes the edited text in the replies, so an author who edits a secret out takes it out of them too', async () => {
    const [author, replier, newcomer] = [await user(1), await user(2), await guest()];
    const marker = await publish(author, 'web_q_edit', { text: 'my password is hunter2' });
    const reply = await publish(replier, 'web_q_edit', 'noted', { reply_to: marker });
    const other = await publish(replier, 'web_q_edit', 'unrelated');
    assert.equal(
      (await request(author, 'edit', { pipe: 'web_q_edit', marker, data: { text: '[removed]' } })).error,
      '',
    );
    const kept = await historyOf(newcomer, 'web_q_edit');
    assert.deepEqual(find(kept, reply)!.server_info.reply, {
      marker,
      user_id: 1,
      user_name: 'User 1',
      excerpt: '[removed]',
    });
    assert.equal(find(kept, other)!.server_info.reply, undefined);
    await env.server.core.editMessage('1', 'web_q_edit', marker, { text: 'said by the backend' });
    assert.equal(
      find(await historyOf(newcomer, 'web_q_edit'), reply)!.server_info.reply!.excerpt,
      'said by the backend',
    );
  });

  it("requotes a guest's name with its text, and a reply whose original changed while it was being published", async () => {
    const [author, replier, newcomer] = [await guest(), await user(2), await guest()];
    const marker = await publish(author, 'web_q_race', { text: 'SECRET', name: 'Ann 555-0100' });
    const early = await publish(replier, 'web_q_race', 'ok', { reply_to: marker });
    assert.equal(
      (await request(author, 'edit', { pipe: 'web_q_race', marker, data: { text: 'x', name: 'Ann' } })).error,
      '',
    );
    assert.deepEqual(find(await historyOf(newcomer, 'web_q_race'), early)!.server_info.reply, {
      marker,
      user_id: 0,
      guest_name: 'Ann',
      excerpt: 'x',
    });
    // The quote is read, then the original is deleted (its requote finds no reply yet), then the reply is kept.
    const { messages } = env.server.core;
    const quote = messages.quote.bind(messages);
    mock.method(messages, 'quote', async (...args: Parameters<typeof quote>) => {
      const q = await quote(...args);
      await env.server.core.deleteMessage('1', 'web_q_race', marker);
      return q;
    });
    let late: number;
    try {
      late = await publish(replier, 'web_q_race', 'too late', { reply_to: marker });
    } finally {
      mock.restoreAll();
    }
    assert.deepEqual(find(await historyOf(newcomer, 'web_q_race'), late)!.server_info.reply, {
      marker,
      user_id: 0,
      excerpt: '',
    });
  });

  it('requotes again when the original is edited while its replies are being requoted', async () => {
    const [author, replier, newcomer] = [await user(1), await user(2), await guest()];
    const marker = await publish(author, 'web_q_twice', { text: 'first' });
    const reply = await publish(replier, 'web_q_twice', 'ok', { reply_to: marker });
    // The first edit's requote reads the replies only once the second edit, and its requote, are done.
    const store = (env.server.core as unknown as { store: Store }).store;
    const readHistory = store.readHistory.bind(store);
    let second: Promise<unknown> | undefined;
    mock.method(store, 'readHistory', async (...args: Parameters<Store['readHistory']>) => {
      if (second === undefined && args[2].after === marker) {
        // The backend's edit: the author's own budget for reading is taken by the first edit until it ends.
        second = env.server.core.editMessage('1', 'web_q_twice', marker, { text: 'public' });
        await second;
      }
      return readHistory(...args);
    });
    try {
      const res = await request(author, 'edit', { pipe: 'web_q_twice', marker, data: { text: 'SECRET' } });
      assert.equal(res.error, '');
    } finally {
      mock.restoreAll();
    }
    const kept = await historyOf(newcomer, 'web_q_twice');
    assert.deepEqual(find(kept, marker)!.data, { text: 'public' });
    assert.equal(find(kept, reply)!.server_info.reply!.excerpt, 'public');
  });

  it("tells edits and reactions to those who got the message: a pipe.event subscriber not of other events' messages", async () => {
    const [author, fan, newsOnly, whole] = await Promise.all([user(1), guest(), guest(), guest()]);
    await subscribe(newsOnly, 'web_ev.news');
    await subscribe(whole, 'web_ev');
    const chat = (await request<{ marker: number }>(author, 'publish', { pipe: 'web_ev', event: 'chat', data: 'c' }))
      .marker;
    const news = (await request<{ marker: number }>(author, 'publish', { pipe: 'web_ev', event: 'news', data: 'n' }))
      .marker;
    const edits = [nextEvent<EditNotice>(newsOnly, 'edit'), nextEvent<EditNotice>(whole, 'edit')];
    for (const marker of [chat, news]) await request(author, 'edit', { pipe: 'web_ev', marker, data: 'changed' });
    assert.deepEqual(
      (await Promise.all(edits)).map((n) => n.marker),
      [news, chat],
    );
    const reactions = [nextEvent<ReactionNotice>(newsOnly, 'reaction'), nextEvent<ReactionNotice>(whole, 'reaction')];
    for (const marker of [chat, news]) await request(fan, 'react', { pipe: 'web_ev', marker, emoji: '👍', on: true });
    assert.deepEqual(
      (await Promise.all(reactions)).map((n) => n.marker),
      [news, chat],
    );
  });

  it('toggles reactions, one per user and emoji, counted live and in history', async () => {
    const [author, fan, fanTab, g, watcher] = await Promise.all([user(1), user(2), user(2), guest(), guest()]);
    await subscribe(watcher, 'web_react');
    const marker = await publish(author, 'web_react', 'react to me');
    const react = (c: Client, emoji: string, on = true) =>
      request<{ error: string; count?: number }>(c, 'react', { pipe: 'web_react', marker, emoji, on });

    const first = nextEvent<ReactionNotice>(watcher, 'reaction');
    assert.deepEqual(await react(fan, '👍'), { error: '', count: 1 });
    assert.deepEqual(await first, {
      pipe: 'web_react',
      marker,
      emoji: '👍',
      count: 1,
      on: true,
      user_id: 2,
      user_name: 'User 2',
    });
    // The same user on another tab: still one reaction.
    assert.deepEqual(await react(fanTab, '👍'), { error: '', count: 1 });
    const guestTold = nextEvent<ReactionNotice>(watcher, 'reaction');
    assert.deepEqual(await react(g, '👍'), { error: '', count: 2 });
    assert.deepEqual(await guestTold, { pipe: 'web_react', marker, emoji: '👍', count: 2, on: true, user_id: 0 });
    assert.deepEqual(await react(g, '❤️'), { error: '', count: 1 });
    assert.equal((await react(g, '🦄')).error, 'invalid');

    const seenBy = async (c: Client) => find(await historyOf(c, 'web_react'), marker)!.server_info;
    assert.deepEqual((await seenBy(g)).reactions, { '👍': 2, '❤️': 1 });
    assert.deepEqual((await seenBy(g)).my_reactions, ['👍', '❤️']);
    assert.deepEqual((await seenBy(fanTab)).my_reactions, ['👍']);
    assert.equal((await seenBy(author)).my_reactions, undefined);
    assert.equal((await seenBy(author)).mine, true);

    const who = await request(author, 'reactors', { pipe: 'web_react', marker });
    assert.deepEqual(who, {
      error: '',
      reactors: { '👍': [{ user_id: 2, user_name: 'User 2' }, { user_id: 0 }], '❤️': [{ user_id: 0 }] },
      reactions: { '👍': 2, '❤️': 1 },
    });

    const off = nextEvent<ReactionNotice>(watcher, 'reaction');
    assert.deepEqual(await react(fanTab, '👍', false), { error: '', count: 1 });
    assert.deepEqual(await off, {
      pipe: 'web_react',
      marker,
      emoji: '👍',
      count: 1,
      on: false,
      user_id: 2,
      user_name: 'User 2',
    });
    assert.deepEqual(await react(fan, '👍', false), { error: '', count: 1 });
    assert.equal((await react(g, '❤️', false)).count, 0);
    assert.deepEqual((await seenBy(g)).reactions, { '👍': 1 });
    assert.equal(
      (await request(g, 'react', { pipe: 'web_react', marker: 999_999, emoji: '👍', on: true })).error,
      'not_found',
    );
    assert.equal((await request(g, 'reactors', { pipe: 'web_react', marker: 999_999 })).error, 'not_found');
  });

  it("keeps reactions within the app's set and its bytes per message", async () => {
    const [author, a, b, c] = await Promise.all([
      user(1, 'strict'),
      user(2, 'strict'),
      user(3, 'strict'),
      guest('strict'),
    ]);
    const marker = await publish(author, 'web_rx', 'hot');
    const react = (who: Client, emoji: string) => request(who, 'react', { pipe: 'web_rx', marker, emoji, on: true });
    assert.equal((await react(a, '❤️')).error, 'invalid');
    assert.deepEqual(await react(a, '🔥'), { error: '', count: 1 });
    assert.deepEqual(await react(b, '🔥'), { error: '', count: 2 });
    const full = await react(c, '🔥');
    assert.equal(full.error, 'too_large');
    assert.deepEqual(find(await historyOf(author, 'web_rx'), marker)!.server_info.reactions, { '🔥': 2 });
  });

  it("keeps half of a message's reaction bytes for users: guests, a new one per connection, cannot fill it", async () => {
    const author = await user(1, 'crowd');
    const marker = await publish(author, 'web_crowd', 'vote');
    const react = (who: Client) =>
      request<{ error: string; message?: string }>(who, 'react', {
        pipe: 'web_crowd',
        marker,
        emoji: '👍',
        on: true,
      });
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await react(await guest('crowd')));
    const taken = answers.filter((a) => a.error === '').length;
    // Each guest's entry is ~15 bytes of JSON: 100 bytes hold 5 or 6 of them, and then no more.
    assert.ok(taken >= 4 && taken <= 7, JSON.stringify(answers));
    assert.deepEqual(answers.at(-1), {
      error: 'too_large',
      message: `message ${marker} holds as many reactions from guests as it can`,
    });
    for (const id of [1, 2, 3]) assert.equal((await react(await user(id, 'crowd'))).error, '');
    const { reactions } = await request<{ reactions: Record<string, number> }>(author, 'reactors', {
      pipe: 'web_crowd',
      marker,
    });
    assert.deepEqual(reactions, { '👍': taken + 3 });
  });

  it('keeps how far each reader has seen a pipe, only forward, and tells the pipe', async () => {
    const [u, g, watcher, outsider] = await Promise.all([user(1), guest(), user(3), guest()]);
    for (const c of [u, g, watcher]) await subscribe(c, 'web_seen');
    const m1 = await publish(u, 'web_seen', 'one');
    const m2 = await publish(u, 'web_seen', 'two');

    const told = nextEvent<ReadNotice>(watcher, 'read');
    assert.deepEqual(await request(g, 'read', { pipe: 'web_seen', marker: m1 }), { error: '' });
    assert.deepEqual(await told, { pipe: 'web_seen', reader: g.info.reader, user_id: 0, marker: m1 });
    const second = nextEvent<ReadNotice>(watcher, 'read');
    assert.equal((await request(u, 'read', { pipe: 'web_seen', marker: m2 })).error, '');
    assert.deepEqual(await second, { pipe: 'web_seen', reader: 'u1', user_id: 1, user_name: 'User 1', marker: m2 });
    // Backwards moves nothing, and tells no one.
    let noticed = false;
    watcher.socket.once('read', () => (noticed = true));
    assert.equal((await request(u, 'read', { pipe: 'web_seen', marker: m1 })).error, '');

    const { readers } = await request<{ readers: ReadPosition[] }>(watcher, 'readers', { pipe: 'web_seen' });
    assert.deepEqual(readers, [
      { reader: 'u1', user_id: 1, user_name: 'User 1', marker: m2 },
      { reader: g.info.reader, user_id: 0, marker: m1 },
    ]);
    assert.equal(noticed, false);
    assert.deepEqual(await env.server.core.readers('1', 'web_seen'), readers);

    assert.equal((await request(outsider, 'read', { pipe: 'web_seen', marker: m2 })).error, 'forbidden');
    assert.equal((await request(g, 'read', { pipe: 'web_seen', marker: 999_999 })).error, 'not_found');
  });

  it('keeps at most the set number of readers per pipe, forgetting the one that moved longest ago', async () => {
    const readers = await Promise.all([guest('strict'), guest('strict'), guest('strict')]);
    const author = await user(1, 'strict');
    const marker = await publish(author, 'web_many', 'read me');
    for (const r of readers) {
      await subscribe(r, 'web_many');
      assert.equal((await request(r, 'read', { pipe: 'web_many', marker })).error, '');
      now += 1;
    }
    const listed = (await request<{ readers: ReadPosition[] }>(author, 'readers', { pipe: 'web_many' })).readers;
    assert.deepEqual(listed.map((r) => r.reader).sort(), [readers[1].info.reader, readers[2].info.reader].sort());
  });

  it('refuses banned users, and readers outside the pipes they may publish into', async () => {
    const [author, banned] = await Promise.all([user(1), user(3)]);
    await subscribe(banned, 'web_ban');
    const marker = await publish(author, 'web_ban', 'hi');
    await env.server.core.ban('1', { user_id: 3, pipe: 'web_ban' });
    try {
      assert.equal(
        (await request(banned, 'react', { pipe: 'web_ban', marker, emoji: '👍', on: true })).error,
        'banned',
      );
      assert.equal((await request(banned, 'read', { pipe: 'web_ban', marker })).error, 'banned');
      assert.equal((await request(banned, 'publish', { pipe: 'web_ban', data: 1, reply_to: marker })).error, 'banned');
    } finally {
      await env.server.core.unban('1', { user_id: 3, pipe: 'web_ban' });
    }
    const g = await guest();
    // Guests may not write into pipes for authorized users only.
    assert.equal((await request(g, 'react', { pipe: 'webauth_x', marker, emoji: '👍', on: true })).error, 'forbidden');
  });
});

describe('message lifecycle limits', () => {
  const env = useServer({
    clock: () => now,
    limits: { publish: { burst: 3, perSecond: 0.001 }, requests: { burst: 3, perSecond: 0.001 } },
  });

  it('takes edits, deletes, reactions and read positions from the publish bucket, readers and reactors from the request bucket', async () => {
    const c = await env.client();
    const marker = (await request<{ marker: number }>(c, 'publish', { pipe: 'web_rate', data: 'a' })).marker;
    assert.equal((await request(c, 'react', { pipe: 'web_rate', marker, emoji: '👍', on: true })).error, '');
    assert.equal((await request(c, 'edit', { pipe: 'web_rate', marker, data: 'b' })).error, '');
    const over = await request<{ error: string; message: string }>(c, 'delete', { pipe: 'web_rate', marker });
    assert.equal(over.error, 'rate_limited');
    assert.match(over.message, /too many messages/);

    assert.equal((await request(c, 'subscribe', { pipes: ['web_rate'] })).error, '');
    // Each position that moves is told to the pipe: as many as it may publish, no more.
    assert.equal((await request(c, 'read', { pipe: 'web_rate', marker })).error, 'rate_limited');
    assert.equal((await request(c, 'readers', { pipe: 'web_rate' })).error, '');
    assert.equal((await request(c, 'reactors', { pipe: 'web_rate', marker })).error, '');
    assert.equal((await request(c, 'readers', { pipe: 'web_rate' })).error, 'rate_limited');
  });
});

describe('message lifecycle answer bytes', () => {
  const env = useServer({
    clock: () => now,
    apps: [{ id: '1', reactions: ['👍', '❤️', '😂', '😮', '😢', '🙏'] }],
    limits: { replyBytes: { burst: 2000, perSecond: 1 } },
  });

  it("takes readers' and reactors' answers from the connection's reply bytes, as history's", async () => {
    const c = await env.client();
    const marker = (await request<{ marker: number }>(c, 'publish', { pipe: 'web_bytes', data: 'a' })).marker;
    for (const emoji of ['👍', '❤️', '😂', '😮', '😢', '🙏'])
      await request(c, 'react', { pipe: 'web_bytes', marker, emoji, on: true });
    const answers: string[] = [];
    for (let i = 0; i < 30; i++) {
      const asked =
        i % 2 ? request(c, 'readers', { pipe: 'web_bytes' }) : request(c, 'reactors', { pipe: 'web_bytes', marker });
      answers.push((await asked).error);
    }
    // About 200 bytes an answer: the 2,000 of the budget last about ten, and it does not refill meanwhile.
    assert.ok(
      answers.slice(0, 5).every((e) => e === ''),
      answers.join(),
    );
    assert.equal(answers.at(-1), 'rate_limited');
    assert.equal((await request(c, 'history', { pipe: 'web_bytes' })).error, 'rate_limited');
  });

  it('takes what a change may read from the reply bytes first, so changes sent together cannot all read', async () => {
    const c = await env.client();
    const markers = [];
    for (const text of ['a', 'b']) {
      markers.push((await request<{ marker: number }>(c, 'publish', { pipe: 'web_burst', data: { text } })).marker);
    }
    const core = env.server.core;
    const open = await core.openConnection('burst', '1', 'bad_key', undefined);
    assert.ok(open.ok);
    const conn = open.conn;
    for (const text of ['c', 'd'])
      markers.push((await core.connPublish(conn, { pipe: 'web_burst', data: { text } })).marker!);
    const results = await Promise.allSettled(markers.slice(2).map((m) => core.messages.remove(conn, 'web_burst', m)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? '' : (r.reason as { code: string }).code)),
      ['', 'rate_limited'],
    );
    // What the first did not read came back: the next delete goes through.
    await core.messages.remove(conn, 'web_burst', markers[3]);
  });

  it('charges what a delete or an edit reads to find the replies to requote to the same bytes', async () => {
    for (const change of ['delete', 'edit'] as const) {
      const c = await env.client();
      const pipe = `web_scan_${change}`;
      const marker = (await request<{ marker: number }>(c, 'publish', { pipe, data: { text: 'first' } })).marker;
      // Written by the backend, so that the connection's own budgets stay as they are: 6 KB after the message.
      for (let i = 0; i < 6; i++) await env.server.core.publish('1', pipe, undefined, 'x'.repeat(1000));
      const asked = change === 'delete' ? { pipe, marker } : { pipe, marker, data: { text: 'second' } };
      assert.equal((await request(c, change, asked)).error, '');
      assert.equal((await request(c, 'history', { pipe })).error, 'rate_limited');
    }
  });
});
