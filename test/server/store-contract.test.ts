/**
 * One behavioural suite for the Store interface, run against every implementation:
 * memory, SQLite (in a temporary directory) and Redis (under a random key prefix, deleted after).
 * A second handle on the same backing (a second node, a second process) is tested where one exists.
 */
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryLimits, HistoryPage, Store, StoredMessage } from '../../src/server/store/types.js';
import { MemoryStore } from '../../src/server/store/memory.js';
import { SqliteStore } from '../../src/server/store/sqlite.js';
import { RedisStore } from '../../src/server/store/redis.js';
import { REDIS_URL, deleteKeysUnder, keysUnder, randomPrefix } from '../cluster/redis-keys.js';

interface Opened {
  store: Store;
  /** Another store on the same backing, as a second node would open it. */
  openSibling?: () => Store;
  /** Closes what `open` made and removes its data. */
  dispose(): Promise<void>;
}

interface Backend {
  name: string;
  /** Several handles (nodes, processes) can open the same backing; `open` then gives `openSibling`. */
  shared: boolean;
  open(): Promise<Opened>;
}

const backends: Backend[] = [
  {
    name: 'memory',
    shared: false,
    async open() {
      const store = new MemoryStore();
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'sqlite',
    shared: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'comet-store-'));
      const file = join(dir, 'comet.db');
      const siblings: Store[] = [];
      const store = new SqliteStore(file);
      return {
        store,
        openSibling() {
          const s = new SqliteStore(file);
          siblings.push(s);
          return s;
        },
        async dispose() {
          for (const s of siblings) await s.close();
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'redis',
    shared: true,
    async open() {
      const prefix = randomPrefix();
      const siblings: Store[] = [];
      const store = new RedisStore({ url: REDIS_URL, prefix });
      return {
        store,
        openSibling() {
          const s = new RedisStore({ url: REDIS_URL, prefix });
          siblings.push(s);
          return s;
        },
        async dispose() {
          for (const s of siblings) await s.close();
          await store.close();
          await deleteKeysUnder(prefix);
        },
      };
    },
  },
];

function message(marker: number, pipe = 'web_chat', extra: Partial<StoredMessage> = {}): StoredMessage {
  return {
    marker,
    pipe,
    event: 'undefined',
    user_id: 0,
    time: 1_700_000_000_000 + marker,
    data: { text: `m${marker}` },
    ...extra,
  };
}

const markersOf = (found: HistoryPage | StoredMessage[]) =>
  (Array.isArray(found) ? found : found.messages).map((m) => m.marker);
/** Limits of a pipe that keeps `n` entries and is never short of bytes. */
const keep = (n: number): HistoryLimits => ({ keep: n, pipeBytes: 1e9, appBytes: 1e9, appPipes: 1e6 });
/** The stored size of a message as every store counts it: the UTF-8 bytes of its JSON. */
const sizeOf = (m: StoredMessage) => Buffer.byteLength(JSON.stringify(m));

for (const backend of backends) {
  describe(`Store contract: ${backend.name}`, () => {
    let opened: Opened;
    let store: Store;

    beforeEach(async () => {
      opened = await backend.open();
      store = opened.store;
    });
    afterEach(async () => {
      await opened.dispose();
    });

    describe('markers', () => {
      it('hands out positive, strictly increasing markers per app', async () => {
        const a = await store.nextMarker('1');
        const b = await store.nextMarker('1');
        const c = await store.nextMarker('1');
        assert.ok(a.marker >= 1 && Number.isInteger(a.marker));
        assert.ok(b.marker > a.marker && c.marker > b.marker);
      });

      it('names the sequence with one epoch, the same before and after markers are handed out', async () => {
        const before = await store.markerEpoch('1');
        assert.equal(typeof before, 'string');
        assert.ok(before.length > 0);
        assert.equal((await store.nextMarker('1')).epoch, before);
        assert.equal(await store.markerEpoch('1'), before);
        assert.notEqual(await store.markerEpoch('2'), before);
      });

      it("starts an epoch's markers at 1, whether the epoch was read first or not (the core tells a new epoch by it)", async () => {
        const unread = `first-${Math.random().toString(36).slice(2)}`;
        assert.equal((await store.nextMarker(unread)).marker, 1);
        const read = `first-${Math.random().toString(36).slice(2)}`;
        const epoch = await store.markerEpoch(read);
        assert.deepEqual(await store.nextMarker(read), { marker: 1, epoch });
      });

      it('never hands the same marker out twice under concurrent calls', async () => {
        const markers = await Promise.all(Array.from({ length: 40 }, () => store.nextMarker('1')));
        assert.equal(new Set(markers.map((t) => t.marker)).size, 40);
      });

      if (backend.shared) {
        it('keeps one sequence across handles on the same backing (several nodes)', async () => {
          const other = opened.openSibling!();
          const mine = await store.nextMarker('1');
          const theirs = await other.nextMarker('1');
          const mineAgain = await store.nextMarker('1');
          assert.ok(theirs.marker > mine.marker && mineAgain.marker > theirs.marker);
          assert.equal(theirs.epoch, mine.epoch);
        });
      }
    });

    describe('history', () => {
      beforeEach(async () => {
        for (let m = 1; m <= 6; m++) await store.appendHistory('1', message(m * 10), keep(100));
      });

      it('gives the newest page oldest first when no bound is given', async () => {
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 3 })), [40, 50, 60]);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [10, 20, 30, 40, 50, 60]);
      });

      it('pages back with `before` (strictly below)', async () => {
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 2, before: 40 })), [20, 30]);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 5, before: 10 })), []);
      });

      it('catches up with `after` (the oldest page strictly above)', async () => {
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 2, after: 20 })), [30, 40]);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 9, after: 60 })), []);
      });

      it('honours `after` and `before` together', async () => {
        assert.deepEqual(
          markersOf(await store.readHistory('1', 'web_chat', { limit: 10, after: 10, before: 50 })),
          [20, 30, 40],
        );
        assert.deepEqual(
          markersOf(await store.readHistory('1', 'web_chat', { limit: 2, after: 10, before: 50 })),
          [20, 30],
        );
      });

      it('gives back every field and the data as an equal JSON value', async () => {
        const data = { text: 'Привет <b>&amp;</b> 👋', list: [1, 2.5, null, true], nested: { deep: { x: 'y' } } };
        const full = message(70, 'web_chat', { event: 'say', user_id: 42, user_name: 'Виктор', data });
        await store.appendHistory('1', full, keep(100));
        const [got] = (await store.readHistory('1', 'web_chat', { limit: 1 })).messages;
        assert.deepEqual(got, full);
        await store.appendHistory('1', message(80, 'web_chat', { data: 'plain string' }), keep(100));
        const [plain] = (await store.readHistory('1', 'web_chat', { limit: 1 })).messages;
        assert.equal(plain.data, 'plain string');
        assert.equal(plain.user_name, undefined);
      });

      it('trims a pipe to `keep` newest entries on append', async () => {
        await store.appendHistory('1', message(70), keep(3));
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [50, 60, 70]);
      });

      it('keeps marker order when appends come out of it (publishers take markers before appending)', async () => {
        await store.appendHistory('1', message(35), keep(100));
        assert.deepEqual(
          markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })),
          [10, 20, 30, 35, 40, 50, 60],
        );
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 2, before: 40 })), [30, 35]);
        await store.appendHistory('1', message(5), keep(3));
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [40, 50, 60]);
      });

      it('deletes one entry and says whether it was there', async () => {
        assert.equal(await store.deleteHistory('1', 'web_chat', 30), true);
        assert.equal(await store.deleteHistory('1', 'web_chat', 30), false);
        assert.equal(await store.deleteHistory('1', 'web_other', 10), false);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [10, 20, 40, 50, 60]);
      });

      it('trims to the newest N, and clears with 0', async () => {
        await store.trimHistory('1', 'web_chat', 2);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [50, 60]);
        await store.trimHistory('1', 'web_chat', 0);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), []);
        await store.trimHistory('1', 'web_never_written', 0);
      });

      it('keeps pipes and apps apart', async () => {
        await store.appendHistory('1', message(70, 'web_other'), keep(100));
        await store.appendHistory('2', message(5, 'web_chat'), keep(100));
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_other', { limit: 50 })), [70]);
        assert.deepEqual(markersOf(await store.readHistory('2', 'web_chat', { limit: 50 })), [5]);
        assert.equal((await store.readHistory('1', 'web_chat', { limit: 50 })).messages.length, 6);
      });

      it('cuts a page at `maxBytes`: the newest entries paging back, the oldest catching up, never none', async () => {
        const one = sizeOf(message(10));
        const back = await store.readHistory('1', 'web_chat', { limit: 5, maxBytes: 2 * one });
        assert.deepEqual(markersOf(back), [50, 60]);
        assert.equal(back.bytes, 2 * one);
        assert.equal(back.more, true);
        const forward = await store.readHistory('1', 'web_chat', { limit: 5, after: 10, maxBytes: 2 * one + 1 });
        assert.deepEqual(markersOf(forward), [20, 30]);
        assert.equal(forward.more, true);
        const tiny = await store.readHistory('1', 'web_chat', { limit: 5, maxBytes: 1 });
        assert.deepEqual(markersOf(tiny), [60]);
        const whole = await store.readHistory('1', 'web_chat', { limit: 3, maxBytes: 100 * one });
        assert.deepEqual(markersOf(whole), [40, 50, 60]);
        assert.equal(whole.more, false);
        assert.equal(whole.bytes, 3 * one);
      });

      it('keeps each pipe within its bytes, dropping its oldest entries but never its newest', async () => {
        const one = sizeOf(message(10));
        await store.appendHistory('1', message(70), { ...keep(100), pipeBytes: 3 * one });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [50, 60, 70]);
        const huge = message(80, 'web_chat', { data: 'x'.repeat(10 * one) });
        await store.appendHistory('1', huge, { ...keep(100), pipeBytes: 3 * one });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), [80]);
        assert.deepEqual(await store.historyUsage('1'), { bytes: sizeOf(huge), pipes: 1 });
      });

      it('keeps the app within its bytes and pipes, dropping the least recently written pipes whole', async () => {
        const chat = 6 * sizeOf(message(10));
        assert.deepEqual(await store.historyUsage('1'), { bytes: chat, pipes: 1 });
        await store.appendHistory('1', message(70, 'web_b'), keep(100));
        await store.appendHistory('1', message(80, 'web_c'), keep(100));
        await store.appendHistory('1', message(90, 'web_b'), keep(100));
        assert.equal((await store.historyUsage('1')).pipes, 3);
        // A fourth pipe with room for three: the pipe written longest ago (web_chat) goes.
        await store.appendHistory('1', message(100, 'web_d'), { ...keep(100), appPipes: 3 });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 50 })), []);
        assert.deepEqual((await store.historyUsage('1')).pipes, 3);
        // Bytes for little more than one message: every other pipe goes, the one written stays.
        await store.appendHistory('1', message(110, 'web_c'), {
          ...keep(100),
          appBytes: sizeOf(message(110, 'web_c')) + 10,
        });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_b', { limit: 50 })), []);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_d', { limit: 50 })), []);
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_c', { limit: 50 })), [80, 110]);
        const usage = await store.historyUsage('1');
        assert.deepEqual(usage, { bytes: sizeOf(message(80, 'web_c')) + sizeOf(message(110, 'web_c')), pipes: 1 });
        // Other apps keep theirs.
        await store.appendHistory('2', message(5), keep(100));
        assert.deepEqual(await store.historyUsage('2'), { bytes: sizeOf(message(5)), pipes: 1 });
      });

      it('counts usage down as entries are deleted, trimmed and cleared', async () => {
        const one = sizeOf(message(10));
        assert.equal(await store.deleteHistory('1', 'web_chat', 30), true);
        assert.deepEqual(await store.historyUsage('1'), { bytes: 5 * one, pipes: 1 });
        await store.trimHistory('1', 'web_chat', 2);
        assert.deepEqual(await store.historyUsage('1'), { bytes: 2 * one, pipes: 1 });
        await store.trimHistory('1', 'web_chat', 0);
        assert.deepEqual(await store.historyUsage('1'), { bytes: 0, pipes: 0 });
        await store.appendHistory('1', message(70), keep(1));
        assert.equal(await store.deleteHistory('1', 'web_chat', 70), true);
        assert.deepEqual(await store.historyUsage('1'), { bytes: 0, pipes: 0 });
      });

      if (backend.shared) {
        it('is shared with a second handle on the same backing', async () => {
          const other = opened.openSibling!();
          assert.deepEqual(markersOf(await other.readHistory('1', 'web_chat', { limit: 2 })), [50, 60]);
          await other.appendHistory('1', message(70), keep(100));
          assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 1 })), [70]);
        });
      }
    });

    describe('history updates', () => {
      beforeEach(async () => {
        for (const m of [10, 20]) await store.appendHistory('1', message(m), keep(100));
      });

      it('changes one entry in place, keeping its place, and counts its new size', async () => {
        const changed = message(10, 'web_chat', { data: { text: 'longer text now' }, edited: 1_700_000_001_000 });
        const update = await store.updateHistory('1', 'web_chat', 10, (m) => ({ ...m, ...changed }), keep(100));
        assert.deepEqual(update, { before: message(10), after: changed });
        const page = await store.readHistory('1', 'web_chat', { limit: 10 });
        assert.deepEqual(page.messages, [changed, message(20)]);
        assert.deepEqual(await store.historyUsage('1'), { bytes: sizeOf(changed) + sizeOf(message(20)), pipes: 1 });
        await store.appendHistory('1', message(30), keep(2));
        assert.deepEqual(await store.historyUsage('1'), { bytes: sizeOf(message(20)) + sizeOf(message(30)), pipes: 1 });
      });

      it('keeps the fields of a lifecycle: author connection, reply quote, tombstone, reactions', async () => {
        const full = message(20, 'web_chat', {
          conn: 'conn-1',
          reply: { marker: 10, user_id: 0, guest_name: 'Ann', excerpt: 'm10' },
          deleted: true,
          data: null,
          reactions: { '👍': { u7: 'Bob', gAbc: '' } },
        });
        await store.updateHistory('1', 'web_chat', 20, () => full, keep(100));
        assert.deepEqual((await store.readHistory('1', 'web_chat', { limit: 1 })).messages, [full]);
      });

      it('evicts as an append does when a change grows the history past its limits', async () => {
        await store.appendHistory('1', message(30), keep(100));
        await store.appendHistory('1', message(5, 'web_b'), keep(100));
        const one = sizeOf(message(10));
        const grown = message(30, 'web_chat', { data: { text: 'x'.repeat(one) } });
        // The pipe holds three entries' bytes: growing its newest pushes its oldest out.
        await store.updateHistory('1', 'web_chat', 30, () => grown, { ...keep(100), pipeBytes: 3 * one + 20 });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 10 })), [20, 30]);
        // The app holds little more than this pipe: the other pipe goes whole.
        const bigger = message(30, 'web_chat', { data: { text: 'y'.repeat(2 * one) } });
        await store.updateHistory('1', 'web_chat', 30, () => bigger, {
          ...keep(100),
          appBytes: sizeOf(message(20)) + sizeOf(bigger) + 10,
        });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_b', { limit: 10 })), []);
        assert.deepEqual(await store.historyUsage('1'), { bytes: sizeOf(message(20)) + sizeOf(bigger), pipes: 1 });
      });

      it('answers null for an entry that is not there, and leaves an entry the change declines', async () => {
        assert.equal(await store.updateHistory('1', 'web_chat', 15, (m) => m, keep(100)), null);
        assert.equal(await store.updateHistory('1', 'web_other', 10, (m) => m, keep(100)), null);
        assert.equal(await store.updateHistory('2', 'web_chat', 10, (m) => m, keep(100)), null);
        assert.deepEqual(await store.updateHistory('1', 'web_chat', 10, () => undefined, keep(100)), {
          before: message(10),
          after: message(10),
        });
      });

      it('writes nothing when the change throws', async () => {
        await assert.rejects(
          store.updateHistory(
            '1',
            'web_chat',
            10,
            () => {
              throw new Error('refused');
            },
            keep(100),
          ),
          /refused/,
        );
        assert.deepEqual((await store.readHistory('1', 'web_chat', { limit: 10 })).messages, [
          message(10),
          message(20),
        ]);
      });

      it('loses no change when several handles change one entry at once', async () => {
        const handles = [store, opened.openSibling?.() ?? store, opened.openSibling?.() ?? store];
        const react = (s: Store, who: string) =>
          s.updateHistory(
            '1',
            'web_chat',
            10,
            (m) => ({ ...m, reactions: { '👍': { ...m.reactions?.['👍'], [who]: '' } } }),
            keep(100),
          );
        await Promise.all(handles.flatMap((s, i) => [react(s, `u${i}`), react(s, `g${i}`)]));
        const [got] = (await store.readHistory('1', 'web_chat', { limit: 1, before: 11 })).messages;
        assert.deepEqual(Object.keys(got.reactions!['👍']).sort(), ['g0', 'g1', 'g2', 'u0', 'u1', 'u2']);
        assert.equal((await store.historyUsage('1')).bytes, sizeOf(got) + sizeOf(message(20)));
      });
    });

    describe('read positions', () => {
      const at = (reader: string, marker: number, user_id = 0) => ({ reader, user_id, marker });

      it('moves a reader only forward and says when it moved', async () => {
        assert.equal(await store.advanceReader('1', 'web_chat', at('u7', 20, 7), 1000, 10), true);
        assert.equal(await store.advanceReader('1', 'web_chat', at('u7', 20, 7), 1001, 10), false);
        assert.equal(await store.advanceReader('1', 'web_chat', at('u7', 10, 7), 1002, 10), false);
        assert.equal(
          await store.advanceReader('1', 'web_chat', { ...at('u7', 30, 7), user_name: 'Вика' }, 1003, 10),
          true,
        );
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [
          { reader: 'u7', user_id: 7, user_name: 'Вика', marker: 30 },
        ]);
        assert.deepEqual(await store.readers('1', 'web_other', 10), []);
        assert.deepEqual(await store.readers('2', 'web_chat', 10), []);
      });

      it('lists the furthest readers first, at most `limit`', async () => {
        await store.advanceReader('1', 'web_chat', at('gA', 20), 1000, 10);
        await store.advanceReader('1', 'web_chat', at('u1', 40, 1), 1001, 10);
        await store.advanceReader('1', 'web_chat', at('gB', 30), 1002, 10);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('u1', 40, 1), at('gB', 30), at('gA', 20)]);
        assert.deepEqual(await store.readers('1', 'web_chat', 2), [at('u1', 40, 1), at('gB', 30)]);
      });

      it("forgets a pipe's readers when its history goes: cleared, deleted, or evicted whole", async () => {
        for (const pipe of ['web_a', 'web_b', 'web_c']) {
          await store.appendHistory('1', message(1, pipe), keep(100));
          await store.advanceReader('1', pipe, at('u1', 1, 1), 1000, 10);
        }
        await store.trimHistory('1', 'web_a', 0);
        assert.deepEqual(await store.readers('1', 'web_a', 10), []);
        await store.deleteHistory('1', 'web_b', 1);
        assert.deepEqual(await store.readers('1', 'web_b', 10), []);
        await store.appendHistory('1', message(2, 'web_d'), { ...keep(100), appPipes: 1 });
        assert.deepEqual(await store.readers('1', 'web_c', 10), []);
        await store.advanceReader('1', 'web_d', at('u1', 2, 1), 1001, 10);
        assert.deepEqual(await store.readers('1', 'web_d', 10), [at('u1', 2, 1)]);
      });

      it('keeps at most `max` readers per pipe, dropping the one that moved longest ago', async () => {
        await store.advanceReader('1', 'web_chat', at('gA', 50), 1000, 2);
        await store.advanceReader('1', 'web_chat', at('gB', 10), 1001, 2);
        await store.advanceReader('1', 'web_chat', at('gA', 60), 1002, 2);
        await store.advanceReader('1', 'web_chat', at('gC', 20), 1003, 2);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('gA', 60), at('gC', 20)]);
      });

      it("drops guests before users, so new guests' connections cannot push members out", async () => {
        await store.advanceReader('1', 'web_chat', at('u1', 10, 1), 1000, 2);
        await store.advanceReader('1', 'web_chat', at('gA', 20), 1001, 2);
        await store.advanceReader('1', 'web_chat', at('gB', 30), 1002, 2);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('gB', 30), at('u1', 10, 1)]);
        await store.advanceReader('1', 'web_chat', at('u2', 5, 2), 1003, 2);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('u1', 10, 1), at('u2', 5, 2)]);
        // A guest arriving where only users are kept is the one dropped; a user that moves stays.
        assert.equal(await store.advanceReader('1', 'web_chat', at('gC', 40), 1004, 2), true);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('u1', 10, 1), at('u2', 5, 2)]);
        await store.advanceReader('1', 'web_chat', at('u3', 50, 3), 1005, 2);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('u3', 50, 3), at('u2', 5, 2)]);
      });

      if (backend.shared) {
        it('is shared with a second handle on the same backing', async () => {
          const other = opened.openSibling!();
          await other.advanceReader('1', 'web_chat', at('u1', 40, 1), 1000, 10);
          assert.equal(await store.advanceReader('1', 'web_chat', at('u1', 30, 1), 1001, 10), false);
          assert.deepEqual(await store.readers('1', 'web_chat', 10), [at('u1', 40, 1)]);
        });
      }
    });

    describe('pipe settings', () => {
      it('stores, replaces and forgets a pipe length per app', async () => {
        assert.equal(await store.getPipeLength('1', 'web_chat'), undefined);
        await store.setPipeLength('1', 'web_chat', 20);
        await store.setPipeLength('1', 'web_chat', 0);
        await store.setPipeLength('2', 'web_chat', 7);
        assert.equal(await store.getPipeLength('1', 'web_chat'), 0);
        assert.equal(await store.getPipeLength('2', 'web_chat'), 7);
        await store.deletePipeLength('1', 'web_chat');
        assert.equal(await store.getPipeLength('1', 'web_chat'), undefined);
        assert.equal(await store.getPipeLength('2', 'web_chat'), 7);
      });
    });

    describe('user keys', () => {
      it('registers, replaces and removes a key, with and without a name', async () => {
        assert.equal(await store.getUserKey('1', 7), undefined);
        await store.setUserKey('1', 7, { key: 'abc=+/_123' });
        assert.deepEqual(await store.getUserKey('1', 7), { key: 'abc=+/_123' });
        await store.setUserKey('1', 7, { key: 'second', name: 'Мария' });
        assert.deepEqual(await store.getUserKey('1', 7), { key: 'second', name: 'Мария' });
        assert.equal(await store.getUserKey('2', 7), undefined);
        assert.equal(await store.deleteUserKey('1', 7), true);
        assert.equal(await store.deleteUserKey('1', 7), false);
        assert.equal(await store.getUserKey('1', 7), undefined);
      });
    });

    describe('revoked tokens', () => {
      it('remembers revocations until unrevoked, per app', async () => {
        const token = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.sig';
        assert.equal(await store.isTokenRevoked('1', token), false);
        await store.revokeToken('1', token, null);
        await store.revokeToken('1', 'other-token', Date.now() + 60_000);
        assert.equal(await store.isTokenRevoked('1', token), true);
        assert.equal(await store.isTokenRevoked('1', 'other-token'), true);
        assert.equal(await store.isTokenRevoked('2', token), false);
        await store.unrevokeToken('1', token);
        assert.equal(await store.isTokenRevoked('1', token), false);
        assert.equal(await store.isTokenRevoked('1', 'other-token'), true);
      });
    });

    describe('bans', () => {
      const alice = { user_id: 5, conn_id: 'conn-A_1' };

      it('hits a user everywhere with an app-wide ban, and only in its pipe with a pipe ban', async () => {
        await store.addBan('1', { user_id: 5 }, null);
        const now = Date.now();
        assert.equal(await store.isBanned('1', alice, 'web_chat', now), true);
        assert.equal(await store.isBanned('1', { user_id: 6, conn_id: 'conn-B' }, 'web_chat', now), false);
        assert.equal(await store.isBanned('2', alice, 'web_chat', now), false);
        await store.removeBan('1', { user_id: 5 });
        await store.addBan('1', { user_id: 5, pipe: 'web_chat' }, null);
        assert.equal(await store.isBanned('1', alice, 'web_chat', now), true);
        assert.equal(await store.isBanned('1', alice, 'web_other', now), false);
      });

      it('bans one connection, anonymous or not', async () => {
        await store.addBan('1', { conn_id: 'conn-anon' }, null);
        const now = Date.now();
        assert.equal(await store.isBanned('1', { user_id: 0, conn_id: 'conn-anon' }, 'web_chat', now), true);
        assert.equal(await store.isBanned('1', { user_id: 0, conn_id: 'conn-other' }, 'web_chat', now), false);
      });

      it('never lets a user ban hit anonymous connections (user id 0)', async () => {
        await store.addBan('1', { user_id: 0 }, null);
        assert.equal(await store.isBanned('1', { user_id: 0, conn_id: 'c1' }, 'web_chat', Date.now()), false);
      });

      it('ends a ban at its expiry, judged by the given time', async () => {
        const expiresAt = Date.now() + 60_000;
        await store.addBan('1', { user_id: 5 }, expiresAt);
        assert.equal(await store.isBanned('1', alice, 'web_chat', expiresAt - 1), true);
        assert.equal(await store.isBanned('1', alice, 'web_chat', expiresAt + 1), false);
      });

      it('replaces a ban on the same subject and pipe, and removes exactly the one named', async () => {
        await store.addBan('1', { user_id: 5 }, null);
        await store.addBan('1', { user_id: 5, pipe: 'web_chat' }, null);
        await store.addBan('1', { user_id: 5 }, Date.now() + 60_000);
        await store.removeBan('1', { user_id: 5, pipe: 'web_chat' });
        // Only the app-wide ban is left (time only moves forward: the present is asked first).
        assert.equal(await store.isBanned('1', alice, 'web_chat', Date.now()), true);
        // It now ends after a minute.
        assert.equal(await store.isBanned('1', alice, 'web_chat', Date.now() + 120_000), false);
        await store.addBan('1', { user_id: 5, pipe: 'web_chat' }, null);
        assert.equal(await store.isBanned('1', alice, 'web_other', Date.now() + 120_000), false);
        assert.equal(await store.isBanned('1', alice, 'web_chat', Date.now() + 120_000), true);
      });
    });

    describe('personal messages', () => {
      it('queues per user, keeps the newest `max`, and drains oldest first exactly once', async () => {
        for (const m of [1, 2, 3]) await store.enqueuePersonal('1', 9, message(m, 'msg'), 2);
        await store.enqueuePersonal('1', 10, message(4, 'msg'), 2);
        await store.enqueuePersonal('2', 9, message(5, 'msg'), 2);
        const drained = await store.drainPersonal('1', 9);
        assert.deepEqual(markersOf(drained), [2, 3]);
        assert.deepEqual(drained[0], message(2, 'msg'));
        assert.deepEqual(await store.drainPersonal('1', 9), []);
        assert.deepEqual(markersOf(await store.drainPersonal('1', 10)), [4]);
        assert.deepEqual(markersOf(await store.drainPersonal('2', 9)), [5]);
      });

      it('hands a queued message to only one of two concurrent drains', async () => {
        await store.enqueuePersonal('1', 9, message(1, 'msg'), 10);
        const other = opened.openSibling?.() ?? store;
        const [a, b] = await Promise.all([store.drainPersonal('1', 9), other.drainPersonal('1', 9)]);
        assert.equal(a.length + b.length, 1);
      });
    });

    describe('publish ids', () => {
      const T = 1_700_000_000_000;
      const pending = (marker: number) => ({ marker, number_messages: -1 });

      it('claims an id once; the same id again gets the receipt, settled or not, until it expires', async () => {
        assert.equal(await store.claimPublish('1', 'u7:abcdefgh', pending(5), T, T + 1000, 100), null);
        assert.deepEqual(await store.claimPublish('1', 'u7:abcdefgh', pending(6), T + 10, T + 1010, 100), pending(5));
        await store.settlePublish('1', 'u7:abcdefgh', { marker: 5, number_messages: 3 });
        assert.deepEqual(await store.claimPublish('1', 'u7:abcdefgh', pending(7), T + 999, T + 1999, 100), {
          marker: 5,
          number_messages: 3,
        });
        // Other apps and other senders have their own ids.
        assert.equal(await store.claimPublish('2', 'u7:abcdefgh', pending(1), T, T + 1000, 100), null);
        assert.equal(await store.claimPublish('1', 'u8:abcdefgh', pending(8), T, T + 1000, 100), null);
        // Past its expiry the id is new again.
        assert.equal(await store.claimPublish('1', 'u7:abcdefgh', pending(9), T + 1000, T + 2000, 100), null);
      });

      it('forgets a released claim, and keeps at most `max` ids per app, the soonest expiring going first', async () => {
        assert.equal(await store.claimPublish('1', 'g:released', pending(1), T, T + 1000, 3), null);
        await store.releasePublish('1', 'g:released');
        assert.equal(await store.claimPublish('1', 'g:released', pending(2), T, T + 1000, 3), null);
        await store.releasePublish('1', 'g:released');
        for (let i = 0; i < 5; i++)
          assert.equal(await store.claimPublish('1', `g:id-${i}`, pending(10 + i), T + i, T + 1000 + i, 3), null);
        // Only the last three are remembered: the first two were pushed out (and may be claimed anew).
        for (const i of [2, 3, 4])
          assert.deepEqual(await store.claimPublish('1', `g:id-${i}`, pending(0), T + 5, T + 1005, 3), pending(10 + i));
        assert.equal(await store.claimPublish('1', 'g:id-0', pending(20), T + 6, T + 1006, 3), null);
        // A settle of a forgotten id brings nothing back.
        await store.settlePublish('1', 'g:id-1', { marker: 11, number_messages: 1 });
        assert.equal(await store.claimPublish('1', 'g:id-1', pending(21), T + 7, T + 1007, 3), null);
      });

      if (backend.shared) {
        it('gives one claim to one of several nodes claiming the same id at once', async () => {
          const handles = [store, opened.openSibling!(), opened.openSibling!()];
          const answers = await Promise.all(
            handles.map((s, i) => s.claimPublish('1', 'u1:raced-id', pending(i + 1), T, T + 1000, 100)),
          );
          assert.equal(answers.filter((a) => a === null).length, 1);
          const winner = answers.indexOf(null) + 1;
          for (const a of answers) if (a !== null) assert.deepEqual(a, pending(winner));
        });
      }
    });

    describe('last seen', () => {
      it('stores unix seconds per user and app', async () => {
        assert.equal(await store.getLastSeen('1', 3), undefined);
        await store.setLastSeen('1', 3, 1_700_000_000);
        await store.setLastSeen('1', 3, 1_700_000_100);
        assert.equal(await store.getLastSeen('1', 3), 1_700_000_100);
        assert.equal(await store.getLastSeen('2', 3), undefined);
      });
    });

    describe('app settings', () => {
      it('stores and removes a webhook URL', async () => {
        assert.equal(await store.getWebhook('1'), null);
        await store.setWebhook('1', 'https://example.test/hook?a=1');
        assert.equal(await store.getWebhook('1'), 'https://example.test/hook?a=1');
        assert.equal(await store.getWebhook('2'), null);
        await store.setWebhook('1', null);
        assert.equal(await store.getWebhook('1'), null);
      });

      it('keeps the first app secret and hands it to every later caller', async () => {
        assert.equal(await store.ensureAppSecret('1', 'first'), 'first');
        assert.equal(await store.ensureAppSecret('1', 'second'), 'first');
        assert.equal(await store.ensureAppSecret('2', 'other'), 'other');
      });

      if (backend.shared) {
        it('agrees on one secret when several nodes start together', async () => {
          const handles = [store, opened.openSibling!(), opened.openSibling!()];
          const secrets = await Promise.all(handles.map((s, i) => s.ensureAppSecret('7', `candidate-${i}`)));
          assert.equal(new Set(secrets).size, 1);
          assert.ok(secrets[0].startsWith('candidate-'));
        });
      }
    });
  });
}

