/**
 * A node whose Redis goes away and comes back empty: health says so, clients are told and refused at
 * once instead of waiting, and after the restart markers start again under a new epoch, which
 * clients notice (nothing new is dropped as "already seen"). The test runs a Redis of its own on a
 * free port, so the shared one is never stopped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { CometClient } from '../../src/client/comet-client.js';
import type { IncomingMessage } from '../../src/client/types.js';
import { freePort } from '../client/helpers.js';
import { startServer, type CometServer } from '../fixtures/server.js';
import { connect, nextEvent, request, type Client } from '../server/socket-helpers.js';

let port = 0;
let redis: ChildProcess | undefined;

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 200; i++) {
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => undefined);
    const up = await probe.connect().then(
      () => probe.ping().then(() => true),
      () => false,
    );
    probe.disconnect();
    if (up) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start');
}

function stopRedis(): Promise<void> {
  const proc = redis;
  redis = undefined;
  if (!proc || proc.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

const readyz = async (server: CometServer) => {
  const res = await fetch(`${server.url}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, string> };
};

const until = async (check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('Redis goes away and comes back empty', () => {
  let server: CometServer;
  let sender: Client;
  let reader: CometClient;
  const seen: IncomingMessage[] = [];
  const resets: string[] = [];

  before(async () => {
    port = await freePort();
    await startRedis();
    server = await startServer({ redisUrl: `redis://127.0.0.1:${port}` });
    sender = await connect(server);
    reader = new CometClient({ server: server.url, devId: '1', reconnectDelay: 50, reconnectDelayMax: 200 });
    reader.on('message', (m) => seen.push(m));
    reader.on('reset', ({ epoch }) => resets.push(epoch));
    await reader.subscribe('web_outage');
    reader.connect();
    await reader.ready();
  });

  after(async () => {
    sender?.close();
    reader?.disconnect();
    await server?.close();
    await stopRedis();
  });

  it('serves while Redis is up: markers from 1, /readyz 200', async () => {
    const report = await request<{ error: string; marker: number }>(sender, 'publish', {
      pipe: 'web_outage',
      data: { n: 1 },
    });
    assert.equal(report.error, '');
    assert.equal(report.marker, 1);
    await until(() => seen.length === 1, 'the first message');
    assert.deepEqual(await readyz(server), { status: 200, body: { status: 'ok', store: 'ok' } });
  });

  it('while Redis is down: /readyz 503, /livez 200, clients are told, and publishing fails at once', async () => {
    const told = nextEvent<{ available: boolean; reason?: string }>(sender, 'availability');
    await stopRedis();
    assert.deepEqual(await told, { available: false, reason: 'store_unavailable' });
    assert.deepEqual(await readyz(server), { status: 503, body: { status: 'unavailable', store: 'unavailable' } });
    assert.equal((await fetch(`${server.url}/livez`)).status, 200);
    await until(() => !reader.available, 'the client to know');
    const asked = Date.now();
    const report = await request<{ error: string; message: string }>(sender, 'publish', {
      pipe: 'web_outage',
      data: { n: 2 },
    });
    assert.equal(report.error, 'unavailable');
    assert.ok(Date.now() - asked < 2000, `answered after ${Date.now() - asked} ms`);
    const api = await fetch(`${server.url}/api/v1/apps/1/pipes/web_outage/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.app1Secret}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: { n: 3 } }),
    });
    assert.equal(api.status, 503);
    assert.equal(((await api.json()) as { error: string }).error, 'unavailable');
  });

  it('when it is back, empty: markers start again under a new epoch, and clients resynchronise instead of dropping them', async () => {
    const back = nextEvent<{ available: boolean }>(sender, 'availability');
    await startRedis();
    assert.deepEqual(await back, { available: true });
    await until(async () => (await readyz(server)).status === 200, '/readyz to recover');
    const epoch = nextEvent<{ epoch: string }>(sender, 'epoch');
    const report = await request<{ error: string; marker: number }>(sender, 'publish', {
      pipe: 'web_outage',
      data: { n: 4 },
    });
    assert.equal(report.error, '');
    assert.equal(report.marker, 1);
    assert.notEqual((await epoch).epoch, sender.epoch);
    await until(() => seen.some((m) => (m.data as { n: number }).n === 4), 'the message with a repeated marker');
    assert.equal(resets.length, 1);
    assert.ok(reader.available);
  });
});
