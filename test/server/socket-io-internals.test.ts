/**
 * Pins the Socket.IO behaviour the socket front relies on, for the version in package-lock.json:
 * a broadcast with an ack hands every receiving socket an ack id; Socket.IO drops those of this
 * node's own broadcasts when their timeout passes, but not those handed out for other nodes (the
 * Redis adapter does that through the namespace adapter), which src/server/fronts/socket/stale-acks.ts
 * sweeps. When an upgrade changes any of this, this test fails first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server } from 'socket.io';
import { PacketType } from 'socket.io-parser';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { StaleAckSweep } from '../../src/server/fronts/socket/stale-acks.js';

const version = (name: string) =>
  (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;

describe('Socket.IO internals read by stale-acks.ts', () => {
  let io: Server;
  let silent: ClientSocket;
  /** The server-side socket of a client that takes messages and never acknowledges them. */
  let pending: () => Map<number, unknown>;

  before(async () => {
    const http = createServer();
    io = new Server(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const connected = new Promise<void>((resolve) => io.once('connection', () => resolve()));
    silent = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ['websocket'],
      forceNew: true,
    });
    await connected;
    pending = () => (io.of('/').sockets.get(silent.id!) as unknown as { acks: Map<number, unknown> }).acks;
  });

  after(async () => {
    silent.close();
    await io.close();
  });

  it('is socket.io 4.8 with @socket.io/redis-adapter 8.3', () => {
    assert.match(version('socket.io'), /^4\.8\./);
    assert.match(version('@socket.io/redis-adapter'), /^8\.3\./);
  });

  it("drops the ack ids of this node's own broadcasts when their timeout passes", async () => {
    const answers = await new Promise<unknown[]>((resolve) =>
      io.timeout(50).emit('ping', (_err: Error | null, responses: unknown[]) => resolve(responses)),
    );
    assert.deepEqual(answers, []);
    assert.equal(pending().size, 0);
  });

  it('keeps the ack ids handed out for another node until two sweeps have passed', async () => {
    const sweep = new StaleAckSweep(io.of('/'), 60_000);
    try {
      // What the Redis adapter does with another node's broadcast that waits for acks.
      const handOut = () =>
        io.of('/').adapter.broadcastWithAck(
          { type: PacketType.EVENT, data: ['ping'], nsp: '/' },
          { rooms: new Set(), except: new Set() },
          () => undefined,
          () => undefined,
        );
      handOut();
      assert.equal(pending().size, 1, 'the adapter leaves the ack id on the socket');
      sweep.sweep();
      handOut();
      assert.equal(pending().size, 2, 'a sweep keeps what was handed out since the one before');
      sweep.sweep();
      assert.equal(pending().size, 1, 'the older id is gone, the newer one waits for the next sweep');
      sweep.sweep();
      assert.equal(pending().size, 0);
    } finally {
      sweep.close();
    }
  });
});
