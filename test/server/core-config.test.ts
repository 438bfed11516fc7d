/** The composition root: apps from a config file, receipt counting, the webhook copy of each message. */
import { after, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { createCometServer } from '../../src/server/index.js';
import { readConfigFile } from '../../src/server/config.js';
import { quietLogger, startServer } from '../fixtures/server.js';
import { connect, request, subscribe, waitForMessage } from './socket-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'comet-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('reads apps and limits from a config file; options given in code win', async () => {
    const file = join(dir, 'comet.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 1,
        memory: true,
        cometqlPort: false,
        maxMessageBytes: 100,
        apps: [{ id: 'blog', secret: 'blog-secret-0123456789', origins: ['https://blog.example'] }],
      }),
    );
    const server = await createCometServer({ configFile: file, port: 0, logger: quietLogger });
    try {
      assert.deepEqual(server.core.getApp('blog'), { id: 'blog', secret: 'blog-secret-0123456789' });
      assert.ok(server.core.getApp('1'));
      await assert.rejects(server.core.publish('blog', 'web_x', undefined, 'x'.repeat(200)), { code: 'too_large' });
      await assert.rejects(connect(server, { dev_id: 'blog' }, { origin: 'https://other.example' }), /origin/);
    } finally {
      await server.close();
    }
  });

  it('rejects a config file with unknown keys or bad values, naming the problem', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ prot: 80, apps: [{ id: 'has space' }] }));
    assert.throws(() => readConfigFile(file), /bad config file .*(prot|apps\.0\.id)/);
    writeFileSync(file, '{ not json');
    assert.throws(() => readConfigFile(file), /cannot read config file .*: not valid JSON/);
  });

  it('says where a config file is not JSON without quoting it: the text may be a secret', () => {
    const file = join(dir, 'unquoted.json');
    // A secret left unquoted: JSON.parse's own message would quote the text around it.
    writeFileSync(file, '{\n  "apps": [{ "id": "shop", "secret": s3cr3t-value-0123456789 }]\n}\n');
    assert.throws(
      () => readConfigFile(file),
      (err: Error) => {
        assert.match(err.message, /cannot read config file .*unquoted\.json: not valid JSON/);
        assert.ok(!err.message.includes('s3cr3t'), err.message);
        return true;
      },
    );
    writeFileSync(file, '{\n  "apps": [{ "id": "shop", "secret": "s3cr3t-value-0123456789" "origins": "*" }]\n}\n');
    assert.throws(() => readConfigFile(file), /not valid JSON: .* at line 2, column \d+/);
  });

  it('takes limits and trusted proxies from the file, and an app quota over the server one', async () => {
    const file = join(dir, 'limits.json');
    writeFileSync(
      file,
      JSON.stringify({
        memory: true,
        cometqlPort: false,
        limits: { publish: { burst: 2, perSecond: 1 }, quota: { historyPipes: 7 } },
        trustedProxies: ['10.0.0.1', '::1'],
        apps: [{ id: 'shop', quota: { historyBytes: 1000 } }],
      }),
    );
    const server = await createCometServer({ configFile: file, port: 0, logger: quietLogger });
    try {
      assert.deepEqual((await server.core.usage('shop')).quota, {
        historyBytes: 1000,
        historyPipes: 7,
        pipeHistoryBytes: 1024 * 1024,
        reactionBytes: 16 * 1024,
        readersPerPipe: 1000,
      });
      assert.deepEqual((await server.core.usage('1')).quota, {
        historyBytes: 64 * 1024 * 1024,
        historyPipes: 7,
        pipeHistoryBytes: 1024 * 1024,
        reactionBytes: 16 * 1024,
        readersPerPipe: 1000,
      });
      const c = await connect(server);
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push((await request<{ error: string }>(c, 'publish', { pipe: 'web_x', data: i })).error);
      c.close();
      assert.deepEqual(answers, ['', '', 'rate_limited']);
    } finally {
      await server.close();
    }
    for (const bad of [
      { limits: { publish: { burst: -1, perSecond: 1 } } },
      { limits: { outputByte: 5 } },
      { trustedProxies: ['proxy.internal'] },
      { apps: [{ id: 'a', quota: { historyPipes: 0 } }] },
    ]) {
      writeFileSync(file, JSON.stringify(bad));
      assert.throws(() => readConfigFile(file), /bad config file/, JSON.stringify(bad));
    }
  });

  it('takes allowPrivateWebhooks per app, and webhook URLs under the one rule of the API', () => {
    const file = join(dir, 'hooks.json');
    const write = (app: object) => writeFileSync(file, JSON.stringify({ apps: [{ id: 'shop', ...app }] }));
    write({ webhook: 'http://127.0.0.1:9000/hook', allowPrivateWebhooks: true });
    assert.equal(readConfigFile(file).apps?.[0]?.allowPrivateWebhooks, true);
    write({ webhook: 'ftp://example.com/hook' });
    assert.throws(() => readConfigFile(file), /apps\.0\.webhook: the webhook must be an absolute http\(s\) URL/);
    write({ webhook: 'https://user:pw@example.com/hook' });
    assert.throws(() => readConfigFile(file), /apps\.0\.webhook: the webhook URL must not carry a user or password/);
  });
});

describe('embedding', () => {
  it("an embedder's catch-all listeners on server.io hear the requests, beside ours", async () => {
    const server = await startServer();
    try {
      const seen: string[] = [];
      server.io.use((socket, next) => {
        socket.onAny((event: string) => seen.push(`use:${event}`));
        next();
      });
      server.io.on('connection', (socket) => socket.onAny((event: string) => seen.push(`connection:${event}`)));
      const client = await connect(server);
      await subscribe(client, 'web_embedded');
      assert.deepEqual(seen.sort(), ['connection:subscribe', 'use:subscribe']);
      client.close();
    } finally {
      await server.close();
    }
  });
});

