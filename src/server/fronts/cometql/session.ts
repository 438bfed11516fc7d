/**
 * One client connection: greeting, authentication (with a switch to mysql_native_password
 * when asked), then the command loop. Commands run one at a time; reading pauses meanwhile.
 * Every failure ends in an ERR packet or a clean close, never a thrown error or a stall.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { BackendApi } from '../../core/api.js';
import { peerKey } from '../address.js';
import type { LoginFailures } from '../login-failures.js';
import { CLIENT } from './capabilities.js';
import { SqlError } from './errors.js';
import { checkDatabase, execute, type ExecContext, type Outcome } from './execute.js';
import {
  authSwitchPacket,
  createScramble,
  greetingPacket,
  isSslRequest,
  NATIVE_PASSWORD,
  parseHandshakeResponse,
  verifyNativePassword,
  type HandshakeResponse,
} from './handshake.js';
import type { CometQLLogger } from './index.js';
import { frame, MalformedPacket, MAX_PACKET_PAYLOAD, PacketFramer, PacketTooLarge, type Packet } from './packets.js';
import { parse } from './parser.js';
import { columnCount, columnDefinition, eofPacket, errPacket, okPacket, textRow } from './responses.js';

const COM_QUIT = 0x01;
const COM_INIT_DB = 0x02;
const COM_QUERY = 0x03;
const COM_PING = 0x0e;
/** A login packet is a few hundred bytes; nobody unauthenticated gets to make us buffer 16 MiB. */
const MAX_LOGIN_PACKET = 64 * 1024;

export interface SessionOptions {
  core: BackendApi;
  connectionId: number;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  logger?: CometQLLogger;
  /** Failed logins per address, shared with the HTTP API: past them a login is refused unchecked. */
  logins?: LoginFailures;
}

type Phase = 'handshake' | 'auth-switch' | 'command';

