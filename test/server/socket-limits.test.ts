/** Bad input never hurts others: oversized, malformed and flooding clients get errors while the rest flows. */
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { MAX_DATA_DEPTH } from '../../src/protocol/limits.js';
import { request, subscribe, useServer, waitForMessage } from './socket-helpers.js';

describe('limits', { timeout: 60_000 }, () => {
  const logged: string[] = [];
  const env = useServer({
    maxMessageBytes: 1024,
    limits: { publish: { burst: 5, perSecond: 0.001 } },
    logger: { info: () => undefined, error: (message) => logged.push(message) },
  });
  const { client } = env;

  it('refuses data over the size limit with too_large, and the same client may go on', async () => {
    const [sender, reader] = await Promise.all([client(), client()]);
    await subscribe(reader, 'web_size');
    const big = await request(sender, 'publish', { pipe: 'web_size', data: 'x'.repeat(1100) });
    assert.equal(big.error, 'too_large');
    assert.equal(big.number_messages, 0);
    const fits = await request(sender, 'publish', { pipe: 'web_size', data: 'x'.repeat(900) });
    assert.equal(fits.error, '');
    await waitForMessage(reader, () => true);
    assert.equal(reader.messages.length, 1);
    await assert.rejects(env.server.core.publish('1', 'web_size', undefined, 'y'.repeat(2000)), { code: 'too_large' });
  });

  it('answers malformed payloads with invalid (each event has its schema)', async () => {
    const c = await client();
    for (const [event, payload] of [
      ['publish', { pipe: 'no spaces allowed', data: 1 }],
      ['publish', 'just a string'],
      ['publish', { pipe: 'web_ok', event: 'bad.event', data: 1 }],
      ['subscribe', { pipes: [] }],
      ['subscribe', { pipes: ['x'] }],
      ['history', { pipe: 'web_ok', limit: 100000 }],
      ['presence', null],
      ['typing', { pipe: 5 }],
    ] as const) {
      const res = await request(c, event, payload);
      assert.equal(res.error, 'invalid', `${event} ${JSON.stringify(payload)}`);
      assert.equal(typeof res.message, 'string');
    }
  });

  it('refuses data nested deeper than the limit, so nothing unsendable is stored', async () => {
    const [sender, reader] = await Promise.all([client(), client()]);
    await subscribe(reader, 'web_deep');
    const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
    const deep = await request(sender, 'publish', { pipe: 'web_deep', data: nested(MAX_DATA_DEPTH + 1) });
    assert.equal(deep.error, 'invalid');
    assert.match(String(deep.message), /deeper/);
    const fits = await request(sender, 'publish', { pipe: 'web_deep', data: nested(MAX_DATA_DEPTH) });
    assert.equal(fits.error, '');
    assert.deepEqual(
      (await env.server.core.history('1', 'web_deep')).map((m) => m.server_info.marker),
      [fits.marker],
    );
    await assert.rejects(env.server.core.publish('1', 'web_deep', undefined, nested(10_000)), { code: 'invalid' });
    await assert.rejects(env.server.core.sendToUser('1', 5, undefined, nested(10_000)), { code: 'invalid' });
    await assert.rejects(env.server.core.publish('1', 'web_deep', undefined, { n: 1n }), { code: 'invalid' });
  });

  it('an answer that cannot be encoded is logged, and the server goes on', async () => {
    const c = await client();
    const presence = mock.method(env.server.core, 'presence', async () => ({
      count: 1,
      users: [{ user_id: 1n as unknown as number }],
    }));
    let answered = false;
    try {
      c.socket.emit('presence', { pipe: 'web_any' }, () => (answered = true));
      // The stand-in stays until the server has tried it: a request read only after a deadline (the process busy
      // elsewhere) would otherwise reach the real presence and be answered.
      while (!logged.some((line) => line.startsWith('[socket] presence answer failed')))
        await new Promise((r) => setTimeout(r, 10));
    } finally {
      presence.mock.restore();
    }
    assert.equal((await request(c, 'presence', { pipe: 'web_any' })).error, '');
    // A connection's answers come in order: one to the first request would have come before this one.
    assert.equal(answered, false, 'the answer that could not be encoded was not sent');
  });

  it('a flooding client is rate limited while another client still gets through', async () => {
    const [flooder, other, reader] = await Promise.all([client(), client(), client()]);
    await subscribe(reader, 'web_flood');
    const reports = await Promise.all(
      Array.from({ length: 12 }, (_, i) => request(flooder, 'publish', { pipe: 'web_flood', data: `f${i}` })),
    );
    const errors = reports.map((r) => r.error);
    assert.deepEqual(errors.slice(0, 5), ['', '', '', '', '']);
    assert.ok(
      errors.slice(5).every((e) => e === 'rate_limited'),
      errors.join(','),
    );
    const fine = await request(other, 'publish', { pipe: 'web_flood', data: 'from other' });
    assert.equal(fine.error, '');
    await waitForMessage(reader, (m) => m.data === 'from other');
    assert.equal(reader.messages.length, 6);
  });

  it('refuses more than 32 subscriptions per connection, in one request or over several', async () => {
    const c = await client();
    const pipes = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `web_p${from + i}`);
    assert.equal((await request(c, 'subscribe', { pipes: pipes(33) })).error, 'too_many_pipes');
    assert.equal((await request(c, 'subscribe', { pipes: pipes(30) })).error, '');
    assert.equal((await request(c, 'subscribe', { pipes: pipes(3, 30) })).error, 'too_many_pipes');
    assert.equal((await request(c, 'subscribe', { pipes: pipes(2, 30) })).error, '');
    // Subscribing again to what it has is no new subscription.
    assert.equal((await request(c, 'subscribe', { pipes: pipes(5) })).error, '');
    assert.equal((await request(c, 'unsubscribe', { pipes: pipes(1) })).error, '');
    assert.equal((await request(c, 'subscribe', { pipes: ['web_last.evt'] })).error, '');
  });

  it('requests handled at once cannot together pass 32 subscriptions, nor hold a target twice', async () => {
    // Over polling, packets sent together arrive in one body and are handled together: the subscribes below
    // (after a first request that leaves alone) all begin before any of them ends.
    const socket = io(env.server.url, {
      transports: ['polling'],
      auth: { dev_id: '1' },
      forceNew: true,
      reconnection: false,
    });
    try {
      await new Promise<void>((resolve) => socket.once('auth', () => resolve()));
      const ask = (event: string, pipes: string[]) =>
        socket.emitWithAck(event, { pipes }) as Promise<{ error: string }>;
      const subscribeAll = (sets: string[][]) => {
        void socket.emitWithAck('presence', { pipe: 'web_first' });
        return Promise.all(sets.map((pipes) => ask('subscribe', pipes)));
      };
      // One presence pipe each (its ban is looked up, so the requests interleave) with web pipes.
      const targets = (n: number, prefix: string) => [
        `track_${prefix}`,
        ...Array.from({ length: n - 1 }, (_, i) => `web_${prefix}${i}`),
      ];
      // The same 20 targets three times: one set held, so 12 more still fit.
      const same = await subscribeAll([targets(20, 's'), targets(20, 's'), targets(20, 's')]);
      assert.deepEqual(
        same.map((r) => r.error),
        ['', '', ''],
      );
      assert.equal((await ask('subscribe', targets(12, 'n').slice(1))).error, '');
      assert.equal((await ask('subscribe', ['web_last'])).error, '');
      assert.equal((await ask('subscribe', ['web_one_more'])).error, 'too_many_pipes');
      // Three sets of 32 on a fresh count: one fits.
      assert.equal((await ask('unsubscribe', targets(20, 's'))).error, '');
      assert.equal((await ask('unsubscribe', [...targets(12, 'n'), 'web_last'])).error, '');
      const sets = await subscribeAll([targets(32, 'a'), targets(32, 'b'), targets(32, 'c')]);
      assert.deepEqual(sets.map((r) => r.error).sort(), ['', 'too_many_pipes', 'too_many_pipes']);
    } finally {
      socket.close();
    }
  });

  it('a handler that throws answers internal and the server goes on', async () => {
    const c = await client();
    const connHistory = mock.method(env.server.core, 'connHistory', async () => {
      throw new Error('disk on fire');
    });
    try {
      assert.deepEqual(await request(c, 'history', { pipe: 'web_any' }), {
        error: 'internal',
        message: 'internal error',
      });
    } finally {
      connHistory.mock.restore();
    }
    assert.equal((await request(c, 'history', { pipe: 'web_any' })).error, '');
  });

  it('counts refusals in the metrics', () => {
    const text = env.server.metrics.render();
    assert.match(text, /comet_errors_total\{code="too_large"\} [1-9]/);
    assert.match(text, /comet_errors_total\{code="rate_limited"\} [1-9]/);
    assert.match(text, /comet_errors_total\{code="invalid"\} [1-9]/);
    assert.match(text, /comet_errors_total\{code="internal"\} 2/);
  });
});