describe('receipts', () => {
  it('in receipt mode the report counts the receivers that acknowledged the message', async () => {
    const server = await startServer({ apps: [{ id: 'rcpt', receipts: true }], ackTimeoutMs: 300 });
    const acking = await connect(server, { dev_id: 'rcpt' });
    const sender = await connect(server, { dev_id: 'rcpt' });
    // A receiver that never calls the ack: handed the message, but no receipt.
    const silent = io(server.url, {
      transports: ['websocket'],
      auth: { dev_id: 'rcpt' },
      forceNew: true,
      reconnection: false,
    });
    const silentGot = new Promise((resolve) => silent.on('message', (msg: unknown) => resolve(msg)));
    try {
      await new Promise((resolve) => silent.once('auth', resolve));
      await subscribe(acking, 'web_r');
      await new Promise((resolve) => silent.emit('subscribe', { pipes: ['web_r'] }, resolve));
      // The receipt timeout runs on timers the test moves, past it only once the server has read the receipt: on
      // real time, a process busy for longer than the timeout (as on a loaded machine) counted 0.
      mock.timers.enable({ apis: ['setTimeout'] });
      const reported = request(sender, 'publish', { pipe: 'web_r', data: 'ack me' });
      await silentGot;
      await waitForMessage(acking, (m) => m.data === 'ack me');
      // The receipt went out before this request, on the same connection: answered, the server has read both.
      await request(acking, 'presence', { pipe: 'web_r' });
      mock.timers.tick(300);
      const report = await reported;
      assert.equal(report.error, '');
      assert.equal(report.number_messages, 1);
      assert.match(server.metrics.render(), /comet_deliveries_total 1/);
    } finally {
      mock.timers.reset();
      silent.close();
      acking.close();
      sender.close();
      await server.close();
    }
  });

  it('a receiver that never acknowledges does not grow the server memory: its pending receipts are dropped', async () => {
    const server = await startServer({ apps: [{ id: 'rcpt', receipts: true }], ackTimeoutMs: 100 });
    const sender = await connect(server, { dev_id: 'rcpt' });
    const silent = io(server.url, {
      transports: ['websocket'],
      auth: { dev_id: 'rcpt' },
      forceNew: true,
      reconnection: false,
    });
    try {
      await new Promise((resolve) => silent.once('auth', resolve));
      await new Promise((resolve) => silent.emit('subscribe', { pipes: ['web_r'] }, resolve));
      for (let i = 0; i < 5; i++) await request(sender, 'publish', { pipe: 'web_r', data: i });
      // Each report waited for its receipt timeout; by then Socket.IO has dropped the ack id it kept on
      // the silent receiver's server-side socket (test/server/socket-io-internals.test.ts pins this).
      const serverSocket = server.io.of('/').sockets.get(silent.id!) as unknown as { acks: Map<number, unknown> };
      assert.equal(serverSocket.acks.size, 0);
    } finally {
      silent.close();
      sender.close();
      await server.close();
    }
  });
});

describe('webhook', () => {
  it('POSTs every published message of an app with a webhook, signed, without delaying the publish', async () => {
    const bodies: { body: unknown; signature: string | undefined }[] = [];
    let gotOne: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (gotOne = resolve));
    const receiver = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        bodies.push({ body: JSON.parse(text), signature: req.headers['x-comet-signature'] as string | undefined });
        res.end('ok');
        gotOne();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as { port: number }).port;
    // The receiver is on loopback, which an app must be allowed explicitly.
    const server = await startServer({ apps: [{ id: '1', allowPrivateWebhooks: true }] });
    try {
      await server.core.setWebhook('1', `http://127.0.0.1:${port}/hook`);
      assert.equal(await server.core.getWebhook('1'), `http://127.0.0.1:${port}/hook`);
      const sender = await connect(server);
      const report = await request(sender, 'publish', { pipe: 'web_hooked', data: { text: 'keep me' } });
      sender.close();
      await received;
      const [{ body, signature }] = bodies as [(typeof bodies)[number]];
      assert.match(signature ?? '', /^sha256=[0-9a-f]{64}$/);
      const { app, message } = body as {
        app: string;
        message: { data: unknown; server_info: { marker: number; pipe: string } };
      };
      assert.equal(app, '1');
      assert.deepEqual(message.data, { text: 'keep me' });
      assert.equal(message.server_info.marker, report.marker);
      await server.core.setWebhook('1', null);
      assert.equal(await server.core.getWebhook('1'), null);
      await assert.rejects(server.core.setWebhook('1', 'ftp://x'), { code: 'invalid' });
      await assert.rejects(server.core.setWebhook('1', 'http://user:pw@127.0.0.1/hook'), { code: 'invalid' });
    } finally {
      await server.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('applies a configured webhook at start, through the same checks as the API', async () => {
    const server = await startServer({ apps: [{ id: 'cfg', webhook: 'https://example.com/hook?token=t' }] });
    try {
      assert.equal(await server.core.getWebhook('cfg'), 'https://example.com/hook?token=t');
    } finally {
      await server.close();
    }
    await assert.rejects(startServer({ apps: [{ id: 'cfg', webhook: 'https://user:pw@example.com/hook' }] }), {
      code: 'invalid',
    });
    await assert.rejects(startServer({ apps: [{ id: 'cfg', webhook: 'http://169.254.169.254/latest/meta-data/' }] }), {
      code: 'invalid',
      message: /may not target 169\.254\.169\.254, a link-local address/,
    });
  });
});
