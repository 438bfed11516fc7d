/** History through the core and the socket front: lengths, paging by marker, and surviving a restart on SQLite. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage } from '../../src/protocol/wire.js';
import { startServer } from '../fixtures/server.js';
import { connect, request } from './socket-helpers.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'comet-history-'));
  dirs.push(dir);
  return dir;
};

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('history', () => {
  it('survives a restart on the same data dir, with app 1 keeping its secret and markers going on', async () => {
    const dataDir = tempDir();
    const first = await startServer({ memory: false, dataDir });
    assert.equal(first.storage, 'sqlite');
    assert.equal(first.app1SecretFile, join(dataDir, 'app-1.secret'));
    assert.equal(readFileSync(first.app1SecretFile, 'utf8').trim(), first.app1Secret);
    const sender = await connect(first);
    const sent: number[] = [];
    for (let i = 0; i < 3; i++)
      sent.push((await request<{ marker: number }>(sender, 'publish', { pipe: 'web_keep', data: { i } })).marker);
    await first.core.setUserKey('1', 5, 'key5', 'Ivan');
    sender.close();
    await first.close();

    const second = await startServer({ memory: false, dataDir });
    try {
      assert.equal(second.app1Secret, first.app1Secret);
      const reader = await connect(second, { dev_id: '1', user_id: 5, user_key: 'key5' });
      assert.equal(reader.auth.user_name, 'Ivan');
      const res = await request<{ error: string; messages: IncomingMessage[] }>(reader, 'history', {
        pipe: 'web_keep',
      });
      assert.equal(res.error, '');
      assert.deepEqual(
        res.messages.map((m) => m.data),
        [{ i: 0 }, { i: 1 }, { i: 2 }],
      );
      assert.deepEqual(
        res.messages.map((m) => m.server_info.marker),
        sent,
      );
      assert.ok(res.messages.every((m) => m.server_info.history === true));
      const next = await second.core.publish('1', 'web_keep', undefined, 'after restart');
      assert.ok(next.marker > sent[2]);
      reader.close();
    } finally {
      await second.close();
    }
  });

  it('pages back by `before` and forward by `after` without duplicates or gaps', async () => {
    const server = await startServer({ memory: false, dataDir: tempDir() });
    try {
      const markers: number[] = [];
      for (let i = 0; i < 23; i++) markers.push((await server.core.publish('1', 'web_page', undefined, i)).marker);
      // Interleave another pipe so markers of web_page are not consecutive.
      await server.core.publish('1', 'web_elsewhere', undefined, 'x');

      const back: number[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await server.core.history('1', 'web_page', {
          limit: 5,
          ...(before === undefined ? {} : { before }),
        });
        if (page.length === 0) break;
        back.unshift(...page.map((m) => m.server_info.marker));
        before = page[0].server_info.marker;
      }
      assert.deepEqual(back, markers);

      const forward: number[] = [];
      let afterMarker = 0;
      for (;;) {
        const page = await server.core.history('1', 'web_page', { limit: 7, after: afterMarker });
        if (page.length === 0) break;
        forward.push(...page.map((m) => m.server_info.marker));
        afterMarker = page.at(-1)!.server_info.marker;
      }
      assert.deepEqual(forward, markers);
    } finally {
      await server.close();
    }
  });

  it('keeps web_ pipes to the default length, other pipes none unless set; settings trim and reset', async () => {
    const server = await startServer({ webHistoryLength: 3 });
    try {
      const { core } = server;
      for (let i = 0; i < 5; i++) await core.publish('1', 'web_short', undefined, i);
      assert.deepEqual(
        (await core.history('1', 'web_short')).map((m) => m.data),
        [2, 3, 4],
      );
      await core.publish('1', 'loginPipe', 'userLogin', { name: 'x' });
      assert.deepEqual(await core.history('1', 'loginPipe'), []);
      assert.deepEqual(await core.getPipeSettings('1', 'loginPipe'), { pipe: 'loginPipe', length: 0 });

      await core.setPipeSettings('1', 'loginPipe', { length: 10 });
      await core.publish('1', 'loginPipe', 'userLogin', { name: 'y' });
      assert.deepEqual(
        (await core.history('1', 'loginPipe')).map((m) => m.data),
        [{ name: 'y' }],
      );

      await core.setPipeSettings('1', 'web_short', { length: 2 });
      assert.deepEqual(
        (await core.history('1', 'web_short')).map((m) => m.data),
        [3, 4],
      );
      await core.resetPipeSettings('1', 'web_short');
      assert.deepEqual(await core.history('1', 'web_short'), []);
      assert.deepEqual(await core.getPipeSettings('1', 'web_short'), { pipe: 'web_short', length: 3 });
      await assert.rejects(core.setPipeSettings('1', 'web_short', { length: 1001 }), { code: 'invalid' });
      await assert.rejects(core.history('1', 'bad pipe'), { code: 'invalid_pipe' });
      await assert.rejects(core.publish('nope', 'web_short', undefined, 1), { code: 'not_found' });
    } finally {
      await server.close();
    }
  });

  it('in memory mode writes no secret file and hands out a fresh secret per process', async () => {
    const a = await startServer();
    const b = await startServer();
    try {
      assert.equal(a.storage, 'memory');
      assert.equal(a.app1SecretFile, undefined);
      assert.notEqual(a.app1Secret, b.app1Secret);
      assert.ok(a.app1Secret.length >= 32);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
