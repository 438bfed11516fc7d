/**
 * Pins what output-meter.ts relies on in engine.io (the one place the server reads below Socket.IO's
 * public API): every packet passes `packetCreate`, batches leave on the Server's `flush` (an event engine.io's
 * README does not list), the transport's `drain` comes once a batch was written out, and after an upgrade
 * the socket's `transport` is the new one. Checked on a bare Socket.IO server, for WebSocket and polling:
 * a client that stops reading makes the meter grow, reading again brings it back to zero, and
 * cutOff ends a connection at once even while it does not read.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';
import { Server } from 'socket.io';
import { io as connectClient, type Socket } from 'socket.io-client';
import { cutOff, OutputMeter, OutputTotal } from '../../src/server/fronts/socket/output-meter.js';

const opened: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const close of opened.reverse()) await close();
});

async function bareServer() {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  opened.push(() => new Promise<void>((resolve) => void io.close(() => resolve())));
  const meters: OutputMeter[] = [];
  const total = new OutputTotal(io.engine, {
    find: (conn) => meters.find((meter) => meter.conn === conn),
    changed: () => undefined,
    closed: () => undefined,
  });
  const sockets: import('socket.io').Socket[] = [];
  io.on('connection', (socket) => {
    meters.push(new OutputMeter(socket.conn, total));
    sockets.push(socket);
  });
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, total, meters, sockets };
}

function client(url: string, transports: ('websocket' | 'polling')[]): Promise<Socket> {
  const socket = connectClient(url, { transports, forceNew: true, reconnection: false, upgrade: false });
  opened.push(() => void socket.close());
  return new Promise((resolve) => socket.once('connect', () => resolve(socket)));
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const chunk = 'x'.repeat(100_000);

interface EngineClient {
  once(event: 'upgrade', listener: () => void): void;
  transport: { ws: { _socket: NetSocket } };
}

describe('OutputMeter over engine.io 6', () => {
  it('WebSocket: grows while the client does not read, back to zero once it reads', async () => {
    const server = await bareServer();
    const c = await client(server.url, ['websocket']);
    const tcp = (c.io as unknown as { engine: { transport: { ws: { _socket: NetSocket } } } }).engine.transport.ws
      ._socket;
    tcp.pause();
    let received = 0;
    c.on('chunk', () => received++);
    // 30 MB: far more than the kernel's socket buffers take.
    for (let i = 0; i < 300; i++) server.sockets[0].emit('chunk', chunk);
    const [meter] = server.meters;
    assert.ok(meter.pending > 10_000_000, `pending ${meter.pending}`);
    assert.equal(server.total.bytes, meter.pending);
    tcp.resume();
    await until(() => received === 300, 'every chunk to arrive');
    await until(() => meter.pending === 0, 'the meter to drain');
    assert.equal(server.total.bytes, 0);
  });

  it('polling: counts what waits for the next poll, and drains as the client polls', async () => {
    const server = await bareServer();
    const c = await client(server.url, ['polling']);
    let received = 0;
    c.on('chunk', () => received++);
    for (let i = 0; i < 20; i++) server.sockets[0].emit('chunk', chunk);
    assert.ok(server.meters[0].pending >= 1_000_000, `pending ${server.meters[0].pending}`);
    await until(() => received === 20, 'every chunk to arrive');
    await until(() => server.meters[0].pending === 0, 'the meter to drain');
  });

  it('polling upgraded to WebSocket: the meter follows the new transport, growing while it is not read', async () => {
    const server = await bareServer();
    const c = connectClient(server.url, { forceNew: true, reconnection: false });
    opened.push(() => void c.close());
    const engine = (c.io as unknown as { engine: EngineClient }).engine;
    await new Promise<void>((resolve) => engine.once('upgrade', () => resolve()));
    await until(() => server.sockets[0]?.conn.transport.name === 'websocket', 'the server side of the upgrade');
    const tcp = engine.transport.ws._socket;
    tcp.pause();
    let received = 0;
    c.on('chunk', () => received++);
    for (let i = 0; i < 300; i++) server.sockets[0].emit('chunk', chunk);
    const [meter] = server.meters;
    assert.ok(meter.pending > 10_000_000, `pending ${meter.pending}`);
    tcp.resume();
    await until(() => received === 300, 'every chunk to arrive');
    await until(() => meter.pending === 0, 'the meter to drain');
    assert.equal(server.total.bytes, 0);
  });

  it('cutOff ends a connection that does not read at once, and its bytes leave the total', async () => {
    const server = await bareServer();
    const c = await client(server.url, ['websocket']);
    const tcp = (c.io as unknown as { engine: { transport: { ws: { _socket: NetSocket } } } }).engine.transport.ws
      ._socket;
    tcp.pause();
    for (let i = 0; i < 300; i++) server.sockets[0].emit('chunk', chunk);
    assert.ok(server.total.bytes > 10_000_000);
    const gone = new Promise<string>((resolve) => server.sockets[0].once('disconnect', resolve));
    cutOff(server.sockets[0].conn);
    assert.equal(await gone, 'forced close');
    assert.equal(server.total.bytes, 0);
  });
});
