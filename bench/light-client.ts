/**
 * A light Socket.IO client for the many-connections bench: one TCP socket speaking WebSocket (RFC 6455)
 * by hand, and over it the real Engine.IO v4 / Socket.IO v5 text protocol (open, ping → pong, CONNECT
 * with auth, events, acks), and nothing else. socket.io-client costs a few times the server's memory per
 * connection, and even `ws`'s client (an HTTP request object, a key and its hash per connection) costs
 * about what the server spends on opening it; this keeps the generator cheaper than what it measures.
 *
 * WebSocket, the part it needs: one upgrade request written at once (the server's 101 is checked for its
 * status only), unfragmented text frames each way, client frames masked with a zero key (a valid mask that
 * leaves the payload as it is), a close frame ends the connection.
 *
 * Packets it knows: Engine.IO `0` open, `2` ping (answered `3`), `4` message carrying a Socket.IO
 * packet: `0` CONNECT (with our server, asked as our client asks, it carries the AuthInfo: not read here), `4` CONNECT_ERROR, `2` EVENT (`2<id>[…]` when the server wants an ack), `3` ACK.
 * Events it takes: `message`, and our server's `batch` when it asked for them.
 */
import { connect, type Socket } from 'node:net';
import { BENCH_PIPE, type Dialect } from './protocol.js';

export interface LightClientOptions {
  /** The server's http://host:port. */
  url: string;
  dialect: Dialect;
  /** Our server's app (comet dialect). */
  app?: string;
  /** Loopback source address (127.0.0.2, …): each has its own ~28,000 ephemeral ports. */
  localAddress?: string;
  /** Ask our server for `batch` events (a busy pipe's messages several to a frame). */
  batch?: boolean;
  /** Called with each message received (a `batch` event's one by one): the bench's payload, whatever the dialect. */
  onMessage?: (payload: unknown) => void;
  /** Called with each `message` or `batch` event frame received: how many messages share a frame. */
  onFrame?: () => void;
}

export interface LightClient {
  /** Closes the TCP connection at once. */
  terminate(): void;
}

/** Any 16-byte nonce, base64: the server's answer to it is not checked. */
const KEY = 'Y29tZXQtY2hhdC1iZW5jaA==';
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
const HEADERS_END = Buffer.from('\r\n\r\n');

/** A masked (zero key) client frame. */
function frame(opcode: number, text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(header + 4 + length);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = 0x80 | length;
  else if (length < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(length), 2);
  }
  out.writeUInt32BE(0, header);
  out.write(text, header + 4);
  return out;
}

/** Connects, CONNECTs and subscribes to the bench pipe (room); resolves once the subscription is acknowledged. */
export function openLightClient(options: LightClientOptions): Promise<LightClient> {
  const { hostname, port } = new URL(options.url);
  const socket: Socket = connect({
    host: hostname,
    port: Number(port),
    noDelay: true,
    ...(options.localAddress ? { localAddress: options.localAddress } : {}),
  });
  socket.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: Upgrade\r\n` +
      `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`,
  );
  const send = (text: string): boolean => socket.write(frame(OPCODE_TEXT, text));
  // As our client does: its AuthInfo comes in the CONNECT packet, not as an `auth` event of its own.
  const auth = { dev_id: options.app, auth_in_connect: true, ...(options.batch ? { batch: true } : {}) };
  const connectPacket = options.dialect === 'comet' ? `40${JSON.stringify(auth)}` : '40';
  const subscribe =
    options.dialect === 'comet'
      ? `421["subscribe",${JSON.stringify({ pipes: [BENCH_PIPE] })}]`
      : `421["join","${BENCH_PIPE}"]`;
  const client: LightClient = { terminate: () => socket.destroy() };
  return new Promise((resolve, reject) => {
    let subscribed = false;
    let upgraded = false;
    let pending: Buffer | undefined;
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.on('error', (err) => (subscribed ? undefined : fail(err)));
    socket.on('close', () => (subscribed ? undefined : reject(new Error('closed before subscribing'))));

    const onText = (text: string): void => {
      const engine = text[0];
      if (engine === '2') return void send('3');
      if (engine === '0') return void send(connectPacket);
      if (engine !== '4') return;
      const kind = text[1];
      if (kind === '2') return onEvent(send, text, options);
      if (kind === '0') return void send(subscribe);
      if (kind === '4') return fail(new Error(`connect refused: ${text.slice(2)}`));
      if (kind === '3' && text.startsWith('431')) {
        const reply = JSON.parse(text.slice(3)) as [{ error?: string }?];
        if (reply[0]?.error) return fail(new Error(`subscribe failed: ${reply[0].error}`));
        subscribed = true;
        resolve(client);
      }
    };

    socket.on('data', (chunk: Buffer) => {
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      if (!upgraded) {
        const end = data.indexOf(HEADERS_END);
        if (end < 0) return void (pending = data);
        const status = data.toString('latin1', 0, data.indexOf('\r\n'));
        if (!status.startsWith('HTTP/1.1 101')) return fail(new Error(`upgrade refused: ${status}`));
        upgraded = true;
        data = data.subarray(end + HEADERS_END.length);
      }
      // Server frames are unmasked: opcode, a 7-, 16- or 64-bit length, the payload.
      while (data.length >= 2) {
        const opcode = data[0] & 0x0f;
        let length = data[1] & 0x7f;
        let start = 2;
        if (length === 126) {
          if (data.length < 4) break;
          length = data.readUInt16BE(2);
          start = 4;
        } else if (length === 127) {
          if (data.length < 10) break;
          length = Number(data.readBigUInt64BE(2));
          start = 10;
        }
        if (data.length < start + length) break;
        const payload = data.subarray(start, start + length);
        data = data.subarray(start + length);
        if (opcode === OPCODE_TEXT) onText(payload.toString());
        else if (opcode === OPCODE_PING) socket.write(frame(OPCODE_PONG, payload.toString()));
        else if (opcode === OPCODE_CLOSE) return void socket.destroy();
      }
      if (data.length > 0) pending = Buffer.from(data);
    });
  });
}

const MESSAGE_EVENT = '["message",';
const BATCH_EVENT = '["batch",';

/**
 * `42[…]` or `42<ack id>[…]`: `message` and `batch` events go to the listener (the bench's payload: ours
 * wraps it in `data`), and an ack id is answered as a browser does.
 */
function onEvent(send: (text: string) => void, text: string, options: LightClientOptions): void {
  const bracket = text.indexOf('[', 2);
  const payload = (msg: unknown): unknown => (options.dialect === 'comet' ? (msg as { data: unknown }).data : msg);
  if (text.startsWith(MESSAGE_EVENT, bracket)) {
    options.onFrame?.();
    if (bracket > 2) send(`43${text.slice(2, bracket)}[]`);
    options.onMessage?.(payload(JSON.parse(text.slice(bracket + MESSAGE_EVENT.length, -1))));
  } else if (text.startsWith(BATCH_EVENT, bracket)) {
    options.onFrame?.();
    const batch = JSON.parse(text.slice(bracket + BATCH_EVENT.length, -1)) as { messages: unknown[] };
    for (const msg of batch.messages) options.onMessage?.(payload(msg));
  }
}
