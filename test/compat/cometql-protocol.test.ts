/**
 * The CometQL wire protocol against a real server, with a raw client: greeting, native-password
 * check, the switch away from caching_sha2_password, sequence ids, both result-set endings,
 * and bad input answered with an ERR packet or a clean close.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nativePasswordToken, verifyNativePassword } from '../../src/server/fronts/cometql/handshake.js';
import { PacketFramer, PacketTooLarge, frame } from '../../src/server/fronts/cometql/packets.js';
import { BASE_CAPS, CAPS, RawClient, isOk, parseErr, startServer, type CometServerHandle } from './cometql-support.js';

const COM_QUIT = 0x01;
const COM_INIT_DB = 0x02;
const COM_QUERY = 0x03;
const COM_PING = 0x0e;
const COM_STMT_PREPARE = 0x16;

describe('CometQL packet codec', () => {
  it('reassembles packets split across chunks and keeps sequence ids', () => {
    const framer = new PacketFramer();
    const bytes = Buffer.concat([frame(3, Buffer.from('hello')).bytes, frame(4, Buffer.from('')).bytes]);
    for (const b of bytes) framer.push(Buffer.from([b]));
    assert.deepEqual(framer.next(), { seq: 3, payload: Buffer.from('hello') });
    assert.deepEqual(framer.next(), { seq: 4, payload: Buffer.alloc(0) });
    assert.equal(framer.next(), null);
  });

  it('refuses a packet of 16 MiB or more before buffering it', () => {
    const framer = new PacketFramer();
    framer.push(Buffer.from([0xff, 0xff, 0xff, 0]));
    assert.throws(() => framer.next(), PacketTooLarge);
  });

  it('splits a 16 MiB payload into a full frame and an empty one', () => {
    const { bytes, nextSeq } = frame(0, Buffer.alloc(0xffffff));
    assert.equal(bytes.length, 4 + 0xffffff + 4);
    assert.equal(nextSeq, 2);
  });

  it('checks mysql_native_password tokens', () => {
    const scramble = Buffer.from('abcdefghijklmnopqrst');
    assert.ok(verifyNativePassword('s3cret', scramble, nativePasswordToken('s3cret', scramble)));
    assert.ok(!verifyNativePassword('s3cret', scramble, nativePasswordToken('s3creT', scramble)));
    assert.ok(!verifyNativePassword('s3cret', scramble, Buffer.alloc(0)));
  });
});

describe('CometQL protocol over a socket', { timeout: 180_000 }, () => {
  let server: CometServerHandle & { cometqlPort: number };
  const clients: RawClient[] = [];
  const open = async (): Promise<RawClient> => {
    const c = await RawClient.open(server.cometqlPort);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  it('greets with protocol 10, the CometQL version, a 20-byte scramble and mysql_native_password', async () => {
    const c = await open();
    const g = await c.greeting();
    assert.equal(g.protocol, 10);
    assert.equal(g.version, '5.7.0-CometQL-comet-chat');
    assert.equal(g.scramble.length, 20);
    assert.equal(g.plugin, 'mysql_native_password');
    assert.ok([45, 255].includes(g.charset));
    for (const cap of [CAPS.PROTOCOL_41, CAPS.SECURE_CONNECTION, CAPS.PLUGIN_AUTH, CAPS.CONNECT_WITH_DB])
      assert.ok(g.capabilities & cap);
    const other = await (await open()).greeting();
    assert.notDeepEqual(other.scramble, g.scramble);
  });

  it('logs in with dev id + app secret (OK at seq 2) and answers commands from seq 1', async () => {
    const c = await open();
    const ok = await c.connectAs('1', server.app1Secret);
    assert.ok(isOk(ok));
    assert.equal(ok!.seq, 2);
    c.command(COM_PING);
    const pong = await c.next();
    assert.ok(isOk(pong));
    assert.equal(pong!.seq, 1);
    c.command(COM_INIT_DB, 'CometQL_v1');
    assert.ok(isOk(await c.next()));
    c.command(COM_INIT_DB, 'mysql');
    assert.equal(parseErr(await c.next()).errno, 1049);
  });

  it('refuses a wrong secret, an unknown dev id and an unknown database, then closes', async () => {
    for (const [user, password, db, errno, state] of [
      ['1', 'wrong', 'CometQL_v1', 1045, '28000'],
      ['nope', server.app1Secret, 'CometQL_v1', 1045, '28000'],
      ['1', server.app1Secret, 'mysql', 1049, '42000'],
    ] as const) {
      const c = await open();
      const err = parseErr(await c.connectAs(user, password, db));
      assert.equal(err.errno, errno);
      assert.equal(err.state, state);
      assert.equal(await c.next(), null, 'the connection is closed');
    }
  });

  it('reads nothing more after refusing a login', async () => {
    const c = await open();
    const g = await c.greeting();
    c.login({ user: '1', auth: nativePasswordToken('wrong', g.scramble), database: 'CometQL_v1' });
    c.login({ user: '1', auth: nativePasswordToken(server.app1Secret, g.scramble), database: 'CometQL_v1' });
    assert.equal(parseErr(await c.next()).errno, 1045);
    assert.equal(await c.next(), null, 'the second attempt on the same connection is never answered');
  });

  it('switches a caching_sha2_password client to mysql_native_password', async () => {
    const c = await open();
    const g = await c.greeting();
    c.login({ user: '1', auth: Buffer.alloc(32, 7), database: 'CometQL_v1', plugin: 'caching_sha2_password' });
    const sw = (await c.next())!;
    assert.equal(sw.seq, 2);
    assert.equal(sw.payload[0], 0xfe);
    const nul = sw.payload.indexOf(0, 1);
    assert.equal(sw.payload.subarray(1, nul).toString(), 'mysql_native_password');
    const scramble = sw.payload.subarray(nul + 1, nul + 21);
    assert.deepEqual(scramble, g.scramble);
    c.send(3, nativePasswordToken(server.app1Secret, scramble));
    const ok = await c.next();
    assert.ok(isOk(ok));
    assert.equal(ok!.seq, 4);
  });

  it('ends result sets with EOF packets, or with an 0xFE OK under CLIENT_DEPRECATE_EOF', async () => {
    // column count, column definition ('def' → 3), [EOF], row ('1' → length 1), terminator
    const expected: [number, number[]][] = [
      [BASE_CAPS, [1, 3, 0xfe, 1, 0xfe]],
      [BASE_CAPS | CAPS.DEPRECATE_EOF, [1, 3, 1, 0xfe]],
    ];
    for (const [caps, headers] of expected) {
      const c = await open();
      assert.ok(isOk(await c.connectAs('1', server.app1Secret, 'CometQL_v1', caps)));
      c.command(COM_QUERY, 'SELECT 1');
      const packets = [];
      for (let i = 0; i < headers.length; i++) packets.push((await c.next())!);
      assert.deepEqual(
        packets.map((p) => p.payload[0]),
        headers,
      );
      assert.deepEqual(
        packets.map((p) => p.seq),
        headers.map((_, i) => i + 1),
      );
      c.command(COM_PING);
      const pong = await c.next();
      assert.ok(isOk(pong), 'nothing else followed the result set');
      assert.equal(pong!.seq, 1);
    }
  });

  it('answers unknown commands with 1047 and keeps the connection', async () => {
    const c = await open();
    assert.ok(isOk(await c.connectAs('1', server.app1Secret)));
    c.command(COM_STMT_PREPARE, 'SELECT 1');
    const err = parseErr(await c.next());
    assert.equal(err.errno, 1047);
    assert.equal(err.state, '08S01');
    c.send(0, Buffer.alloc(0));
    assert.equal(parseErr(await c.next()).errno, 1047);
    c.command(COM_PING);
    assert.ok(isOk(await c.next()));
    c.command(COM_QUIT);
    assert.equal(await c.next(), null);
  });

  it('closes cleanly on a garbage handshake, an oversized packet and a TLS request', async () => {
    const garbage = await open();
    await garbage.greeting();
    garbage.send(1, Buffer.from('not a handshake'));
    assert.equal(parseErr(await garbage.next()).errno, 1043);
    assert.equal(await garbage.next(), null);

    const big = await open();
    assert.ok(isOk(await big.connectAs('1', server.app1Secret)));
    big.socket.write(Buffer.from([0xff, 0xff, 0xff, 0x00, COM_QUERY]));
    assert.equal(parseErr(await big.next()).errno, 1153);
    assert.equal(await big.next(), null);

    const hugeLogin = await open();
    await hugeLogin.greeting();
    hugeLogin.socket.write(Buffer.from([0x00, 0x00, 0x02, 0x01]));
    assert.equal(parseErr(await hugeLogin.next()).errno, 1153, 'no 128 KiB login packets');
    assert.equal(await hugeLogin.next(), null);

    const tls = await open();
    await tls.greeting();
    const sslRequest = Buffer.alloc(32);
    sslRequest.writeUInt32LE(BASE_CAPS | (1 << 11));
    tls.send(1, sslRequest);
    assert.equal(parseErr(await tls.next()).errno, 1043);
    assert.equal(await tls.next(), null);

    const after = await open();
    assert.ok(isOk(await after.connectAs('1', server.app1Secret)), 'the server still serves');
  });

  it('closes a connection that never logs in once the handshake timeout passes', async () => {
    const { startCometQL } = await import('../../src/server/fronts/cometql/index.js');
    const front = await startCometQL(server.core, { port: 0, host: '127.0.0.1', handshakeTimeoutMs: 50 });
    try {
      const c = await RawClient.open(front.port);
      clients.push(c);
      await c.greeting();
      assert.equal(await c.next(), null);
    } finally {
      await front.close();
    }
  });

  it('closes a login that trickles a byte at a time once the handshake time is up: a deadline, not an idle timeout', async () => {
    const { startCometQL } = await import('../../src/server/fronts/cometql/index.js');
    const front = await startCometQL(server.core, { port: 0, host: '127.0.0.1', handshakeTimeoutMs: 300 });
    try {
      const c = await RawClient.open(front.port);
      clients.push(c);
      await c.greeting();
      // A login packet's header, announcing 200 bytes, then one byte every 100 ms: never idle for 300 ms.
      c.socket.write(Buffer.from([200, 0, 0, 1]));
      let sent = 0;
      const trickle = setInterval(() => {
        if (!c.socket.writable) return;
        c.socket.write(Buffer.from([0]));
        sent++;
      }, 100);
      try {
        await c.closed;
      } finally {
        clearInterval(trickle);
      }
      // Counted in bytes, not in wall time (one clock for both, so a loaded machine slows both alike): the deadline
      // passes after about three of them, an idle timeout never would, and the packet's end is 200 bytes away.
      assert.ok(sent < 10, `closed after ${sent} of the login packet's 200 bytes`);
    } finally {
      await front.close();
    }
  });

  it('runs the next query only once the last results went out: a client that does not read holds one result', async () => {
    const { startCometQL } = await import('../../src/server/fronts/cometql/index.js');
    for (let i = 0; i < 20; i++)
      await server.core.publish('1', 'web_unread', undefined, { text: 'x'.repeat(60_000), i });
    /** Calls of core.history: one per query, or a few for a query that pages. */
    let asked = 0;
    const counting = new Proxy(server.core, {
      get: (target, key, receiver) => {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (key !== 'history' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          asked++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const front = await startCometQL(counting, { port: 0, host: '127.0.0.1' });
    try {
      const c = await RawClient.open(front.port);
      clients.push(c);
      assert.ok(isOk(await c.connectAs('1', server.app1Secret)));
      // 100 queries of about 1.2 MB of results each (120 MB in all), and the client stops reading.
      c.socket.pause();
      for (let i = 0; i < 100; i++) c.command(0x03, "SELECT * FROM pipes_messages WHERE name = 'web_unread'");
      while (asked === 0) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 1500));
      assert.ok(asked <= 20, `${asked} history calls for 100 queries while nothing was read`);
      c.socket.resume();
      // Every query runs once the client reads: 120 MB through loopback, however long the machine takes (the suite's
      // timeout bounds it).
      while (asked < 100) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await front.close();
    }
  });

  it('holds each address to its sockets, as the HTTP port does', async () => {
    const { startCometQL } = await import('../../src/server/fronts/cometql/index.js');
    const { Metrics } = await import('../../src/server/metrics.js');
    const { NodeSockets } = await import('../../src/server/fronts/socket-cap.js');
    const socketCap = { perAddress: 3, exempt: [], metrics: new Metrics(), node: new NodeSockets(100) };
    const front = await startCometQL(server.core, { port: 0, host: '127.0.0.1', socketCap });
    try {
      const opened = await Promise.all(Array.from({ length: 5 }, () => RawClient.open(front.port)));
      clients.push(...opened);
      const greeted = await Promise.all(opened.map((c) => c.next()));
      assert.equal(greeted.filter((p) => p !== null).length, 3, 'three greeted, two closed at once');
      opened
        .filter((_, i) => greeted[i] === null)
        .forEach((c) => assert.equal(c.socket.destroyed || c.socket.readyState !== 'open', true));
    } finally {
      await front.close();
    }
  });
});