describe('RedisStore specifics', () => {
  const prefixes: string[] = [];
  after(async () => {
    for (const p of prefixes) await deleteKeysUnder(p);
  });

  it('puts every key under `${prefix}:${appId}:`, escaping `:` in app ids', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const store = new RedisStore({ url: REDIS_URL, prefix });
    await store.nextMarker('1');
    await store.appendHistory('1', message(1), keep(10));
    await store.setUserKey('1', 2, { key: 'k' });
    await store.addBan('1', { conn_id: 'a:b' }, Date.now() + 60_000);
    await store.nextMarker('x:marker');
    await store.close();
    const keys = await keysUnder(prefix);
    assert.ok(keys.length >= 5);
    for (const key of keys) assert.match(key, new RegExp(`^${prefix}:(1|x%3Amarker):`));
    // An app id with a colon cannot reach into app `x`'s keys.
    assert.ok(!keys.includes(`${prefix}:x:marker`));
  });

  it('makes a new epoch when the marker counter alone was lost (evicted), not only when everything was', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const store = new RedisStore({ url: REDIS_URL, prefix });
    try {
      const first = await store.nextMarker('1');
      await store.nextMarker('1');
      await store.redis.del(`${prefix}:1:marker`);
      const again = await store.nextMarker('1');
      assert.equal(again.marker, 1);
      assert.notEqual(again.epoch, first.epoch);
      assert.equal(await store.markerEpoch('1'), again.epoch);
      await store.redis.del(`${prefix}:1:marker`);
      const told = await store.markerEpoch('1');
      assert.notEqual(told, again.epoch);
      assert.deepEqual(await store.nextMarker('1'), { marker: 1, epoch: told });
    } finally {
      await store.close();
    }
  });

  it('lets revoked tokens and timed bans expire in Redis too (no garbage left behind)', async () => {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const store = new RedisStore({ url: REDIS_URL, prefix });
    await store.revokeToken('1', 'tok', Date.now() + 60_000);
    await store.addBan('1', { user_id: 3 }, Date.now() + 60_000);
    await store.addBan('1', { user_id: 4 }, null);
    const ttls = new Map<string, number>();
    for (const key of await keysUnder(prefix)) ttls.set(key.slice(prefix.length + 3), await store.redis.pttl(key));
    await store.close();
    const ttlOf = (start: string) => [...ttls].find(([k]) => k.startsWith(start))?.[1];
    assert.ok(ttlOf('revoked:')! > 0);
    assert.ok(ttlOf('ban:u:3:')! > 0);
    assert.equal(ttlOf('ban:u:4:'), -1);
  });
});

