/**
 * For the CometQL tests: a real comet server with its CometQL port, socket.io-client
 * connections that are always closed, child processes run without blocking the server,
 * and a raw MySQL-protocol client for what real client libraries never send.
 */
import { execFile } from 'node:child_process';
import { connect, type Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { nativePasswordToken } from '../../src/server/fronts/cometql/handshake.js';
import {
  PacketFramer,
  PayloadReader,
  PayloadWriter,
  frame,
  type Packet,
} from '../../src/server/fronts/cometql/packets.js';
import type { AuthInfo, IncomingMessage } from '../../src/protocol/wire.js';

import { startServer as startFixtureServer, type CometServer } from '../fixtures/server.js';

export type CometServerHandle = CometServer;

/** The fixture's server with CometQL on a free port. */
export async function startServer(): Promise<CometServer & { cometqlPort: number }> {
  return (await startFixtureServer({ cometqlPort: 0 })) as CometServer & { cometqlPort: number };
}

export interface Browser {
  socket: Socket;
  auth: AuthInfo;
  messages: IncomingMessage[];
  /** Resolves with the first message (seen already or still to come) that passes `accept`. */
  message(accept: (m: IncomingMessage) => boolean): Promise<IncomingMessage>;
}

/** socket.io-client connections, each closed by `closeAll`. */
export class Browsers {
  private readonly sockets: Socket[] = [];

  async open(url: string, auth: Record<string, unknown> = {}): Promise<Browser> {
    const socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { dev_id: '1', ...auth },
    });
    this.sockets.push(socket);
    const messages: IncomingMessage[] = [];
    const waiters: { accept: (m: IncomingMessage) => boolean; resolve: (m: IncomingMessage) => void }[] = [];
    socket.on('message', (m: IncomingMessage, ack?: () => void) => {
      if (typeof ack === 'function') ack();
      messages.push(m);
      for (const w of waiters.splice(0)) {
        if (w.accept(m)) w.resolve(m);
        else waiters.push(w);
      }
    });
    const auth$ = await new Promise<AuthInfo>((resolve, reject) => {
      socket.once('auth', resolve);
      socket.once('connect_error', reject);
    });
    return {
      socket,
      auth: auth$,
      messages,
      message: (accept) => {
        const seen = messages.find(accept);
        return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ accept, resolve }));
      },
    };
  }

  closeAll(): void {
    for (const s of this.sockets.splice(0)) s.disconnect();
  }
}

/** Emits with an acknowledgement and resolves with the answer. */
export function request<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve) => socket.emit(event, payload, resolve));
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program asynchronously (the server lives in this same process). */
export function run(file: string, args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number')
        return reject(new Error(err.message, { cause: err }));
      resolve({ code: err ? Number((err as { code: number }).code) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/* ---- a raw MySQL-protocol client ---- */

export const CAPS = {
  CONNECT_WITH_DB: 1 << 3,
  PROTOCOL_41: 1 << 9,
  SECURE_CONNECTION: 1 << 15,
  PLUGIN_AUTH: 1 << 19,
  PLUGIN_AUTH_LENENC_CLIENT_DATA: 1 << 21,
  DEPRECATE_EOF: 1 << 24,
};
export const BASE_CAPS = CAPS.PROTOCOL_41 | CAPS.SECURE_CONNECTION | CAPS.PLUGIN_AUTH | CAPS.CONNECT_WITH_DB;

export interface Greeting {
  protocol: number;
  version: string;
  capabilities: number;
  charset: number;
  scramble: Buffer;
  plugin: string;
}

export class RawClient {
  private readonly framer = new PacketFramer();
  private readonly queue: Packet[] = [];
  private waiting?: (p: Packet | null) => void;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: NetSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let p = this.framer.next(); p; p = this.framer.next()) this.deliver(p);
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.waiting?.(null);
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private deliver(p: Packet): void {
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w(p);
    } else this.queue.push(p);
  }

  /** The next packet, or null once the server has closed the connection. */
  next(): Promise<Packet | null> {
    const p = this.queue.shift();
    if (p) return Promise.resolve(p);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  send(seq: number, payload: Buffer): void {
    this.socket.write(frame(seq, payload).bytes);
  }

  async greeting(): Promise<Greeting> {
    const p = (await this.next())!;
    const r = new PayloadReader(p.payload);
    const protocol = r.int1();
    const version = r.nulBytes().toString();
    r.int4();
    const part1 = r.bytes(8);
    r.int1();
    const low = r.int2();
    const charset = r.int1();
    r.int2();
    const high = r.int2();
    r.int1();
    r.bytes(10);
    const part2 = r.nulBytes();
    const plugin = r.nulBytes().toString();
    return {
      protocol,
      version,
      capabilities: low | (high << 16),
      charset,
      scramble: Buffer.concat([part1, part2]),
      plugin,
    };
  }

  /** Sends a HandshakeResponse41 (seq 1). */
  login(opts: { user: string; auth: Buffer; database?: string; plugin?: string; capabilities?: number }): void {
    const caps = (opts.capabilities ?? BASE_CAPS) | (opts.database === undefined ? 0 : CAPS.CONNECT_WITH_DB);
    const w = new PayloadWriter()
      .int4(caps)
      .int4(16 * 1024 * 1024)
      .int1(45)
      .raw(Buffer.alloc(23))
      .nulString(opts.user);
    if (caps & CAPS.PLUGIN_AUTH_LENENC_CLIENT_DATA) w.lenencString(opts.auth);
    else w.int1(opts.auth.length).raw(opts.auth);
    if (opts.database !== undefined) w.nulString(opts.database);
    if (caps & CAPS.PLUGIN_AUTH) w.nulString(opts.plugin ?? 'mysql_native_password');
    this.send(1, w.build());
  }

  /** Greeting + native-password login; resolves with the server's answer to it. */
  async connectAs(
    user: string,
    password: string,
    database = 'CometQL_v1',
    capabilities = BASE_CAPS,
  ): Promise<Packet | null> {
    const g = await this.greeting();
    this.login({ user, auth: nativePasswordToken(password, g.scramble), database, capabilities });
    return this.next();
  }

  /** Sends one command (seq 0). */
  command(code: number, body: string | Buffer = ''): void {
    this.send(0, Buffer.concat([Buffer.from([code]), Buffer.from(body)]));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Reads an ERR packet. */
export function parseErr(p: Packet | null): { errno: number; state: string; message: string } {
  if (!p || p.payload[0] !== 0xff)
    throw new Error(`expected an ERR packet, got ${p ? `0x${p.payload[0]?.toString(16)}` : 'a closed connection'}`);
  return {
    errno: p.payload.readUInt16LE(1),
    state: p.payload.subarray(4, 9).toString(),
    message: p.payload.subarray(9).toString(),
  };
}

export const isOk = (p: Packet | null): boolean => p !== null && p.payload[0] === 0x00;
