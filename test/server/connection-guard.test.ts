/**
 * What a client can hold before the chat protocol starts: raw TCP sockets per address, binary
 * attachments that Socket.IO's decoder would buffer, and /metrics, which names apps and their traffic.
 * Real server on loopback; 127.0.0.2… stand for other client addresses.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect, type Socket as NetSocket } from 'node:net';
import { defaultNodeSockets } from '../../src/server/fronts/socket-cap.js';
import type { CometServer } from '../../src/server/index.js';
import { serverPerTest } from '../fixtures/server.js';
import { connect, disconnected, request, type Client } from './socket-helpers.js';

const opened: { sockets: NetSocket[]; clients: Client[] } = { sockets: [], clients: [] };
after(async () => {
  opened.sockets.forEach((s) => s.destroy());
  opened.clients.forEach((c) => c.close());
});

const serve = serverPerTest();

/** A TCP connection from `from` that sends nothing; resolves once connected, with a promise of its close. */
function rawSocket(server: CometServer, from: string): Promise<{ socket: NetSocket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: server.host, port: server.port, localAddress: from });
    opened.sockets.push(socket);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** Whether the server answers an HTTP request on `socket` (it was kept), or closes it. */
function answers(socket: NetSocket): Promise<boolean> {
  return new Promise((resolve) => {
    socket.once('data', () => resolve(true));
    socket.once('close', () => resolve(false));
    socket.write('GET /livez HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

describe('TCP sockets per address', { timeout: 20_000 }, () => {
  it('closes sockets past socketsPerAddress at once, counts per address, and frees a slot when one closes', async () => {
    const server = await serve({ trustedProxies: [], limits: { socketsPerAddress: 5 } });
    const from2 = await Promise.all(Array.from({ length: 8 }, () => rawSocket(server, '127.0.0.2')));
    const kept: NetSocket[] = [];
    const refused = await Promise.all(
      from2.map(({ closed, socket }) =>
        Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]).then(
          (gone) => {
            if (!gone) kept.push(socket);
            return gone;
          },
        ),
      ),
    );
    assert.equal(refused.filter(Boolean).length, 3, 'three sockets over the limit closed');
    assert.equal(kept.length, 5);
    // The five kept ones still work, and another address has its own count.
    assert.equal(await answers(kept[0]), true);
    assert.equal(await answers((await rawSocket(server, '127.0.0.3')).socket), true);
    // One closes: the address may open one again.
    const freed = new Promise<void>((r) => kept[1].once('close', () => r()));
    kept[1].destroy();
    await freed;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await answers((await rawSocket(server, '127.0.0.2')).socket), true);
  });

  it('does not count a trusted proxy: it carries every client', async () => {
    const server = await serve({ trustedProxies: ['127.0.0.4'], limits: { socketsPerAddress: 2 } });
    const sockets = await Promise.all(Array.from({ length: 4 }, () => rawSocket(server, '127.0.0.4')));
    for (const { socket } of sockets) assert.equal(await answers(socket), true);
  });
});

describe('TCP sockets per node', { timeout: 20_000 }, () => {
  it('holds every address together, trusted proxies too, under socketsPerNode', async () => {
    const server = await serve({ trustedProxies: ['127.0.0.9'], limits: { socketsPerAddress: 4, socketsPerNode: 10 } });
    // Four addresses within their own cap, and a proxy exempt from it, still meet the node's cap.
    const from = ['127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9', '127.0.0.9'];
    const sockets = await Promise.all(
      from.flatMap((a) => [rawSocket(server, a), rawSocket(server, a), rawSocket(server, a)]),
    );
    const kept = await Promise.all(sockets.map(({ socket }) => answers(socket)));
    assert.equal(kept.filter(Boolean).length, 10, 'ten of fifteen answered, the rest closed on arrival');
    // One leaves: one more gets in.
    const first = sockets[kept.indexOf(true)];
    first.socket.destroy();
    await first.closed;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await answers((await rawSocket(server, '127.0.0.10')).socket), true);
  });

  it('leaves, by default, room under the process file limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'limits-'));
    const file = (text: string) => {
      writeFileSync(join(dir, 'limits'), text);
      return join(dir, 'limits');
    };
    const line = (soft: string) =>
      `Limit Soft Limit Hard Limit Units\nMax open files            ${soft}                20000                files\n`;
    assert.equal(defaultNodeSockets(file(line('20000'))), 19_000);
    assert.equal(defaultNodeSockets(file(line('1024'))), 512);
    assert.equal(defaultNodeSockets(file(line('unlimited'))), 10_000);
    assert.equal(defaultNodeSockets(join(dir, 'missing')), 10_000);
  });
});

describe('binary attachments', { timeout: 20_000 }, () => {
  it('closes a connection that sends a packet with binary attachments instead of buffering them', async () => {
    const server = await serve({});
    const c = await connect(server, { dev_id: '1' });
    opened.clients.push(c);
    const gone = disconnected(c);
    // socket.io-client sends a Buffer as a binary attachment of the event packet.
    c.socket.emit('publish', { pipe: 'web_bin', event: 'x', data: Buffer.alloc(100_000) }, () => undefined);
    assert.match(await gone, /transport (close|error)|server disconnect/);
    // A text client on the same server is unaffected.
    const ok = await connect(server, { dev_id: '1' });
    opened.clients.push(ok);
    assert.equal(
      (await request<{ error: string }>(ok, 'publish', { pipe: 'web_bin', event: 'x', data: { text: 'hi' } })).error,
      '',
    );
  });
});

describe('pipelined requests', { timeout: 20_000 }, () => {
  it('leave no file open once their client has gone, however many it sent without reading', async () => {
    const server = await serve({});
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const { socket, closed } = await rawSocket(server, '127.0.0.5');
    socket.pause();
    socket.write('GET /comet-chat.js HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2000));
    await new Promise((r) => setTimeout(r, 500));
    socket.destroy();
    await closed;
    for (let i = 0; i < 50 && fds() > before + 5; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(fds() <= before + 5, `${fds() - before} descriptors still open after the client left`);
  });
});

describe('/metrics', { timeout: 20_000 }, () => {
  it('is served to loopback by default and refused to peers outside metricsFrom', async () => {
    const open = await serve({});
    assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
    // Targets that become /metrics only once parsed here got past a proxy's rules for /metrics.
    for (const target of ['/x\\..\\metrics', '/%2e%2e/metrics', '/x/%2E%2E/metrics']) {
      const res = await new Promise<number>((resolve, reject) => {
        const raw = tcpConnect({ host: open.host, port: open.port });
        raw.once('error', reject);
        raw.once('data', (d) => (resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(d.toString())?.[1])), raw.destroy()));
        raw.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      });
      assert.equal(res, 404, target);
    }
    const closed = await serve({ metricsFrom: ['10.0.0.9'] });
    const res = await fetch(`${closed.url}/metrics`);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: string }).error, 'forbidden');
  });
});
