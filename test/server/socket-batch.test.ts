/**
 * A busy pipe's messages coalesced into `batch` events for clients that ask for them: order, nothing lost,
 * nothing to its own sender, counts right, receipts untouched. The window is long here (a burst surely
 * falls inside it), so nothing below depends on timing.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, MessageBatch } from '../../src/protocol/wire.js';
import { connect, request, subscribe, useServer, type Client } from './socket-helpers.js';

const OPEN = { burst: 10_000, perSecond: 10_000 };

/** A client that takes batches; `frames` counts the events its messages came in. */
async function batching(env: { server: { url: string } }, devId = '1'): Promise<Client & { frames: number }> {
  const c = Object.assign(await connect(env.server, { dev_id: devId, batch: true }), { frames: 0 });
  c.socket.on('message', () => (c.frames += 1));
  c.socket.on('batch', (batch: MessageBatch) => {
    c.frames += 1;
    c.messages.push(...batch.messages);
  });
  return c;
}

/** Resolves once `client` holds `count` messages. */
async function holding(client: Client, count: number): Promise<void> {
  while (client.messages.length < count) await new Promise((r) => setTimeout(r, 10));
}

const markers = (c: Client) => c.messages.map((m: IncomingMessage) => m.server_info.marker);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('busy pipes: batches', { timeout: 30_000 }, () => {
  const env = useServer({
    coalesceMs: 300,
    apps: [{ id: '1' }, { id: 'rcpt', receipts: true }],
    limits: { publish: OPEN, requests: OPEN },
  });
  const clients: Client[] = [];
  const track = <C extends Client>(c: C): C => (clients.push(c), c);
  after(() => clients.forEach((c) => c.close()));

  it('a burst reaches every subscriber once, in order, in fewer frames to batching clients; senders never get their own; each report counts everyone else', async () => {
    const senders = await Promise.all([0, 1, 2].map(() => batching(env).then(track)));
    const readers = await Promise.all([0, 1].map(() => batching(env).then(track)));
    const legacy = track(await env.client());
    const chat = track(await batching(env));
    await Promise.all([...senders, ...readers, legacy].map((c) => subscribe(c, 'web_busy')));
    await subscribe(chat, 'web_busy.chat');

    const reports = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        request<{ error: string; number_messages: number; marker: number }>(senders[i % 3], 'publish', {
          pipe: 'web_busy',
          event: 'chat',
          data: { i },
        }),
      ),
    );
    assert.deepEqual(
      reports.map((r) => [r.error, r.number_messages]),
      reports.map(() => ['', 7 - 1]),
    );
    const all = sorted(reports.map((r) => r.marker));
    await Promise.all([...readers, legacy, chat].map((c) => holding(c, 60)));
    for (const c of [...readers, legacy, chat]) assert.deepEqual(markers(c), all);
    for (const [s, sender] of senders.entries()) {
      const others = sorted(reports.filter((_, i) => i % 3 !== s).map((r) => r.marker));
      await holding(sender, others.length);
      assert.deepEqual(markers(sender), others);
    }
    // Batching clients took the burst in fewer frames than messages; the others got one `message` each.
    for (const c of [...readers, chat, ...senders]) assert.ok(c.frames < c.messages.length, `${c.frames} frames`);
    // Nothing more came: a pipe's messages leave in order, so a late extra would come before this last one.
    const last = await env.server.core.publish('1', 'web_busy', 'chat', { last: true });
    await Promise.all([legacy, readers[0]].map((c) => holding(c, 61)));
    for (const c of [legacy, readers[0]]) assert.deepEqual(markers(c), [...all, last.marker]);
  });

  it('a message to a quiet pipe leaves alone, as a plain message', async () => {
    const [sender, reader] = await Promise.all([batching(env), batching(env)]);
    track(sender);
    track(reader);
    await subscribe(reader, 'web_quiet');
    const batches: MessageBatch[] = [];
    reader.socket.on('batch', (b: MessageBatch) => batches.push(b));
    const report = await request<{ number_messages: number }>(sender, 'publish', { pipe: 'web_quiet', data: 'one' });
    assert.equal(report.number_messages, 1);
    await holding(reader, 1);
    assert.equal(reader.frames, 1);
    assert.deepEqual(batches, []);
  });

  it('one sender publishing one message after another is never held back: each reached the reader before its report', async () => {
    const [sender, reader] = await Promise.all([batching(env), batching(env)]);
    track(sender);
    track(reader);
    await subscribe(reader, 'web_steady');
    for (let i = 0; i < 10; i++) {
      await request(sender, 'publish', { pipe: 'web_steady', data: i });
      // The reader's own round trip: answered after everything sent to it before.
      await request(reader, 'presence', { pipe: 'web_steady' });
      assert.equal(reader.messages.length, i + 1);
    }
    assert.equal(reader.frames, 10);
  });

  it('one sender with many messages under way (not waiting for each report) has them batched, in order', async () => {
    const [sender, reader] = await Promise.all([batching(env), batching(env)]);
    track(sender);
    track(reader);
    await subscribe(reader, 'web_burst');
    const reports = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request<{ number_messages: number }>(sender, 'publish', { pipe: 'web_burst', data: i }),
      ),
    );
    assert.deepEqual(
      reports.map((r) => r.number_messages),
      reports.map(() => 1),
    );
    await holding(reader, 30);
    assert.deepEqual(
      reader.messages.map((m) => m.data),
      Array.from({ length: 30 }, (_, i) => i),
    );
    assert.ok(reader.frames < 30, `${reader.frames} frames`);
    assert.deepEqual(sender.messages, []);
  });

  it('in receipts mode every message goes alone and counts the clients that acknowledged it', async () => {
    const sender = track(await batching(env, 'rcpt'));
    const readers = await Promise.all([0, 1, 2].map(() => batching(env, 'rcpt').then(track)));
    await Promise.all(readers.map((c) => subscribe(c, 'web_rcpt')));
    const reports = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request<{ number_messages: number }>(sender, 'publish', { pipe: 'web_rcpt', data: i }),
      ),
    );
    assert.deepEqual(
      reports.map((r) => r.number_messages),
      reports.map(() => 3),
    );
    for (const c of readers) {
      await holding(c, 20);
      assert.equal(c.frames, 20);
      assert.deepEqual(
        c.messages.map((m) => m.data),
        Array.from({ length: 20 }, (_, i) => i),
      );
    }
  });
});
