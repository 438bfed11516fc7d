/**
 * Every connection's end is counted, however it ends: abruptly at each step of the handshake, or after a
 * client sent CONNECT packets the server did not expect. Afterwards the node's counts (open connections,
 * connections and sockets per address, sockets of the node) are back where they were: a client that
 * churns cannot leak them. Raw engine.io over WebSocket (the `ws` package) to reach every step.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { CometServer } from '../../src/server/index.js';
import { serverPerTest } from '../fixtures/server.js';
import { connect, type Client } from './socket-helpers.js';

const opened: { sockets: WebSocket[]; clients: Client[] } = { sockets: [], clients: [] };
after(() => {
  opened.sockets.forEach((s) => s.terminate());
  opened.clients.forEach((c) => c.close());
});

const serve = serverPerTest();

async function metric(server: CometServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
  const end = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** An engine.io connection over WebSocket from `from`; `frames` holds every text frame received. */
function rawEngine(
  server: CometServer,
  from: string,
): { ws: WebSocket; frames: string[]; next: () => Promise<string> } {
  const ws = new WebSocket(`ws://${server.host}:${server.port}/socket.io/?EIO=4&transport=websocket`, {
    localAddress: from,
  });
  opened.sockets.push(ws);
  const frames: string[] = [];
  let seen = 0;
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    frames.push((data as Buffer).toString());
    wake?.();
  });
  ws.on('error', () => undefined);
  const next = async (): Promise<string> => {
    while (frames.length <= seen) {
      if (ws.readyState === WebSocket.CLOSED) throw new Error('closed');
      await new Promise<void>((r) => {
        wake = r;
        ws.once('close', () => r());
      });
    }
    return frames[seen++];
  };
  return { ws, frames, next };
}

const gone = (ws: WebSocket): Promise<void> =>
  ws.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise((r) => ws.once('close', () => r()));

describe('connection ends are counted', { timeout: 30_000 }, () => {
  it('a client sending CONNECT packets on top of each other is cut off, and nothing stays counted', async () => {
    const server = await serve({ trustedProxies: [] });
    const { ws, next } = rawEngine(server, '127.0.0.31');
    assert.match(await next(), /^0\{/); // engine.io's open packet
    // Two CONNECTs before the first is answered: both reach the middleware while the first is looked up.
    ws.send('40{"dev_id":"1"}');
    ws.send('40{"dev_id":"1"}');
    await gone(ws);
    await until(async () => (await metric(server, 'comet_connections')) === 0, 'no connection counted');
  });

  it('clients leaving at every step of the handshake leave no count behind', async () => {
    const server = await serve({
      trustedProxies: [],
      limits: { socketsPerAddress: 2, connectionsPerAddress: 2, socketsPerNode: 9 },
    });
    const steps = ['socket', 'open', 'connect sent', 'connected', 'two connects', 'server closes'] as const;
    for (let round = 0; round < 4; round++) {
      for (const [i, step] of steps.entries()) {
        const from = `127.0.1.${1 + i}`;
        const { ws, next, frames } = rawEngine(server, from);
        if (step === 'socket') {
          await new Promise<void>((r) => ws.once('upgrade', () => r()));
        } else {
          await next();
          if (step !== 'open') {
            ws.send('40{"dev_id":"1"}');
            if (step === 'two connects') ws.send('40{"dev_id":"1"}');
            if (step === 'server closes') ws.send('40{"dev_id":"nope"}'); // a second CONNECT past one: cut off
            if (step !== 'connect sent')
              await until(async () => frames.some((f) => f.startsWith('42["auth"')), 'the auth event');
          }
        }
        if (step === 'server closes') {
          // Past CONNECT_ATTEMPTS the server ends the connection itself.
          for (let k = 0; k < 8 && ws.readyState === WebSocket.OPEN; k++) ws.send('40{"dev_id":"1"}');
        }
        ws.terminate();
        await gone(ws);
      }
    }
    await until(async () => (await metric(server, 'comet_connections')) === 0, 'no connection counted');
    // Every address may hold its full count again, and the node its full count (one socket is /metrics').
    const clients = await Promise.all(
      ['127.0.1.1', '127.0.1.1', '127.0.1.2', '127.0.1.2', '127.0.1.3', '127.0.1.3', '127.0.1.4', '127.0.1.4'].map(
        (from) => connect(server, { dev_id: '1' }, { from }),
      ),
    );
    opened.clients.push(...clients);
    assert.equal(clients.length, 8);
  });
});