describe('SqliteStore specifics', () => {
  it('upgrades a file written before message lifecycles: updates count their bytes, read positions are kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-upgrade-'));
    const file = join(dir, 'comet.db');
    try {
      const first = new SqliteStore(file);
      await first.appendHistory('1', message(1), keep(10));
      await first.close();
      // What that release did not have.
      const { default: Database } = await import('better-sqlite3');
      const old = new Database(file);
      old.exec(`DROP TRIGGER history_resized; DROP TABLE read_positions;`);
      old.close();

      const store = new SqliteStore(file);
      try {
        const edited = message(1, 'web_chat', { data: { text: 'a good deal longer than before' }, edited: 5 });
        await store.updateHistory('1', 'web_chat', 1, () => edited, keep(10));
        assert.deepEqual(await store.historyUsage('1'), { bytes: sizeOf(edited), pipes: 1 });
        assert.equal(await store.advanceReader('1', 'web_chat', { reader: 'u1', user_id: 1, marker: 1 }, 1, 10), true);
        assert.deepEqual(await store.readers('1', 'web_chat', 10), [{ reader: 'u1', user_id: 1, marker: 1 }]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("forgets read positions an earlier release kept after their pipe's history went", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-upgrade-'));
    const file = join(dir, 'comet.db');
    try {
      const first = new SqliteStore(file);
      await first.appendHistory('1', message(1), keep(10));
      await first.advanceReader('1', 'web_chat', { reader: 'u1', user_id: 1, marker: 1 }, 1, 10);
      await first.close();
      const { default: Database } = await import('better-sqlite3');
      const old = new Database(file);
      old.exec(`DROP TRIGGER history_pipe_gone; DELETE FROM history`);
      old.close();

      const store = new SqliteStore(file);
      try {
        await store.appendHistory('1', message(2), keep(10));
        assert.deepEqual(await store.readers('1', 'web_chat', 10), []);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('upgrades a file written by the first release: sizes, usage and epochs are filled in, nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'comet-upgrade-'));
    const file = join(dir, 'comet.db');
    try {
      // The first release's history and markers, as it wrote them.
      const { default: Database } = await import('better-sqlite3');
      const old = new Database(file);
      old.exec(`CREATE TABLE markers (app TEXT PRIMARY KEY, value INTEGER NOT NULL);
        CREATE TABLE history (app TEXT NOT NULL, pipe TEXT NOT NULL, marker INTEGER NOT NULL, body TEXT NOT NULL,
          PRIMARY KEY (app, pipe, marker)) WITHOUT ROWID;`);
      const rows = [message(1), message(2), message(3, 'web_b', { data: { text: 'Привет' } })];
      for (const m of rows)
        old.prepare('INSERT INTO history VALUES (?, ?, ?, ?)').run('1', m.pipe, m.marker, JSON.stringify(m));
      old.prepare('INSERT INTO markers VALUES (?, ?)').run('1', 3);
      old.close();

      const store = new SqliteStore(file);
      try {
        assert.deepEqual(await store.historyUsage('1'), {
          bytes: rows.reduce((sum, m) => sum + sizeOf(m), 0),
          pipes: 2,
        });
        assert.deepEqual(markersOf(await store.readHistory('1', 'web_chat', { limit: 10 })), [1, 2]);
        const epoch = await store.markerEpoch('1');
        assert.deepEqual(await store.nextMarker('1'), { marker: 4, epoch });
        await store.appendHistory('1', message(4), keep(100));
        assert.equal(
          (await store.historyUsage('1')).bytes,
          rows.reduce((sum, m) => sum + sizeOf(m), 0) + sizeOf(message(4)),
        );
      } finally {
        await store.close();
      }
      // Opening it again changes nothing more.
      const again = new SqliteStore(file);
      assert.equal((await again.historyUsage('1')).pipes, 2);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
