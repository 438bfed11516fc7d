/**
 * src/server/fronts/socket/upgrade-cors.ts answers WebSocket upgrades without the cors package: the 101 must
 * carry what the package wrote there, and polling requests must still get the package's answers.
 */
import assert from 'node:assert/strict';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server } from 'socket.io';
import WebSocket from 'ws';
import { answerUpgradesWithoutCorsPackage } from '../../src/server/fronts/socket/upgrade-cors.js';
import type { CometIo } from '../../src/server/fronts/socket/types.js';

/** Headers of the 101, less the handshake's own. */
function upgradeHeaders(port: number, origin?: string): Promise<IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, {
      ...(origin ? { origin } : {}),
    });
    ws.once('upgrade', (res) => {
      const headers = { ...res.headers };
      delete headers['sec-websocket-accept'];
      resolve(headers);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/** A polling preflight: status and headers. */
function preflight(port: number): Promise<[number | undefined, IncomingHttpHeaders]> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'OPTIONS',
        path: '/socket.io/?EIO=4&transport=polling',
        headers: { origin: 'https://page.example', 'access-control-request-headers': 'content-type' },
      },
      (res) => {
        res.resume();
        const headers = { ...res.headers };
        delete headers.date;
        resolve([res.statusCode, headers]);
      },
    );
    req.once('error', reject);
    req.end();
  });
}

describe('upgrades answered without the cors package', () => {
  const servers: Server[] = [];
  let plain = 0;
  let ours = 0;

  before(async () => {
    for (const fast of [false, true]) {
      const http = createServer();
      const io = new Server(http, { cors: { origin: true } });
      if (fast) answerUpgradesWithoutCorsPackage(io as CometIo);
      servers.push(io);
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const { port } = http.address() as AddressInfo;
      if (fast) ours = port;
      else plain = port;
    }
  });

  after(async () => {
    await Promise.all(servers.map((io) => io.close()));
  });

  it('gives the 101 the headers the package gave it, with and without an Origin', async () => {
    for (const origin of ['https://page.example', undefined]) {
      const expected = await upgradeHeaders(plain, origin);
      assert.deepEqual(await upgradeHeaders(ours, origin), expected);
    }
    assert.equal(
      (await upgradeHeaders(ours, 'https://page.example'))['access-control-allow-origin'],
      'https://page.example',
    );
  });

  it('leaves polling requests to the package', async () => {
    const [status, headers] = await preflight(ours);
    assert.equal(status, 204);
    assert.deepEqual([status, headers], await preflight(plain));
  });

  it('refuses an engine with other middlewares, or other cors options', () => {
    const io = new Server(createServer(), { cors: { origin: true } });
    io.engine.use((_req: unknown, _res: unknown, next: () => void) => next());
    assert.throws(() => answerUpgradesWithoutCorsPackage(io as CometIo), /cors middleware alone/);
    void io.close();
    const listed = new Server(createServer(), { cors: { origin: ['https://page.example'] } });
    assert.throws(() => answerUpgradesWithoutCorsPackage(listed as CometIo), /origin: true/);
    void listed.close();
  });
});