export class Session {
  private readonly framer = new PacketFramer();
  private readonly scramble = createScramble();
  private readonly host: string;
  private phase: Phase = 'handshake';
  private seq = 0;
  private capabilities = 0;
  private pending?: HandshakeResponse;
  private ctx?: ExecContext;
  private busy = false;
  private readonly loginDeadline: NodeJS.Timeout;
  /** Set once the connection is being closed: nothing more is read. */
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly opts: SessionOptions,
  ) {
    this.host = socket.remoteAddress ?? 'unknown';
    this.framer.maxPayload = MAX_LOGIN_PACKET;
    socket.setNoDelay(true);
    // A deadline, not an idle timeout: a byte now and then must not keep a login open forever.
    this.loginDeadline = setTimeout(() => socket.destroy(), opts.handshakeTimeoutMs);
    socket.once('close', () => clearTimeout(this.loginDeadline));
    socket.on('timeout', () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      this.framer.push(chunk);
      void this.drain();
    });
    this.send([greetingPacket(opts.connectionId, this.scramble)]);
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.socket.pause();
    try {
      for (;;) {
        if (this.closing || this.socket.destroyed) return;
        const packet = this.framer.next();
        if (!packet) break;
        // A client that sends queries and does not read the results holds one result at most: the next
        // query waits until what was written has gone out.
        if (this.socket.writableNeedDrain) await once(this.socket, 'drain');
        await this.handle(packet);
      }
    } catch (err) {
      this.fatal(err);
    } finally {
      this.busy = false;
      if (!this.closing && !this.socket.destroyed) this.socket.resume();
    }
  }

  private async handle(packet: Packet): Promise<void> {
    this.seq = (packet.seq + 1) & 0xff;
    switch (this.phase) {
      case 'handshake':
        return this.onHandshakeResponse(packet.payload);
      case 'auth-switch':
        return this.authenticate(this.pending!, packet.payload);
      case 'command':
        return this.onCommand(packet.payload);
    }
  }

  private onHandshakeResponse(payload: Buffer): void {
    if (isSslRequest(payload)) throw new MalformedPacket('TLS is not offered');
    const response = parseHandshakeResponse(payload);
    this.capabilities = response.capabilities;
    if (response.plugin !== undefined && response.plugin !== NATIVE_PASSWORD) {
      this.pending = response;
      this.phase = 'auth-switch';
      this.send([authSwitchPacket(this.scramble)]);
      return;
    }
    this.authenticate(response, response.authResponse);
  }

  private authenticate(response: HandshakeResponse, token: Buffer): void {
    this.pending = undefined;
    const address = peerKey(this.host);
    const wait = this.opts.logins?.retryAfter(address) ?? 0;
    if (wait > 0) {
      return this.refuse(
        new SqlError(
          'hostBlocked',
          `Host '${this.host}' failed to log in too often; try again in ${Math.ceil(wait / 1000)} s`,
        ),
      );
    }
    const app = this.opts.core.getApp(response.user);
    if (!app || !verifyNativePassword(app.secret, this.scramble, token)) {
      this.opts.logins?.failed(address, response.user);
      const using = token.length > 0 ? 'YES' : 'NO';
      return this.refuse(
        new SqlError(
          'accessDenied',
          `Access denied for user '${response.user}'@'${this.host}' (using password: ${using})`,
        ),
      );
    }
    let database: string | null = null;
    if (response.database !== undefined) {
      try {
        database = checkDatabase(response.database);
      } catch (err) {
        return this.refuse(err as SqlError);
      }
    }
    this.ctx = {
      core: this.opts.core,
      appId: app.id,
      user: response.user,
      host: this.host,
      database,
      connectionId: this.opts.connectionId,
    };
    this.phase = 'command';
    clearTimeout(this.loginDeadline);
    this.framer.maxPayload = MAX_PACKET_PAYLOAD;
    this.socket.setTimeout(this.opts.idleTimeoutMs);
    this.send([okPacket()]);
  }

  private async onCommand(payload: Buffer): Promise<void> {
    const command = payload[0];
    const body = payload.subarray(1);
    try {
      switch (command) {
        case COM_QUIT:
          this.closing = true;
          this.socket.end();
          return;
        case COM_PING:
          return this.send([okPacket()]);
        case COM_INIT_DB:
          this.ctx!.database = checkDatabase(body.toString('utf8'));
          return this.send([okPacket()]);
        case COM_QUERY: {
          if (!this.ctx!.core.admitBackendRequest(this.ctx!.appId)) {
            throw new SqlError(
              'userLimit',
              "this app's backend requests are over limits.backendRequests; retry shortly",
            );
          }
          const outcome = await execute(parse(body.toString('utf8')), this.ctx!);
          return this.reply(outcome);
        }
        default:
          throw new SqlError(
            'unknownCommand',
            `Unknown command${command === undefined ? '' : ` 0x${command.toString(16).padStart(2, '0')}`}: CometQL takes COM_QUERY, COM_PING, COM_INIT_DB and COM_QUIT`,
          );
      }
    } catch (err) {
      if (!(err instanceof SqlError)) {
        this.opts.logger?.warn(`internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
      const e = err instanceof SqlError ? err : new SqlError('unsupported', 'Internal error in CometQL');
      this.send([errPacket(e.errno, e.sqlState, e.message)]);
    }
  }

  private reply(outcome: Outcome): void {
    if (outcome.kind === 'ok') return this.send([okPacket(outcome.ok)]);
    const deprecateEof = (this.capabilities & CLIENT.DEPRECATE_EOF) !== 0;
    const packets = [columnCount(outcome.columns.length), ...outcome.columns.map(columnDefinition)];
    if (!deprecateEof) packets.push(eofPacket());
    for (const row of outcome.rows) packets.push(textRow(row));
    packets.push(deprecateEof ? okPacket({}, true) : eofPacket());
    this.send(packets);
  }

  /** Answers a failed connection phase and closes. */
  private refuse(err: SqlError): void {
    this.send([errPacket(err.errno, err.sqlState, err.message)]);
    this.closing = true;
    this.socket.end();
  }

  private fatal(err: unknown): void {
    if (err instanceof PacketTooLarge) {
      this.refuse(new SqlError('packetTooLarge', "Got a packet bigger than 'max_allowed_packet' bytes"));
    } else if (err instanceof MalformedPacket) {
      this.refuse(new SqlError('handshake', `Bad handshake: ${err.message}`));
    } else if (err instanceof SqlError) {
      this.refuse(err);
    } else {
      this.opts.logger?.warn(
        `connection ${this.opts.connectionId} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.socket.destroy();
    }
  }

  private send(payloads: Buffer[]): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const frames: Buffer[] = [];
    for (const payload of payloads) {
      const { bytes, nextSeq } = frame(this.seq, payload);
      frames.push(bytes);
      this.seq = nextSeq;
    }
    this.socket.write(Buffer.concat(frames));
  }
}
